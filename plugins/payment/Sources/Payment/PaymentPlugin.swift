// The Payment Service's consumer rows of the event catalog (section 4).
import EventdPluginSDK
import Foundation

/// Keeps each user's ticket wallet: deducts tickets when a mission starts,
/// grants welcome, daily-login and evaluation tickets, settles completed
/// missions, and publishes `payment.ticket-balance-low` and notifications.
public final class PaymentPlugin: EventPlugin {
    public static let name = "payment"
    public static let service = "payment-service"
    public static let transactional = true
    #if PAYMENT_CATALOG_BASELINE
    // Built with -DPAYMENT_CATALOG_BASELINE: the service as the catalog describes it
    // today, with only mission.started implemented. The daemon's tests ship the ⚠️
    // handlers to a running daemon by reloading this build with the full one.
    public static let version = "0.9.0"
    public static let subscriptions = [
        Subscription("mission.started", group: "payment-service-mission-group"),
    ]
    #else
    public static let version = "1.0.0"
    public static let subscriptions = [
        Subscription("user.registered", group: "payment-service-user-group"),
        Subscription("user.login", group: "payment-service-auth-group"),
        Subscription("mission.started", group: "payment-service-mission-group"),
        Subscription("mission.completed", group: "payment-service-mission-group"),
        Subscription("evaluation.completed", group: "payment-service-evaluation-group"),
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

    public func handle(_ event: Event) -> Outcome {
        do {
            switch event.name {
            case "user.registered": try userRegistered(UserEvent(event))
            case "user.login": try userLogin(UserEvent(event))
            case "mission.started": try missionStarted(UserEvent(event))
            case "mission.completed": try missionCompleted(UserEvent(event))
            case "evaluation.completed": try evaluationCompleted(UserEvent(event))
            default: return .reject("payment does not handle event '\(event.name)'")
            }
            return .ok
        } catch {
            return error.outcome
        }
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
        _ source: UserEvent<P>, openingPlan: String = "basic",
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
                               by: source.event.name, at: Timestamp.rfc3339(source.occurredAt))
                opened = true
                host.log(.info, "wallet opened", ["user_id": source.userId, "event": source.event.name,
                                                  "balance": String(wallet.balance)])
            }
            guard !wallet.hasApplied(source.id) else {
                host.log(.debug, "event already applied", ["event_id": source.id, "user_id": source.userId])
                return
            }
            try change(&wallet, opened)
            wallet.remember(source.id)
            try documents.save(wallet, key)
        }
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(PaymentPlugin.self) }
