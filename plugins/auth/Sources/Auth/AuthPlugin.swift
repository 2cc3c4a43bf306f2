// The Authentication Service's consumer rows of the event catalog (section 2):
// account status, roles and permissions from payment events, mission session
// security from mission and resource events, evaluation statistics.
import EventdServiceKit
import Foundation

/// The `[settings]` of plugins.d/auth.toml.
struct AuthSettings: Sendable {
    var notificationTopic = "notification-events"
    var adminRecipient = "security-admins"
    var suspendAfterFailures = 3
    var maxPausesPerHour = 5
    var pauseWindowSeconds = 3600
    var longPauseSeconds = 1800
    var restrictAfterProvisioningFailures = 3
    var restrictionSeconds = 3600
    var supportFlagAfterFailures = 3
    var auditLogSize = 50
    var historySize = 20
    var permissions = PermissionTable(table: PermissionTable.defaults)

    static let keys: Set<String> = [
        "notification_topic", "admin_recipient", "suspend_after_failures", "max_pauses_per_hour", "pause_window_seconds",
        "long_pause_seconds", "restrict_after_provisioning_failures", "restriction_seconds", "support_flag_after_failures",
        "audit_log_size", "history_size", "permissions_basic", "permissions_pro", "permissions_premium",
    ]

    init() {}

    init(_ settings: PluginSettings) throws {
        try settings.requireOnly(Self.keys)
        notificationTopic = try settings.nonEmptyString("notification_topic", default: notificationTopic)
        adminRecipient = try settings.nonEmptyString("admin_recipient", default: adminRecipient)
        suspendAfterFailures = try settings.int("suspend_after_failures", default: suspendAfterFailures, minimum: 1)
        maxPausesPerHour = try settings.int("max_pauses_per_hour", default: maxPausesPerHour, minimum: 1)
        pauseWindowSeconds = try settings.int("pause_window_seconds", default: pauseWindowSeconds, minimum: 1)
        longPauseSeconds = try settings.int("long_pause_seconds", default: longPauseSeconds, minimum: 1)
        restrictAfterProvisioningFailures = try settings.int("restrict_after_provisioning_failures",
                                                             default: restrictAfterProvisioningFailures, minimum: 1)
        restrictionSeconds = try settings.int("restriction_seconds", default: restrictionSeconds, minimum: 1)
        supportFlagAfterFailures = try settings.int("support_flag_after_failures", default: supportFlagAfterFailures, minimum: 1)
        auditLogSize = try settings.int("audit_log_size", default: auditLogSize, minimum: 1)
        historySize = try settings.int("history_size", default: historySize, minimum: 1)
        for plan in Plan.allCases {
            if let list = try settings.strings("permissions_\(plan.rawValue)") { permissions.table[plan] = list }
        }
    }
}

public final class AuthPlugin: HandlerTablePlugin {
    public static let name = "auth"
    public static let version = "1.0.0"
    public static let transactional = true
    /// The `source` of every event this plugin produces.
    public static let source = "auth-service"

    public static let paymentGroup = "auth-service-payment-group"
    public static let missionGroup = "auth-service-mission-group"
    public static let evaluationGroup = "auth-service-evaluation-group"

    public static let handlers: [Handler<AuthPlugin>] = [
        .service("payment.subscription-renewal-failed", group: paymentGroup, AuthPlugin.renewalFailed),
        .service("payment.subscription-changed", group: paymentGroup, AuthPlugin.subscriptionChanged),
        .service("payment.ticket-balance-low", group: paymentGroup, AuthPlugin.ticketBalanceLow),
        .service("mission.paused", group: missionGroup, AuthPlugin.missionPaused),
        .service("mission.resumed", group: missionGroup, AuthPlugin.missionResumed),
        .service("resource.provisioning.failed", group: missionGroup, AuthPlugin.provisioningFailed),
        .service("resource.cleanup.completed", group: missionGroup, AuthPlugin.cleanupCompleted),
        .service("evaluation.started", group: evaluationGroup, AuthPlugin.evaluationStarted),
        .service("evaluation.failed", group: evaluationGroup, AuthPlugin.evaluationFailed),
        .service("evaluation.retry.requested", group: evaluationGroup, AuthPlugin.retryRequested),
        .service("evaluation.retry.completed", group: evaluationGroup, AuthPlugin.retryCompleted),
    ]

    let host: PluginHost
    let settings: AuthSettings
    let store: Store

    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        self.settings = try AuthSettings(settings)
        store = Store(host: host)
    }

    // MARK: shared effects

    func followUps<P>(_ incoming: Incoming<P>) -> FollowUps {
        FollowUps(incoming, host: host, plugin: Self.name, source: Self.source)
    }

    /// A mail to the user (`security.*`, `marketing.*`).
    func notifyUser<P>(_ out: FollowUps, _ incoming: Incoming<P>, _ template: String, _ data: [String: String]) throws {
        try out.notify(topic: settings.notificationTopic, template, data)
    }

    /// An alert to the administrators (`admin.*`), about this user.
    func alertAdmins<P>(_ out: FollowUps, _ incoming: Incoming<P>, _ template: String, _ data: [String: String]) throws {
        var data = data
        data["recipient"] = settings.adminRecipient
        try out.notify(topic: settings.notificationTopic, template, data)
    }

    /// Appends entries to the user's bounded security log of `stream`.
    func audit<P>(_ incoming: Incoming<P>, _ stream: AuditStream, _ entries: [(action: String, detail: [String: String])]) throws {
        let key = Keys.audit(incoming.userId, stream)
        var log = try store.load(AuditLog.self, key) ?? AuditLog(entries: [])
        for entry in entries {
            appendBounded(&log.entries, AuditEntry(at: incoming.at, eventId: incoming.eventId, event: incoming.event.name,
                                                   action: entry.action, detail: entry.detail), limit: settings.auditLogSize)
        }
        try store.save(key, log)
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(AuthPlugin.self) }
