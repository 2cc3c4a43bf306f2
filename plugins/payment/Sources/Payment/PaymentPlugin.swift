// The Payment Service's consumer rows of the event catalog (section 4).
import EventdServiceKit
import Foundation

/// Keeps each user's ticket wallet: deducts tickets when a mission starts,
/// grants welcome, daily-login and evaluation tickets, settles completed
/// missions, and publishes `payment.ticket-balance-low` and notifications.
public final class PaymentPlugin: HandlerTablePlugin {
    public static let name = "payment"
    public static let service = "payment-service"
    public static let transactional = true
    public static let missionGroup = "payment-service-mission-group"
    #if PAYMENT_CATALOG_BASELINE
    // Built with -DPAYMENT_CATALOG_BASELINE: the service as the catalog describes it
    // today, with only mission.started implemented. The daemon's tests ship the ⚠️
    // handlers to a running daemon by reloading this build with the full one.
    public static let version = "0.9.0"
    public static let handlers: [Handler<PaymentPlugin>] = [
        .service("mission.started", group: missionGroup, rules: .nonEmptyIds, PaymentPlugin.missionStarted),
    ]
    #else
    public static let version = "1.0.0"
    /// Payload ids only need to be non-empty here (`PayloadRules.nonEmptyIds`).
    public static let handlers: [Handler<PaymentPlugin>] = [
        .service("user.registered", group: "payment-service-user-group", rules: .nonEmptyIds, PaymentPlugin.userRegistered),
        .service("user.login", group: "payment-service-auth-group", rules: .nonEmptyIds, PaymentPlugin.userLogin),
        .service("mission.started", group: missionGroup, rules: .nonEmptyIds, PaymentPlugin.missionStarted),
        .service("mission.completed", group: missionGroup, rules: .nonEmptyIds, PaymentPlugin.missionCompleted),
        .service("evaluation.completed", group: "payment-service-evaluation-group", rules: .nonEmptyIds,
                 PaymentPlugin.evaluationCompleted),
    ]
    #endif

    let host: PluginHost
    let settings: PaymentSettings
    let documents: StateDocuments
    let followUps: FollowUpPublisher
    let locks = UserLocks()

    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        self.settings = try PaymentSettings(settings)
        documents = StateDocuments(host: host)
        followUps = FollowUpPublisher(host: host, plugin: Self.name, source: Self.service,
                                      notificationTopic: self.settings.notificationTopic)
    }

    static func walletKey(_ userId: String) -> String { "wallet/\(userId)" }

    /// Runs `change` on the user's wallet once per event, under the user's
    /// lock, opening the wallet when there is none, and saves it last
    /// (`StateDocuments.applyOnce`). `change` publishes its follow-ups before
    /// the wallet is saved: a failed save brings the event again and the
    /// follow-ups are re-sent with the same ids, dropped downstream.
    func updateWallet<P: UserPayload>(
        _ source: Incoming<P>, openingPlan: String = "basic",
        _ change: (inout Wallet, _ opened: Bool) throws(HandlingFailure) -> Void
    ) throws(HandlingFailure) {
        try documents.applyOnce(source, key: Self.walletKey(source.userId), locks: locks, create: {
            let wallet = Wallet.open(userId: source.userId, plan: openingPlan, tickets: settings.welcomeTickets,
                                     by: source.event.name, at: Timestamp.string(source.at))
            host.log(.info, "wallet opened", ["user_id": source.userId, "event": source.event.name,
                                              "balance": String(wallet.balance)])
            return wallet
        }, change)
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(PaymentPlugin.self) }
