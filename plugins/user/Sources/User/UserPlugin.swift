// The User Management Service's consumer rows of the event catalog (section 5):
// profiles and settings, the payment state and plan cache with the
// user.settings.changed / user.profile.updated follow-ups, and (⚠️ rows)
// mission usage statistics and evaluation achievements.
import EventdServiceKit
import Foundation

/// The `[settings]` of plugins.d/user.toml.
struct UserPluginSettings: Sendable {
    var notificationTopic = "notification-events"
    var userTopic = "user-events"
    var restrictAfterFailures = 3
    var systemPermissions = ["profile.read", "profile.write", "settings.write", "missions.browse", "notifications.receive"]
    var defaultLanguage = "ko"
    var defaultTimezone = "Asia/Seoul"
    var defaultPlan = Plan.basic
    var streakUTCOffsetMinutes = 540
    var missionMilestones = [1, 10, 50, 100]
    var passMilestones = [5, 10, 25]
    var historySize = 50

    static let keys: Set<String> = [
        "notification_topic", "user_topic", "restrict_after_failures", "system_permissions", "default_language",
        "default_timezone", "default_plan", "streak_utc_offset_minutes", "mission_milestones", "pass_milestones", "history_size",
    ]

    init() {}

    init(_ settings: PluginSettings) throws {
        try settings.requireOnly(Self.keys)
        notificationTopic = try settings.nonEmptyString("notification_topic", default: notificationTopic)
        userTopic = try settings.nonEmptyString("user_topic", default: userTopic)
        restrictAfterFailures = try settings.int("restrict_after_failures", default: restrictAfterFailures, minimum: 1)
        systemPermissions = try settings.strings("system_permissions") ?? systemPermissions
        defaultLanguage = try settings.nonEmptyString("default_language", default: defaultLanguage)
        defaultTimezone = try settings.nonEmptyString("default_timezone", default: defaultTimezone)
        let plan = try settings.nonEmptyString("default_plan", default: defaultPlan.rawValue)
        guard let parsed = Plan(rawValue: plan) else {
            throw SettingsError("setting 'default_plan' must be one of \(Plan.allCases.map(\.rawValue).joined(separator: ", ")), got '\(plan)'")
        }
        defaultPlan = parsed
        streakUTCOffsetMinutes = try settings.int("streak_utc_offset_minutes", default: streakUTCOffsetMinutes, minimum: -720)
        guard streakUTCOffsetMinutes <= 840 else {
            throw SettingsError("setting 'streak_utc_offset_minutes' must be at most 840, got \(streakUTCOffsetMinutes)")
        }
        missionMilestones = try settings.integers("mission_milestones", default: missionMilestones, minimum: 1)
        passMilestones = try settings.integers("pass_milestones", default: passMilestones, minimum: 1)
        historySize = try settings.int("history_size", default: historySize, minimum: 1)
    }
}

public final class UserPlugin: HandlerTablePlugin {
    public static let name = "user"
    public static let version = "1.0.0"
    public static let transactional = true
    /// The `source` of every event this plugin produces.
    public static let source = "user-service"

    public static let authGroup = "user-service-auth-group"
    public static let paymentGroup = "user-service-payment-group"
    public static let missionGroup = "user-service-mission-group"
    public static let evaluationGroup = "user-service-evaluation-group"

    public static let handlers: [Handler<UserPlugin>] = [
        .service("user.registered", group: authGroup, UserPlugin.userRegistered),
        .service("payment.subscription-renewal-failed", group: paymentGroup, UserPlugin.renewalFailed),
        // Also `subscription.changed` on subscription-events: an alias the daemon resolves.
        .service("payment.subscription-changed", group: paymentGroup, UserPlugin.subscriptionChanged),
        .service("payment.ticket-balance-low", group: paymentGroup, UserPlugin.ticketBalanceLow),
        .service("mission.completed", group: missionGroup, UserPlugin.missionCompleted),
        .service("evaluation.completed", group: evaluationGroup, UserPlugin.evaluationCompleted),
    ]

    let host: PluginHost
    let settings: UserPluginSettings
    let store: Store

    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        self.settings = try UserPluginSettings(settings)
        store = Store(host: host)
    }

    // MARK: shared effects

    func followUps<P>(_ incoming: Incoming<P>) -> FollowUps {
        FollowUps(incoming, host: host, plugin: Self.name, source: Self.source)
    }

    func notify<P>(_ out: FollowUps, _ incoming: Incoming<P>, _ template: String, _ data: [String: String]) throws {
        try out.notify(topic: settings.notificationTopic, template, data)
    }

    func settingsChanged<P>(_ out: FollowUps, _ incoming: Incoming<P>, _ values: [String: String]) throws {
        try out.produce(topic: settings.userTopic, type: "user.settings.changed",
                        payload: UserSettingsChanged(userId: incoming.userId, settings: values, reason: incoming.event.name))
    }

    func profileUpdated<P>(_ out: FollowUps, _ incoming: Incoming<P>, plan: Plan, changes: [String]) throws {
        try out.produce(topic: settings.userTopic, type: "user.profile.updated",
                        payload: UserProfileUpdated(userId: incoming.userId, plan: plan.rawValue, changes: changes))
    }

    /// The user's current plan: the cached plan change, else the plan at
    /// registration, else `default_plan`.
    func currentPlan(_ userId: String) throws -> Plan {
        if let subscription = try store.load(SubscriptionCache.self, Keys.subscription(userId)) { return subscription.plan }
        if let profile = try store.load(Profile.self, Keys.profile(userId)) { return profile.plan }
        return settings.defaultPlan
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(UserPlugin.self) }
