import EventdPluginTesting
import Foundation
import Testing
import User

let plugin = "user"
let user = "u-1"

/// The topic each event travels on in these tests.
func topic(of name: String) -> String {
    switch name {
    case "user.registered": "auth-events"
    case let n where n.hasPrefix("payment."): "payment-events"
    default: name  // mission.completed and evaluation.completed have topics of their own
    }
}

func group(of name: String) -> String {
    switch name {
    case "user.registered": UserPlugin.authGroup
    case let n where n.hasPrefix("payment."): UserPlugin.paymentGroup
    case "mission.completed": UserPlugin.missionGroup
    default: UserPlugin.evaluationGroup
    }
}

/// The id the plugin must give its `index`-th follow-up of event `id`.
func followUpID(_ id: String, _ index: Int) -> String { followUpID(of: id, index, plugin: plugin) }


extension ProducedEnvelope {
    /// The `settings` of a user.settings.changed payload.
    var settings: [String: String] { payload["settings"] as? [String: String] ?? [:] }
}

/// The user plugin loaded in a test host, with helpers to send events and read effects.
final class Fixture: ServiceFixture {
    init(settings: String = "{}") throws {
        try super.init(entry: devtripEventdPluginV1(), settings: settings, userId: user, topic: topic(of:), group: group(of:))
    }
}

/// Checks of this plugin's follow-ups.
let expected = FollowUpChecks(plugin: plugin, source: "user-service", user: user)

/// Checks a produced user.settings.changed / user.profile.updated end to end.
func expectUserEvent(_ p: ProducedEnvelope, source id: String, index: Int, at: TestTime, type: String, payload: [String: Any],
                     topic: String = "user-events", sourceLocation: SourceLocation = #_sourceLocation) {
    expected.followUp(p, source: id, index: index, at: at, type: type, topic: topic, sourceLocation: sourceLocation)
    #expect(NSDictionary(dictionary: p.payload).isEqual(to: payload), "\(p.payload)", sourceLocation: sourceLocation)
}

// Valid payloads, one per handled event (the payment-events ones come from EventdPluginTesting).
func registered(plan: String = "basic") -> [String: Any] {
    ["userId": user, "email": "kim@example.com", "displayName": "Kim", "plan": plan]
}

func missionCompleted(_ mission: String = "m-1", duration: Int = 1200) -> [String: Any] {
    ["userId": user, "missionId": mission, "resultKey": "results/u-1/\(mission).json", "durationSeconds": duration]
}

func evaluationCompleted(_ mission: String = "m-1", score: Int = 80, passed: Bool = true) -> [String: Any] {
    ["userId": user, "missionId": mission, "evaluationId": "eval-\(mission)", "score": score, "passed": passed, "feedback": "good"]
}

func validPayload(_ name: String) -> [String: Any] {
    switch name {
    case "user.registered": registered()
    case "payment.subscription-renewal-failed": renewalFailed()
    case "payment.subscription-changed": subscriptionChanged()
    case "payment.ticket-balance-low": balanceLow()
    case "mission.completed": missionCompleted()
    case "evaluation.completed": evaluationCompleted()
    default: [:]
    }
}

let handledEvents = [
    "user.registered", "payment.subscription-renewal-failed", "payment.subscription-changed", "payment.ticket-balance-low",
    "mission.completed", "evaluation.completed",
]

/// Optional payload fields (absent is fine).
let optionalFields: Set<String> = ["refundAmount"]
