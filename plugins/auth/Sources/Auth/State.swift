// The auth plugin's state documents (JSON through the host's store).
//
// Each document is written by the handlers of one event stream only (one
// consumer group reading one topic), because one user's events are ordered
// within a topic partition but not across topics:
//   account/<userId>                 payment-events      (renewal failed, plan changed, balance low)
//   session/<userId>                 mission-events      (paused, resumed)
//   session/<userId>/<missionId>     mission-events      (paused, resumed); deleted by the cleanup
//   restriction/<userId>             resource events     (provisioning failed, cleanup completed)
//   certificate/<userId>/<missionId> resource events     (cleanup completed)
//   evaluation/<userId>              evaluation-events
//   audit/<userId>/<stream>          one bounded security log per stream: payment, session, resource, evaluation
import EventdServiceKit
import Foundation

enum Keys {
    static func account(_ user: String) -> String { "account/\(user)" }
    static func session(_ user: String) -> String { "session/\(user)" }
    static func missionSession(_ user: String, _ mission: String) -> String { "session/\(user)/\(mission)" }
    static func restriction(_ user: String) -> String { "restriction/\(user)" }
    static func certificate(_ user: String, _ mission: String) -> String { "certificate/\(user)/\(mission)" }
    static func evaluation(_ user: String) -> String { "evaluation/\(user)" }
    static func audit(_ user: String, _ stream: AuditStream) -> String { "audit/\(user)/\(stream.rawValue)" }
}

// MARK: account/<userId>

struct Account: Codable, Equatable {
    var userId: String
    /// `active` or `suspended` (payment). The resource restriction lives in `restriction/<userId>`.
    var status: String = Self.active
    var plan: Plan
    var role: String
    var permissions: [String]
    var consecutivePaymentFailures: Int = 0
    var totalPaymentFailures: Int = 0
    var lastPaymentFailure: PaymentFailure?
    var suspendedAt: Date?
    var suspensionReason: String?
    var accessRestoredAt: Date?
    /// Session flags the login session reads (the catalog's "세션 플래그").
    var sessionFlags = SessionFlags(ticketBalanceLow: false)
    var updatedAt: Date

    static let active = "active"
    static let suspended = "suspended"

    init(userId: String, plan: Plan, permissions: PermissionTable, at: Date) {
        self.userId = userId
        self.plan = plan
        role = permissions.role(plan)
        self.permissions = permissions.permissions(plan)
        updatedAt = at
    }
}

struct SessionFlags: Codable, Equatable {
    var ticketBalanceLow: Bool
    var ticketBalance: Int?
    var ticketThreshold: Int?
    var ticketBalanceLowAt: Date?
}

/// Role and permissions per plan (settings `permissions_<plan>`).
struct PermissionTable: Sendable {
    var table: [Plan: [String]]

    static let defaults: [Plan: [String]] = [
        .basic: ["missions.basic", "evaluations.view"],
        .pro: ["missions.basic", "missions.advanced", "evaluations.view", "evaluations.retry", "reports.download"],
        .premium: ["missions.basic", "missions.advanced", "missions.premium", "evaluations.view", "evaluations.retry",
                   "reports.download", "mentoring.access", "support.priority"],
    ]

    func permissions(_ plan: Plan) -> [String] { table[plan] ?? [] }
    func role(_ plan: Plan) -> String { "\(plan.rawValue)-member" }
}

// MARK: session/<userId> and session/<userId>/<missionId>

struct UserSession: Codable, Equatable {
    var userId: String
    /// Pause times inside the suspicious-pattern window, oldest first.
    var recentPauses: [Date] = []
    var totalPauses: Int = 0
    var suspiciousPatternAlertedAt: Date?
    var lastMissionId: String?
    var lastActivityAt: Date
}

struct MissionSession: Codable, Equatable {
    var missionId: String
    /// `active` or `paused`.
    var status: String = Self.active
    /// `standard`, `locked` (paused) or `verification-required`.
    var securityLevel: String = "standard"
    var pausedAt: Date?
    /// The adjusted session timeout: resuming after this needs extra verification.
    var verificationRequiredAfter: Date?
    var resumedAt: Date?
    var pauseCount: Int = 0
    var lastPauseSeconds: Int?
    var longestPauseSeconds: Int = 0
    var verificationRequired: Bool = false
    /// Session flags of this mission: `paused`, `long-pause`.
    var flags: [String] = []
    /// Permissions that exist only while the mission's session does.
    var temporaryPermissions: [String]

    static let active = "active"
    static let paused = "paused"

    init(missionId: String) {
        self.missionId = missionId
        temporaryPermissions = ["mission:\(missionId):session"]
    }
}

// MARK: restriction/<userId> and certificate/<userId>/<missionId>

struct Restriction: Codable, Equatable {
    var userId: String
    /// `active` or `restricted` (until `restrictedUntil`).
    var status: String = Self.active
    var restrictedAt: Date?
    var restrictedUntil: Date?
    var restrictionReason: String?
    var restrictions: Int = 0
    var consecutiveProvisioningFailures: Int = 0
    var totalProvisioningFailures: Int = 0
    var lastProvisioningFailure: ProvisioningFailure?
    var cleanups: Int = 0

    static let active = "active"
    static let restricted = "restricted"

    /// Lifts a restriction whose time is over.
    mutating func expire(at now: Date) {
        if status == Self.restricted, let until = restrictedUntil, until <= now {
            status = Self.active
            restrictedAt = nil
            restrictedUntil = nil
            restrictionReason = nil
        }
    }
}

struct ProvisioningFailure: Codable, Equatable {
    var at: Date
    var missionId: String
    var resourceId: String?
    var reason: String
}

struct Certificate: Codable, Equatable {
    var missionId: String
    /// `ready`: the mission's resources are cleaned up and the certificate may be issued.
    var status: String
    var readyAt: Date
    var resourceId: String
    var usageSeconds: Int
}

// MARK: evaluation/<userId>

struct EvaluationStats: Codable, Equatable {
    var userId: String
    var lastActivityAt: Date?
    var lastActivity: String?
    var startedCount: Int = 0
    var failureCount: Int = 0
    var retryRequestedCount: Int = 0
    var retryCompletedCount: Int = 0
    var retrySucceededCount: Int = 0
    var retryFailedCount: Int = 0
    var history: [EvaluationRecord] = []
    var failures: [FailureRecord] = []
    /// Failure pattern data: failures per reason (at most 20 reasons, then "other").
    var failureReasons: [String: Int] = [:]
    var retries: [RetryRecord] = []
    var retryReasons: [String: Int] = [:]
    /// Retry requests per evaluation, most recent evaluation last.
    var retryCounts: [RetryCount] = []
    var retryResults: [RetryResult] = []
    var technicalSupport: Bool = false
    var technicalSupportFlaggedAt: Date?
    /// Evaluations whose retry failed, awaiting a person.
    var manualReview: [String] = []
    var performance = Performance()
}

struct EvaluationRecord: Codable, Equatable {
    var evaluationId: String
    var missionId: String
    var startedAt: Date
}

struct FailureRecord: Codable, Equatable {
    var evaluationId: String
    var missionId: String
    var reason: String
    var retryable: Bool
    var attempt: Int
    var at: Date
}

struct RetryRecord: Codable, Equatable {
    var evaluationId: String
    var missionId: String
    var attempt: Int
    var reason: String
    var at: Date
}

struct RetryCount: Codable, Equatable {
    var evaluationId: String
    var count: Int
    var lastAttempt: Int
}

struct RetryResult: Codable, Equatable {
    var evaluationId: String
    var attempt: Int
    var succeeded: Bool
    var score: Int?
    var at: Date
}

struct Performance: Codable, Equatable {
    var retrySuccesses: Int = 0
    var scoredRetries: Int = 0
    var totalScore: Int = 0
    var bestScore: Int?
    var lastScore: Int?
    var averageScore: Int?
}

// MARK: audit/<userId>/<stream>

enum AuditStream: String {
    case payment, session, resource, evaluation
}

struct AuditLog: Codable, Equatable {
    var entries: [AuditEntry]
}

struct AuditEntry: Codable, Equatable {
    var at: Date
    var eventId: String
    var event: String
    var action: String
    var detail: [String: String]
}
