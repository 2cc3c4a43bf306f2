// The user plugin's state documents (JSON through the host's store).
//
// Each document is written by the handlers of one event stream only, because
// one user's events are ordered within a topic partition but not across topics:
//   profile/<userId>        auth-events            (user.registered)
//   settings/<userId>       auth-events            (user.registered)
//   billing/<userId>        payment-events         (renewal failed, ticket balance low)
//   subscription/<userId>   payment-events or subscription-events (the plan change, whichever copy comes first)
//   activity/<userId>       mission.completed
//   achievements/<userId>   evaluation.completed
// Where a handler needs another stream's facts it reads them and never writes them.
import EventdServiceKit
import Foundation

enum Keys {
    static func profile(_ user: String) -> String { "profile/\(user)" }
    static func settings(_ user: String) -> String { "settings/\(user)" }
    static func billing(_ user: String) -> String { "billing/\(user)" }
    static func subscription(_ user: String) -> String { "subscription/\(user)" }
    static func activity(_ user: String) -> String { "activity/\(user)" }
    static func achievements(_ user: String) -> String { "achievements/\(user)" }
}

// MARK: profile/<userId>, settings/<userId>

struct Profile: Codable, Equatable {
    var userId: String
    var email: String
    var displayName: String
    /// The plan at registration; plan changes are cached in `subscription/<userId>`.
    var plan: Plan
    var registeredAt: Date
    var systemPermissions: [String]
    var onboarding: Onboarding
}

struct Onboarding: Codable, Equatable {
    /// `started`; later steps belong to the onboarding flow itself.
    var status: String
    var step: String
    var startedAt: Date
}

struct UserSettings: Codable, Equatable {
    var userId: String
    var values: [String: String]
    var updatedAt: Date
}

// MARK: billing/<userId>

struct Billing: Codable, Equatable {
    var userId: String
    /// Failure state as of `lastFailureAt`; a later plan change clears it
    /// (`subscription/<userId>.paymentStateClearedAt`).
    var paymentFailed: Bool = false
    var serviceRestricted: Bool = false
    var consecutiveFailures: Int = 0
    /// The plan change the consecutive count runs from (nil: none seen).
    var countedSince: Date?
    var totalFailures: Int = 0
    /// Failures that predate the latest plan change and arrived after it.
    var supersededFailures: Int = 0
    var lastFailureAt: Date?
    var serviceRestrictedAt: Date?
    var failures: [PaymentFailure] = []
    var ticketBalanceLow: Bool = false
    var ticketBalance: Int?
    var ticketThreshold: Int?
    var ticketBalanceLowAt: Date?
    var lowBalanceWarnings: Int = 0
    var autoChargeGuideSentAt: Date?
}

// MARK: subscription/<userId>

struct SubscriptionCache: Codable, Equatable {
    var userId: String
    var plan: Plan
    var previousPlan: Plan
    var subscriptionId: String
    var changedAt: Date
    var changes: Int
    var paymentStateClearedAt: Date?
    var history: [PlanChange]
}

struct PlanChange: Codable, Equatable {
    var at: Date
    var fromPlan: Plan
    var toPlan: Plan
    var direction: PlanDirection
    var refundAmount: Int?
}

// MARK: activity/<userId>

struct Activity: Codable, Equatable {
    var userId: String
    var missionsCompleted: Int = 0
    var totalDurationSeconds: Int = 0
    var averageDurationSeconds: Int = 0
    var lastMissionId: String?
    var lastCompletedAt: Date?
    /// The last day (in `streak_utc_offset_minutes`) with a completion, `yyyy-MM-dd`.
    var lastActiveDay: String?
    var activeDays: Int = 0
    var currentStreak: Int = 0
    var longestStreak: Int = 0
    /// The most recent missions counted, so a completion re-published under a new event id counts once.
    var recentMissionIds: [String] = []
}

// MARK: achievements/<userId>

struct Achievements: Codable, Equatable {
    var userId: String
    var evaluations: Int = 0
    var passes: Int = 0
    var fails: Int = 0
    var perfectScores: Int = 0
    var totalScore: Int = 0
    var averageScore: Int = 0
    var bestScore: Int?
    var lastScore: Int?
    var unlocked: [Achievement] = []
    /// The most recent evaluations counted, so one re-published under a new event id counts once.
    var recentEvaluationIds: [String] = []
}

struct Achievement: Codable, Equatable {
    var id: String
    var unlockedAt: Date
    var evaluationId: String
    var missionId: String
    var score: Int
}
