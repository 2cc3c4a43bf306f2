// Settings (defaults, refusals, evaluator selection, topics), the scoring
// rule and the object store on their own.
import AIEvaluation
import EventdPluginTesting
import Foundation
import Testing

@Suite struct SettingsTests {
    @Test func defaultsAreTheDocumentedOnes() throws {
        let c = try AIEvaluationConfiguration(PluginSettings())
        #expect(c == AIEvaluationConfiguration())
        #expect(c.objectStore == "directory")
        #expect(c.objectStoreRoot == "/var/lib/devtrip-eventd/mission-results")
        #expect(c.maxObjectBytes == 1_048_576)
        #expect(c.evaluator == "test-ratio")
        #expect(c.passScore == 70)
        #expect(c.lintPenalty == 2)
        #expect(c.maxLintPenalty == 20)
        #expect(c.maxAttempts == 3)
        #expect(c.evaluationTopic == "evaluation-events")
        #expect(c.completedTopic == "evaluation.completed")
        #expect(c.notificationTopic == "notification-events")
    }

    /// The shipped plugins.d file lists every setting with its default value.
    @Test func theShippedConfigFileListsEverySettingWithItsDefault() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../etc/devtrip-eventd/plugins.d/ai-evaluation.toml").standardized
        let text = try String(contentsOf: file, encoding: .utf8)
        var section = "", settings: [String: Any] = [:]
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.hasPrefix("#") && !line.isEmpty {
            if line.hasPrefix("[") { section = line; continue }
            guard section == "[settings]", let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            settings[key] = value.hasPrefix("\"") ? String(value.dropFirst().dropLast()) : Int(value)! as Any
        }
        #expect(Set(settings.keys) == AIEvaluationConfiguration.keys)
        #expect(try AIEvaluationConfiguration(PluginSettings(settings)) == AIEvaluationConfiguration())
        #expect(text.contains(#""ai-evaluation-group" = "ai-evaluation-group""#))
    }

    @Test(arguments: [
        (#"{"evaluator":"llm"}"#, "setting 'evaluator' must be one of test-ratio, strict, got 'llm'"),
        (#"{"object_store":"s3"}"#, "setting 'object_store' must be one of directory, got 's3'"),
        (#"{"object_store_root":"results"}"#, "setting 'object_store_root' must be an absolute path, got 'results'"),
        (#"{"pass_score":101}"#, "setting 'pass_score' must be between 0 and 100"),
        (#"{"pass_score":"70"}"#, "setting 'pass_score' must be an integer"),
        (#"{"max_attempts":0}"#, "setting 'max_attempts' must be between 1 and 100"),
        (#"{"lint_penalty":-1}"#, "setting 'lint_penalty' must be between 0 and 100"),
        (#"{"max_lint_penalty":500}"#, "setting 'max_lint_penalty' must be between 0 and 100"),
        (#"{"max_object_bytes":0}"#, "setting 'max_object_bytes' must be at least 1"),
        (#"{"completed_topic":"evaluation completed"}"#, "setting 'completed_topic' must be a valid Kafka topic name, got 'evaluation completed'"),
        (#"{"notification_topic":""}"#, "setting 'notification_topic' must be a valid Kafka topic name, got ''"),
        (#"{"evaluator":true}"#, "setting 'evaluator' must be a string"),
    ])
    func badSettingsRefuseTheLoad(settings: String, message: String) {
        do {
            try TestHost().load(devtripEventdPluginV1(), settings: settings)
            Issue.record("loaded with \(settings)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    /// 0 and 1 are integers (PluginSettings.int tells JSON booleans apart by their stored type).
    @Test func zeroAndOneAreIntegersAndBooleansAreNot() throws {
        let c = try AIEvaluationConfiguration(PluginSettings(json: #"{"pass_score":0,"lint_penalty":1,"max_lint_penalty":0,"max_attempts":1}"#))
        #expect(c.passScore == 0)
        #expect(c.lintPenalty == 1)
        #expect(c.maxLintPenalty == 0)
        #expect(c.maxAttempts == 1)
        for bad in [#"{"max_attempts":true}"#, #"{"pass_score":false}"#, #"{"pass_score":70.5}"#] {
            #expect(throws: SettingsError.self) { try AIEvaluationConfiguration(PluginSettings(json: bad)) }
        }
    }

    @Test func anUnknownSettingRefusesTheLoad() {
        #expect(throws: TestHostError.self) { try TestHost().load(devtripEventdPluginV1(), settings: #"{"pass_scroe":70}"#) }
        do { try TestHost().load(devtripEventdPluginV1(), settings: #"{"pass_scroe":70}"#) } catch {
            #expect("\(error)".hasPrefix("unknown setting 'pass_scroe'"))
        }
    }

    @Test func topicsComeFromSettings() throws {
        let f = try Fixture(settings: ["evaluation_topic": "eval-x", "completed_topic": "done-x", "notification_topic": "notify-x"])
        try f.writeResult(tests: [("a", true)])
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(f.host.produced.map(\.topic) == ["eval-x", "done-x", "notify-x"])
        #expect(f.host.handle(missionCompleted(id: "e2", missionId: "m-2", resultKey: "missing.json")) == .ok)
        #expect(f.host.produced[3...].map(\.topic) == ["eval-x", "eval-x", "eval-x"])
    }
}

@Suite struct EvaluatorSelectionTests {
    let nineOfTen = (1...10).map { ("t\($0)", $0 != 7) }

    /// test-ratio passes nine of ten tests on the score alone; strict fails any failed test.
    @Test(arguments: [
        ("test-ratio", true, "Passed."),
        ("strict", false, "Not passed: every test must pass."),
    ])
    func nineOfTenTestsPassUnlessStrict(evaluator: String, passed: Bool, verdict: String) throws {
        let f = try Fixture(settings: ["evaluator": evaluator])
        try f.writeResult(tests: nineOfTen)
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(try f.produced[1].payload == ["userId": "u-1", "missionId": "m-1", "evaluationId": .string(evalM1), "score": 90, "passed": .bool(passed),
                                              "feedback": .string("9/10 tests passed. Failed: t7. No lint warnings. Score 90/100 (pass mark 70). \(verdict)")])
        #expect(try f.state("evaluation/\(evalM1)")?["evaluator"] == .string(evaluator))
        #expect(try f.state("stats/u-1")?["notPassed"] == .int(passed ? 0 : 1))
    }

    @Test func strictStillNeedsThePassMark() throws {
        let f = try Fixture(settings: ["evaluator": "strict", "pass_score": 95, "lint_penalty": 5])
        try f.writeResult(tests: [("a", true)], lintWarnings: 2)
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(try f.produced[1].payload["score"] == 90)
        #expect(try f.produced[1].payload["passed"] == false)
        #expect(try f.produced[1].payload["feedback"] == "1/1 tests passed. 2 lint warnings (-10). Score 90/100 (pass mark 95). Not passed.")
    }

    @Test func passScoreAndPenaltiesComeFromSettings() throws {
        let f = try Fixture(settings: ["pass_score": 50, "lint_penalty": 10, "max_lint_penalty": 30])
        try f.writeResult(tests: [("a", true), ("b", true), ("c", true), ("d", false)], lintWarnings: 5)
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(try f.produced[1].payload["score"] == 45)      // 75 - min(30, 50)
        #expect(try f.produced[1].payload["passed"] == false)
    }

    @Test func unknownEvaluatorNamesAreRefused() {
        #expect(throws: SettingsError.self) { try Evaluators.make("gpt", rule: ScoringRule()) }
        #expect(Evaluators.names == ["test-ratio", "strict"])
        #expect((try? Evaluators.make("strict", rule: ScoringRule()))?.name == "strict")
    }
}

@Suite struct ScoringRuleTests {
    let rule = ScoringRule()

    func result(_ passed: Int, of total: Int, lint: Int = 0) -> MissionResult {
        MissionResult(tests: (0..<total).map { .init(name: "t\($0)", passed: $0 < passed) }, lintWarnings: lint)
    }

    @Test(arguments: [(1, 8, 13), (2, 3, 67), (1, 3, 33), (5, 5, 100), (0, 4, 0), (1, 2, 50), (7, 8, 88), (1, 200, 1)])
    func theTestScoreIsRoundedHalfUp(passed: Int, total: Int, expected: Int) {
        #expect(rule.testScore(passed: passed, total: total) == expected)
    }

    @Test func theLintPenaltyIsCappedAndNeverOverflows() {
        #expect(rule.penalty(lintWarnings: 0) == 0)
        #expect(rule.penalty(lintWarnings: 3) == 6)
        #expect(rule.penalty(lintWarnings: 10) == 20)
        #expect(rule.penalty(lintWarnings: 15) == 20)
        #expect(rule.penalty(lintWarnings: Int.max) == 20)
    }

    @Test func theScoreIsClampedToZero() {
        #expect(rule.score(result(1, of: 10, lint: 10)) == 0)
        #expect(rule.score(result(10, of: 10, lint: 1)) == 98)
        #expect(ScoringRule(passScore: 70, lintPenalty: 0, maxLintPenalty: 20).score(result(10, of: 10, lint: 99)) == 100)
    }

    @Test func evaluationIsDeterministic() throws {
        let data = Data(#"{"tests":[{"name":"b","passed":false},{"name":"a","passed":true}],"lintWarnings":1,"extra":"ignored"}"#.utf8)
        let evaluator = TestRatioEvaluator(rule: rule)
        let first = try evaluator.evaluate(data)
        #expect(try evaluator.evaluate(data) == first)
        #expect(first.score == 48)
        #expect(first.failedTests == ["b"])
        #expect(first.passedTests == 1)
        #expect(first.totalTests == 2)
    }

    @Test func longFailureListsAreTruncated() throws {
        let tests = (1...25).map { #"{"name":"t\#($0)","passed":false}"# }.joined(separator: ",")
        let evaluation = try TestRatioEvaluator(rule: rule).evaluate(Data(#"{"tests":[\#(tests)],"lintWarnings":0}"#.utf8))
        let listed = (1...20).map { "t\($0)" }.joined(separator: ", ")
        #expect(evaluation.feedback == "0/25 tests passed. Failed: \(listed) and 5 more. No lint warnings. Score 0/100 (pass mark 70). Not passed.")
        #expect(evaluation.failedTests.count == 25)
    }

    @Test func durationMustNotBeNegative() {
        #expect(throws: CorruptObject("field 'durationSeconds' must not be negative")) {
            try MissionResult.parse(Data(#"{"tests":[{"name":"a","passed":true}],"lintWarnings":0,"durationSeconds":-5}"#.utf8))
        }
    }
}

@Suite final class ObjectStoreTests {
    let root: URL

    deinit { try? FileManager.default.removeItem(at: root) }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ai-eval-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("u-1"), withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: root.appendingPathComponent("u-1/m-1.json"))
    }

    @Test(arguments: ["u-1/m-1.json", "a..b/c", "...", "x.json", "a/b/c/d.json", "결과/m-1.json"])
    func validKeysPass(key: String) throws {
        try ObjectKey.validate(key)
    }

    @Test func keysLongerThan1024BytesAreInvalid() {
        #expect(throws: ObjectStoreError.invalidKey(String(repeating: "a", count: 1025), reason: "it is longer than 1024 bytes")) {
            try ObjectKey.validate(String(repeating: "a", count: 1025))
        }
        #expect(throws: ObjectStoreError.invalidKey("", reason: "it is empty")) { try ObjectKey.validate("") }
    }

    @Test func loadsAFileUnderTheRoot() throws {
        let store = DirectoryObjectStore(root: root.path)
        #expect(try store.load(key: "u-1/m-1.json") == Data("hello".utf8))
    }

    @Test func missingObjectsAndRootsAreNotFound() throws {
        let store = DirectoryObjectStore(root: root.path)
        #expect(throws: ObjectStoreError.notFound("u-1/m-2.json")) { try store.load(key: "u-1/m-2.json") }
        #expect(throws: ObjectStoreError.notFound("u-1/m-1.json/x")) { try store.load(key: "u-1/m-1.json/x") }
        #expect(throws: ObjectStoreError.notFound("u-1/m-1.json")) {
            try DirectoryObjectStore(root: root.path + "/nope").load(key: "u-1/m-1.json")
        }
    }

    @Test func symbolicLinksInsideTheRootAreFollowedAndOutsideRefused() throws {
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("latest.json").path, withDestinationPath: "u-1/m-1.json")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("etc").path, withDestinationPath: "/etc")
        let store = DirectoryObjectStore(root: root.path)
        #expect(try store.load(key: "latest.json") == Data("hello".utf8))
        let error = #expect(throws: ObjectStoreError.self) { try store.load(key: "etc/passwd") }
        #expect(error == .invalidKey("etc/passwd", reason: "it resolves outside the store root"))
        #expect(error?.isPermanent == true)
        #expect(ObjectStoreError.notFound("k").isPermanent == false)
    }

    @Test func aRootReachedThroughASymbolicLinkWorks() throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("ai-eval-link-\(UUID().uuidString)")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: root.path)
        defer { try? FileManager.default.removeItem(at: link) }
        #expect(try DirectoryObjectStore(root: link.path).load(key: "u-1/m-1.json") == Data("hello".utf8))
    }

    @Test func oversizedObjectsAreRefused() throws {
        #expect(throws: ObjectStoreError.tooLarge("u-1/m-1.json", size: 5, limit: 4)) {
            try DirectoryObjectStore(root: root.path, maxBytes: 4).load(key: "u-1/m-1.json")
        }
        #expect(try DirectoryObjectStore(root: root.path, maxBytes: 5).load(key: "u-1/m-1.json").count == 5)
    }

    /// What a later S3 backend looks like: the protocol and its errors are all it needs.
    struct InMemoryStore: ObjectStore {
        let objects: [String: Data]
        func load(key: String) throws -> Data {
            try ObjectKey.validate(key)
            guard let data = objects[key] else { throw ObjectStoreError.notFound(key) }
            return data
        }
    }

    @Test func anotherBackendConformsWithTheSameErrors() throws {
        let store: any ObjectStore = InMemoryStore(objects: ["k": Data("v".utf8)])
        #expect(try store.load(key: "k") == Data("v".utf8))
        #expect(throws: ObjectStoreError.notFound("j")) { try store.load(key: "j") }
        #expect(throws: ObjectStoreError.self) { try store.load(key: "../k") }
    }
}
