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
import EventdCatalog
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
    var status: String
    var plan: Plan
    var role: String
    var permissions: [String]
    var consecutivePaymentFailures: Int
    var totalPaymentFailures: Int
    var lastPaymentFailure: PaymentFailure?
    var suspendedAt: Date?
    var suspensionReason: String?
    var accessRestoredAt: Date?
    /// Session flags the login session reads (the catalog's "세션 플래그").
    var sessionFlags: SessionFlags
    var updatedAt: Date

    static let active = "active"
    static let suspended = "suspended"

    init(userId: String, plan: Plan, permissions: PermissionTable, at: Date) {
        self.userId = userId
        status = Self.active
        self.plan = plan
        role = permissions.role(plan)
        self.permissions = permissions.permissions(plan)
        consecutivePaymentFailures = 0
        totalPaymentFailures = 0
        sessionFlags = SessionFlags(ticketBalanceLow: false)
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
    var recentPauses: [Date]
    var totalPauses: Int
    var suspiciousPatternAlertedAt: Date?
    var lastMissionId: String?
    var lastActivityAt: Date

    init(userId: String, at: Date) {
        self.userId = userId
        recentPauses = []
        totalPauses = 0
        lastActivityAt = at
    }
}

struct MissionSession: Codable, Equatable {
    var missionId: String
    /// `active` or `paused`.
    var status: String
    /// `standard`, `locked` (paused) or `verification-required`.
    var securityLevel: String
    var pausedAt: Date?
    /// The adjusted session timeout: resuming after this needs extra verification.
    var verificationRequiredAfter: Date?
    var resumedAt: Date?
    var pauseCount: Int
    var lastPauseSeconds: Int?
    var longestPauseSeconds: Int
    var verificationRequired: Bool
    /// Session flags of this mission: `paused`, `long-pause`.
    var flags: [String]
    /// Permissions that exist only while the mission's session does.
    var temporaryPermissions: [String]

    static let active = "active"
    static let paused = "paused"

    init(missionId: String) {
        self.missionId = missionId
        status = Self.active
        securityLevel = "standard"
        pauseCount = 0
        longestPauseSeconds = 0
        verificationRequired = false
        flags = []
        temporaryPermissions = ["mission:\(missionId):session"]
    }
}

// MARK: restriction/<userId> and certificate/<userId>/<missionId>

struct Restriction: Codable, Equatable {
    var userId: String
    /// `active` or `restricted` (until `restrictedUntil`).
    var status: String
    var restrictedAt: Date?
    var restrictedUntil: Date?
    var restrictionReason: String?
    var restrictions: Int
    var consecutiveProvisioningFailures: Int
    var totalProvisioningFailures: Int
    var lastProvisioningFailure: ProvisioningFailure?
    var cleanups: Int

    static let active = "active"
    static let restricted = "restricted"

    init(userId: String) {
        self.userId = userId
        status = Self.active
        restrictions = 0
        consecutiveProvisioningFailures = 0
        totalProvisioningFailures = 0
        cleanups = 0
    }

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
    var startedCount: Int
    var failureCount: Int
    var retryRequestedCount: Int
    var retryCompletedCount: Int
    var retrySucceededCount: Int
    var retryFailedCount: Int
    var history: [EvaluationRecord]
    var failures: [FailureRecord]
    /// Failure pattern data: failures per reason (at most 20 reasons, then "other").
    var failureReasons: [String: Int]
    var retries: [RetryRecord]
    var retryReasons: [String: Int]
    /// Retry requests per evaluation, most recent evaluation last.
    var retryCounts: [RetryCount]
    var retryResults: [RetryResult]
    var technicalSupport: Bool
    var technicalSupportFlaggedAt: Date?
    /// Evaluations whose retry failed, awaiting a person.
    var manualReview: [String]
    var performance: Performance

    init(userId: String) {
        self.userId = userId
        startedCount = 0
        failureCount = 0
        retryRequestedCount = 0
        retryCompletedCount = 0
        retrySucceededCount = 0
        retryFailedCount = 0
        history = []
        failures = []
        failureReasons = [:]
        retries = []
        retryReasons = [:]
        retryCounts = []
        retryResults = []
        technicalSupport = false
        manualReview = []
        performance = Performance(retrySuccesses: 0, scoredRetries: 0, totalScore: 0)
    }
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
    var retrySuccesses: Int
    var scoredRetries: Int
    var totalScore: Int
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
