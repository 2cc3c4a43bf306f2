// The state documents: `progress/<userId>`, `mission/<userId>/<missionId>`, `directory/<userId>`.
import EventdServiceKit

/// One user's progress over all missions.
struct MissionProgress: RemembersEvents, Equatable {
    var userId: String
    /// Whether `user.registered` was seen (other events may come first: they travel on other topics).
    var registered: Bool = false
    var registeredAt: String?
    var plan: String?
    /// Missions the user may open, in the order they were granted.
    var access: [String] = []
    var guideMission: String?
    /// Latest status per mission: `assigned`, `startable`, `passed` or `failed`.
    var missions: [String: String] = [:]
    /// Missions passed, in the order first passed.
    var passed: [String] = []
    /// Achievement level: how many of `level_thresholds` the passed count reached.
    var level: Int = 0
    var recommendation: Recommendation?
    /// Path of the user's data directory (`directory/<userId>`).
    var directory: String?
    /// Ids of the latest events applied, newest last. The progress is written last,
    /// so an event found here has had all its effects.
    var recentEvents: [String] = []

    static let recentEventLimit = 64

    mutating func grant(_ missionId: String) {
        if !access.contains(missionId) { access.append(missionId) }
    }
}

/// The mission recommended to the user next.
struct Recommendation: Codable, Equatable {
    var missionId: String
    /// `next` after a pass, `retry` after a failure.
    var reason: String
    /// The mission whose evaluation led to it.
    var after: String
    var at: String
}

/// One user's record of one mission.
struct MissionRecord: Codable, Equatable {
    var userId: String
    var missionId: String
    /// `assigned`, `startable`, `passed` or `failed`.
    var status: String
    var assignedAt: String?
    var environment: Environment?
    var websocket: Websocket?
    var evaluations: [EvaluationResult] = []
    var bestScore: Int?
    /// Whether any evaluation passed.
    var passed: Bool = false

    static let assigned = "assigned"
    static let startable = "startable"
}

/// The mission's provisioned environment.
struct Environment: Codable, Equatable {
    var resourceId: String
    var active: Bool
    var activatedAt: String
}

struct Websocket: Codable, Equatable {
    var enabled: Bool
    var path: String
}

/// One stored evaluation.
struct EvaluationResult: Codable, Equatable {
    var eventId: String
    var evaluationId: String
    var score: Int
    var passed: Bool
    var feedback: String
    var evaluatedAt: String
}

/// The user's data directory: a record only, nothing is written to a filesystem.
struct DataDirectory: Codable, Equatable {
    var userId: String
    var path: String
    var createdAt: String
}
