// The user-events and notification-events payloads of the catalog (plugins/README.md).

/// `user.registered`.
public struct UserRegistered: UserPayload, Codable, Equatable, Sendable {
    public var userId, email, displayName, plan: String

    public func validate(_ rules: PayloadRules) throws {
        try Check.nonEmpty(email, "email")
        _ = try Plan.parse(plan, field: "plan")
    }
}

/// `user.login`.
public struct UserLogin: UserPayload, Codable, Equatable, Sendable {
    public var userId, sessionId: String
    public var ip: String?
}

/// `user.settings.changed` (produced by the user plugin).
public struct UserSettingsChanged: Codable, Equatable, Sendable {
    public var userId: String
    public var settings: [String: String]
    public var reason: String

    public init(userId: String, settings: [String: String], reason: String) {
        (self.userId, self.settings, self.reason) = (userId, settings, reason)
    }
}

/// `user.profile.updated` (produced by the user plugin).
public struct UserProfileUpdated: Codable, Equatable, Sendable {
    public var userId, plan: String
    public var changes: [String]

    public init(userId: String, plan: String, changes: [String]) {
        (self.userId, self.plan, self.changes) = (userId, plan, changes)
    }
}

/// `notification.requested`: a mail (or another channel) for a mail sender outside the daemon.
public struct NotificationRequested: Codable, Equatable, Sendable {
    public var userId, channel, template: String
    public var data: [String: String]

    public init(userId: String, channel: String = "email", template: String, data: [String: String]) {
        (self.userId, self.channel, self.template, self.data) = (userId, channel, template, data)
    }
}
