import Auth
import EventdPluginTesting
import Foundation
import Testing

let plugin = "auth"
let user = "u-1"

/// The topic each event travels on in these tests.
func topic(of name: String) -> String {
    switch name {
    case let n where n.hasPrefix("payment."): "payment-events"
    case let n where n.hasPrefix("mission."): "mission-events"
    case let n where n.hasPrefix("resource."): "resource-events"
    default: "evaluation-events"
    }
}

func group(of name: String) -> String {
    switch name {
    case let n where n.hasPrefix("payment."): AuthPlugin.paymentGroup
    case let n where n.hasPrefix("evaluation."): AuthPlugin.evaluationGroup
    default: AuthPlugin.missionGroup
    }
}

/// The id the plugin must give its `index`-th follow-up of event `id`.
func followUpID(_ id: String, _ index: Int) -> String { followUpID(of: id, index, plugin: plugin) }


/// The auth plugin loaded in a test host, with helpers to send events and read effects.
final class Fixture: ServiceFixture {
    init(settings: String = "{}") throws {
        try super.init(entry: devtripEventdPluginV1(), settings: settings, userId: user, topic: topic(of:), group: group(of:))
    }

    func auditActions(_ stream: String, userId: String = user) -> [String] {
        (doc("audit/\(userId)/\(stream)")?["entries"] as? [[String: Any]] ?? []).map { $0["action"] as? String ?? "" }
    }

    func auditEntries(_ stream: String, userId: String = user) -> [[String: Any]] {
        doc("audit/\(userId)/\(stream)")?["entries"] as? [[String: Any]] ?? []
    }
}

/// Checks of this plugin's follow-ups.
let expected = FollowUpChecks(plugin: plugin, source: "auth-service", user: user)

// Valid payloads, one per handled event (the payment-events ones come from EventdPluginTesting).
func missionEvent(_ mission: String = "m-1") -> [String: Any] { ["userId": user, "missionId": mission] }

func provisioningFailed(_ mission: String = "m-1", resource: String? = "r-1") -> [String: Any] {
    var p: [String: Any] = ["userId": user, "missionId": mission, "reason": "quota exceeded"]
    if let resource { p["resourceId"] = resource }
    return p
}

func cleanupCompleted(_ mission: String = "m-1") -> [String: Any] {
    ["userId": user, "missionId": mission, "resourceId": "r-1", "usageSeconds": 1200]
}

func evaluationStarted(_ mission: String = "m-1") -> [String: Any] {
    ["userId": user, "missionId": mission, "evaluationId": "eval-\(mission)"]
}

func evaluationFailed(_ mission: String = "m-1", reason: String = "timeout", attempt: Int = 1) -> [String: Any] {
    ["userId": user, "missionId": mission, "evaluationId": "eval-\(mission)", "reason": reason, "retryable": true, "attempt": attempt]
}

func retryRequested(_ mission: String = "m-1", attempt: Int = 2) -> [String: Any] {
    ["userId": user, "missionId": mission, "evaluationId": "eval-\(mission)", "attempt": attempt, "reason": "timeout"]
}

func retryCompleted(_ mission: String = "m-1", succeeded: Bool = true, score: Int? = 80) -> [String: Any] {
    var p: [String: Any] = ["userId": user, "missionId": mission, "evaluationId": "eval-\(mission)", "attempt": 2, "succeeded": succeeded]
    if let score { p["score"] = score }
    return p
}

/// A valid payload for every handled event, for the table-driven decoding tests.
func validPayload(_ name: String) -> [String: Any] {
    switch name {
    case "payment.subscription-renewal-failed": renewalFailed()
    case "payment.subscription-changed": subscriptionChanged()
    case "payment.ticket-balance-low": balanceLow()
    case "mission.paused", "mission.resumed": missionEvent()
    case "resource.provisioning.failed": provisioningFailed()
    case "resource.cleanup.completed": cleanupCompleted()
    case "evaluation.started": evaluationStarted()
    case "evaluation.failed": evaluationFailed()
    case "evaluation.retry.requested": retryRequested()
    case "evaluation.retry.completed": retryCompleted()
    default: [:]
    }
}

let handledEvents = [
    "payment.subscription-renewal-failed", "payment.subscription-changed", "payment.ticket-balance-low",
    "mission.paused", "mission.resumed", "resource.provisioning.failed", "resource.cleanup.completed",
    "evaluation.started", "evaluation.failed", "evaluation.retry.requested", "evaluation.retry.completed",
]

/// Optional payload fields (absent is fine).
let optionalFields: Set<String> = ["refundAmount", "resourceId", "score"]
