// The Payment Service's consumer rows of the event catalog (section 4).
import EventdCatalog
import EventdPluginSDK
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

    /// Runs `change` on the user's wallet under the user's lock, opening the
    /// wallet when there is none, and saves it with the event remembered.
    /// A redelivered event already applied changes nothing and produces nothing.
    ///
    /// `change` publishes its follow-ups before the wallet is saved: if the
    /// save fails, the event comes again and the follow-ups are re-sent with
    /// the same ids, which downstream consumers drop as duplicates.
    func updateWallet<P: UserPayload>(
        _ source: Incoming<P>, openingPlan: String = "basic",
        _ change: (inout Wallet, _ opened: Bool) throws(HandlingFailure) -> Void
    ) throws(HandlingFailure) {
        let key = Self.walletKey(source.userId)
        try locks.withLock(source.userId) { () throws(HandlingFailure) in
            var opened = false
            var wallet: Wallet
            if let existing = try documents.load(Wallet.self, key) {
                wallet = existing
            } else {
                wallet = .open(userId: source.userId, plan: openingPlan, tickets: settings.welcomeTickets,
                               by: source.event.name, at: Timestamp.string(source.at))
                opened = true
                host.log(.info, "wallet opened", ["user_id": source.userId, "event": source.event.name,
                                                  "balance": String(wallet.balance)])
            }
            guard !wallet.hasApplied(source.eventId) else {
                host.log(.debug, "event already applied", ["event_id": source.eventId, "user_id": source.userId])
                return
            }
            try change(&wallet, opened)
            wallet.remember(source.eventId)
            try documents.save(wallet, key)
        }
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(PaymentPlugin.self) }
