// The `[settings]` table of plugins.d/ai-evaluation.toml. Every default here
// matches etc/devtrip-eventd/plugins.d/ai-evaluation.toml; an unknown key, a
// wrong type or a value out of range refuses the load.
import EventdServiceKit
import Foundation

public struct AIEvaluationConfiguration: Equatable, Sendable {
    /// Object store backend: only "directory" so far.
    public var objectStore = "directory"
    /// Root directory of the directory store (absolute).
    public var objectStoreRoot = "/var/lib/devtrip-eventd/mission-results"
    /// Largest result object read, in bytes.
    public var maxObjectBytes = 1_048_576
    /// "test-ratio" or "strict".
    public var evaluator = "test-ratio"
    /// Score (0...100) at or above which an evaluation passes.
    public var passScore = 70
    /// Points off per lint warning.
    public var lintPenalty = 2
    /// Cap of the lint deduction.
    public var maxLintPenalty = 20
    /// Evaluation attempts (the first included) before the final failure.
    public var maxAttempts = 3
    /// Topic of evaluation.started / .failed / .retry.requested / .retry.completed.
    public var evaluationTopic = "evaluation-events"
    /// Topic of evaluation.completed (the catalog's single-event topic).
    public var completedTopic = "evaluation.completed"
    /// Topic of notification.requested.
    public var notificationTopic = "notification-events"

    public static let keys: Set<String> = [
        "object_store", "object_store_root", "max_object_bytes", "evaluator", "pass_score", "lint_penalty",
        "max_lint_penalty", "max_attempts", "evaluation_topic", "completed_topic", "notification_topic",
    ]

    public init() {}

    /// - Throws: `SettingsError` naming the offending key.
    public init(_ settings: PluginSettings) throws {
        if let unknown = settings.raw.keys.filter({ !Self.keys.contains($0) }).sorted().first {
            throw SettingsError("unknown setting '\(unknown)' (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        objectStore = try settings.string("object_store") ?? objectStore
        objectStoreRoot = try settings.string("object_store_root") ?? objectStoreRoot
        maxObjectBytes = try settings.int("max_object_bytes") ?? maxObjectBytes
        evaluator = try settings.string("evaluator") ?? evaluator
        passScore = try settings.int("pass_score") ?? passScore
        lintPenalty = try settings.int("lint_penalty") ?? lintPenalty
        maxLintPenalty = try settings.int("max_lint_penalty") ?? maxLintPenalty
        maxAttempts = try settings.int("max_attempts") ?? maxAttempts
        evaluationTopic = try settings.string("evaluation_topic") ?? evaluationTopic
        completedTopic = try settings.string("completed_topic") ?? completedTopic
        notificationTopic = try settings.string("notification_topic") ?? notificationTopic

        guard objectStore == "directory" else {
            throw SettingsError("setting 'object_store' must be one of directory, got '\(objectStore)'")
        }
        guard objectStoreRoot.hasPrefix("/") else {
            throw SettingsError("setting 'object_store_root' must be an absolute path, got '\(objectStoreRoot)'")
        }
        guard maxObjectBytes >= 1 else { throw SettingsError("setting 'max_object_bytes' must be at least 1") }
        guard Evaluators.names.contains(evaluator) else {
            throw SettingsError("setting 'evaluator' must be one of \(Evaluators.names.joined(separator: ", ")), got '\(evaluator)'")
        }
        guard (0...100).contains(passScore) else { throw SettingsError("setting 'pass_score' must be between 0 and 100") }
        guard (0...100).contains(lintPenalty) else { throw SettingsError("setting 'lint_penalty' must be between 0 and 100") }
        guard (0...100).contains(maxLintPenalty) else { throw SettingsError("setting 'max_lint_penalty' must be between 0 and 100") }
        guard (1...100).contains(maxAttempts) else { throw SettingsError("setting 'max_attempts' must be between 1 and 100") }
        for (key, topic) in [("evaluation_topic", evaluationTopic), ("completed_topic", completedTopic),
                             ("notification_topic", notificationTopic)] where !Self.isValidTopic(topic) {
            throw SettingsError("setting '\(key)' must be a valid Kafka topic name, got '\(topic)'")
        }
    }

    public var scoringRule: ScoringRule {
        ScoringRule(passScore: passScore, lintPenalty: lintPenalty, maxLintPenalty: maxLintPenalty)
    }

    /// The object store the settings name.
    public func makeObjectStore() -> any ObjectStore {
        DirectoryObjectStore(root: objectStoreRoot, maxBytes: maxObjectBytes)
    }

    /// The same rule the daemon applies to topic names.
    static func isValidTopic(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 249 && name != "." && name != ".."
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
