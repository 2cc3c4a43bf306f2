// The mission-events and resource-events payloads of the catalog (plugins/README.md).

/// `mission.started`.
public struct MissionStarted: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    @Integer public var ticketCost: Int

    public init(userId: String, missionId: String, ticketCost: Int) {
        (self.userId, self.missionId, self.ticketCost) = (userId, missionId, ticketCost)
    }

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonNegative(ticketCost, "ticketCost")
    }
}

/// `mission.paused` and `mission.resumed`.
public struct MissionSessionEvent: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String

    public init(userId: String, missionId: String) {
        (self.userId, self.missionId) = (userId, missionId)
    }

    public func validate(_ rules: PayloadRules) throws { try rules.id(missionId, "missionId") }
}

/// `mission.completed`.
public struct MissionCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    /// Object-store key of the mission's result data.
    public var resultKey: String
    @Integer public var durationSeconds: Int

    public init(userId: String, missionId: String, resultKey: String, durationSeconds: Int) {
        (self.userId, self.missionId, self.resultKey, self.durationSeconds) = (userId, missionId, resultKey, durationSeconds)
    }

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonNegative(durationSeconds, "durationSeconds")
    }
}

/// `resource.created`.
public struct ResourceCreated: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var resourceId: String

    public init(userId: String, missionId: String, resourceId: String) {
        (self.userId, self.missionId, self.resourceId) = (userId, missionId, resourceId)
    }

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonEmpty(resourceId, "resourceId")
    }
}

/// `resource.provisioning.failed` (alias `mission.resource-provisioning-failed`).
public struct ProvisioningFailed: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var resourceId: String?
    public var reason: String

    public init(userId: String, missionId: String, resourceId: String? = nil, reason: String) {
        (self.userId, self.missionId, self.resourceId, self.reason) = (userId, missionId, resourceId, reason)
    }

    public func validate(_ rules: PayloadRules) throws { try rules.id(missionId, "missionId") }
}

/// `resource.cleanup.completed` (alias `mission.resource-cleanup-completed`).
public struct CleanupCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var resourceId: String
    public var usageSeconds: Int

    public init(userId: String, missionId: String, resourceId: String, usageSeconds: Int) {
        (self.userId, self.missionId, self.resourceId, self.usageSeconds) = (userId, missionId, resourceId, usageSeconds)
    }

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonEmpty(resourceId, "resourceId")
        try Check.nonNegative(usageSeconds, "usageSeconds")
    }
}
