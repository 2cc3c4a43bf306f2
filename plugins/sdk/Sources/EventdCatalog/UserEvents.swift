// The user-events and notification-events payloads of the catalog (plugins/README.md).

/// `user.registered`.
public struct UserRegistered: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var email: String
    public var displayName: String
    public var plan: String

    public init(userId: String, email: String, displayName: String, plan: String) {
        (self.userId, self.email, self.displayName, self.plan) = (userId, email, displayName, plan)
    }

    public func validate(_ rules: PayloadRules) throws {
        try Check.nonEmpty(email, "email")
        _ = try Plan.parse(plan, field: "plan")
    }
}

/// `user.login`.
public struct UserLogin: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var sessionId: String
    public var ip: String?

    public init(userId: String, sessionId: String, ip: String? = nil) {
        (self.userId, self.sessionId, self.ip) = (userId, sessionId, ip)
    }
}

/// `user.settings.changed`.
public struct UserSettingsChanged: Codable, Equatable, Sendable {
    public var userId: String
    public var settings: [String: String]
    public var reason: String

    public init(userId: String, settings: [String: String], reason: String) {
        (self.userId, self.settings, self.reason) = (userId, settings, reason)
    }
}

/// `user.profile.updated`.
public struct UserProfileUpdated: Codable, Equatable, Sendable {
    public var userId: String
    public var plan: String
    public var changes: [String]

    public init(userId: String, plan: String, changes: [String]) {
        (self.userId, self.plan, self.changes) = (userId, plan, changes)
    }
}

/// `notification.requested`: a mail (or another channel) for a mail sender outside the daemon.
public struct NotificationRequested: Codable, Equatable, Sendable {
    public var userId: String
    public var channel: String
    public var template: String
    public var data: [String: String]

    public init(userId: String, channel: String = "email", template: String, data: [String: String]) {
        (self.userId, self.channel, self.template, self.data) = (userId, channel, template, data)
    }
}
