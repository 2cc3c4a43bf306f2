// The mission-events and resource-events payloads of the catalog (plugins/README.md).

/// `mission.started`.
public struct MissionStarted: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId: String
    @Integer public var ticketCost: Int

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonNegative(ticketCost, "ticketCost")
    }
}

/// `mission.paused` and `mission.resumed`.
public struct MissionSessionEvent: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId: String

    public func validate(_ rules: PayloadRules) throws { try rules.id(missionId, "missionId") }
}

/// `mission.completed`; `resultKey` is the object-store key of the mission's result data.
public struct MissionCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, resultKey: String
    @Integer public var durationSeconds: Int

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonNegative(durationSeconds, "durationSeconds")
    }
}

/// `resource.created`.
public struct ResourceCreated: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, resourceId: String

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonEmpty(resourceId, "resourceId")
    }
}

/// `resource.provisioning.failed` (alias `mission.resource-provisioning-failed`).
public struct ProvisioningFailed: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId: String
    public var resourceId: String?
    public var reason: String

    public func validate(_ rules: PayloadRules) throws { try rules.id(missionId, "missionId") }
}

/// `resource.cleanup.completed` (alias `mission.resource-cleanup-completed`).
public struct CleanupCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, resourceId: String
    public var usageSeconds: Int

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonEmpty(resourceId, "resourceId")
        try Check.nonNegative(usageSeconds, "usageSeconds")
    }
}
