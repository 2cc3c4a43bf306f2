// The evaluation itself: a deterministic scoring rule over the mission's
// result object, behind a protocol so that the evaluator is chosen by
// configuration (`evaluator = "test-ratio"` or `"strict"`).
import EventdServiceKit
import Foundation

/// The mission result object as the mission service stores it:
///
///     {"tests": [{"name": "login works", "passed": true}, ...],
///      "lintWarnings": 2, "durationSeconds": 600}
///
/// `tests` (non-empty, each with a non-empty `name` and a boolean `passed`)
/// and `lintWarnings` (integer ≥ 0) are required; `durationSeconds` is
/// optional (integer ≥ 0); other fields are ignored.
public struct MissionResult: Decodable, Equatable, Sendable {
    public struct TestCase: Decodable, Equatable, Sendable {
        public var name: String
        public var passed: Bool
        public init(name: String, passed: Bool) {
            self.name = name
            self.passed = passed
        }
    }

    public var tests: [TestCase]
    public var lintWarnings: Int
    public var durationSeconds: Int?

    public init(tests: [TestCase], lintWarnings: Int, durationSeconds: Int? = nil) {
        self.tests = tests
        self.lintWarnings = lintWarnings
        self.durationSeconds = durationSeconds
    }

    /// Decodes and checks a result object.
    /// - Throws: `CorruptObject` saying what is wrong with it.
    public static func parse(_ data: Data) throws(CorruptObject) -> MissionResult {
        let result: MissionResult
        do {
            result = try JSONDecoder().decode(MissionResult.self, from: data)
        } catch let error as DecodingError {
            throw CorruptObject(describe(error))
        } catch {
            throw CorruptObject("\(error)")
        }
        guard !result.tests.isEmpty else { throw CorruptObject("it has no tests") }
        for (index, test) in result.tests.enumerated() where test.name.isEmpty {
            throw CorruptObject("field 'tests[\(index)].name' must not be empty")
        }
        guard result.lintWarnings >= 0 else { throw CorruptObject("field 'lintWarnings' must not be negative") }
        if let duration = result.durationSeconds, duration < 0 {
            throw CorruptObject("field 'durationSeconds' must not be negative")
        }
        return result
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Int.Type: "an integer"
            case is Bool.Type: "a boolean"
            default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return context.codingPath.isEmpty ? "it is not a JSON object" : "field '\(path(context.codingPath))' must be \(kind(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(kind(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not valid JSON" : "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The object exists but its content is not a usable result. A retryable failure.
public struct CorruptObject: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One evaluation's verdict.
public struct Evaluation: Equatable, Sendable {
    /// 0...100.
    public var score: Int
    public var passed: Bool
    public var feedback: String
    public var passedTests: Int
    public var totalTests: Int
    public var failedTests: [String]
}

/// The parameters of the scoring rule (settings `pass_score`, `lint_penalty`, `max_lint_penalty`).
public struct ScoringRule: Equatable, Sendable {
    public var passScore: Int
    public var lintPenalty: Int
    public var maxLintPenalty: Int

    public init(passScore: Int = 70, lintPenalty: Int = 2, maxLintPenalty: Int = 20) {
        self.passScore = passScore
        self.lintPenalty = lintPenalty
        self.maxLintPenalty = maxLintPenalty
    }

    /// round(100 × passed / total), halves rounded up (integer arithmetic).
    public func testScore(passed: Int, total: Int) -> Int {
        (200 * passed + total) / (2 * total)
    }

    /// min(maxLintPenalty, lintPenalty × warnings), without overflow.
    public func penalty(lintWarnings: Int) -> Int {
        let (product, overflow) = lintPenalty.multipliedReportingOverflow(by: lintWarnings)
        return overflow ? maxLintPenalty : min(maxLintPenalty, product)
    }

    /// testScore − penalty, clamped to 0...100.
    public func score(_ result: MissionResult) -> Int {
        let passed = result.tests.filter(\.passed).count
        let raw = testScore(passed: passed, total: result.tests.count) - penalty(lintWarnings: result.lintWarnings)
        return min(100, max(0, raw))
    }
}

/// Turns a result object into a verdict. Implementations are pure: the same
/// object always gives the same evaluation.
public protocol Evaluator: Sendable {
    /// The name the `evaluator` setting selects it by.
    var name: String { get }
    /// - Throws: `CorruptObject` (or any error) when the object is not a usable
    ///   result; the plugin treats it as a retryable failure.
    func evaluate(_ object: Data) throws -> Evaluation
}

/// `test-ratio`: passed when the score reaches the pass mark.
public struct TestRatioEvaluator: Evaluator {
    public let rule: ScoringRule
    public var name: String { "test-ratio" }
    public init(rule: ScoringRule) { self.rule = rule }

    public func evaluate(_ object: Data) throws -> Evaluation {
        let result = try MissionResult.parse(object)
        let score = rule.score(result)
        return Feedback.evaluation(result, score: score, rule: rule, passed: score >= rule.passScore, strictFailure: false)
    }
}

/// `strict`: the same score, but passed only when every test passed and the
/// score reaches the pass mark.
public struct StrictEvaluator: Evaluator {
    public let rule: ScoringRule
    public var name: String { "strict" }
    public init(rule: ScoringRule) { self.rule = rule }

    public func evaluate(_ object: Data) throws -> Evaluation {
        let result = try MissionResult.parse(object)
        let score = rule.score(result)
        let allPassed = result.tests.allSatisfy(\.passed)
        return Feedback.evaluation(result, score: score, rule: rule, passed: allPassed && score >= rule.passScore,
                                   strictFailure: !allPassed)
    }
}

/// The evaluators the `evaluator` setting can name.
public enum Evaluators {
    public static let names = ["test-ratio", "strict"]

    /// - Throws: `SettingsError` for an unknown name.
    public static func make(_ name: String, rule: ScoringRule) throws -> any Evaluator {
        switch name {
        case "test-ratio": return TestRatioEvaluator(rule: rule)
        case "strict": return StrictEvaluator(rule: rule)
        default: throw SettingsError("setting 'evaluator' must be one of \(names.joined(separator: ", ")), got '\(name)'")
        }
    }
}

/// The feedback text: deterministic, in English, one sentence per fact.
enum Feedback {
    /// At most this many failed test names are listed.
    static let maxListed = 20

    static func evaluation(_ result: MissionResult, score: Int, rule: ScoringRule, passed: Bool, strictFailure: Bool) -> Evaluation {
        let failed = result.tests.filter { !$0.passed }.map(\.name)
        let passedCount = result.tests.count - failed.count
        var parts = ["\(passedCount)/\(result.tests.count) tests passed."]
        if !failed.isEmpty {
            var list = failed.prefix(maxListed).joined(separator: ", ")
            if failed.count > maxListed { list += " and \(failed.count - maxListed) more" }
            parts.append("Failed: \(list).")
        }
        let penalty = rule.penalty(lintWarnings: result.lintWarnings)
        switch result.lintWarnings {
        case 0: parts.append("No lint warnings.")
        case 1: parts.append("1 lint warning (-\(penalty)).")
        default: parts.append("\(result.lintWarnings) lint warnings (-\(penalty)).")
        }
        parts.append("Score \(score)/100 (pass mark \(rule.passScore)).")
        if passed {
            parts.append("Passed.")
        } else if strictFailure {
            parts.append("Not passed: every test must pass.")
        } else {
            parts.append("Not passed.")
        }
        return Evaluation(score: score, passed: passed, feedback: parts.joined(separator: " "),
                          passedTests: passedCount, totalTests: result.tests.count, failedTests: failed)
    }
}
