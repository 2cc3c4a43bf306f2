// The Mission Management Service's consumer rows of the event catalog (section 3).
import EventdCatalog
import EventdPluginSDK
import EventdServiceKit
import Foundation

/// Keeps each user's mission progress: sets it up at registration, records
/// evaluation results with the next mission and the achievement level, and
/// makes a mission startable when its environment is ready. Its only
/// follow-ups are notifications to the user.
public final class MissionPlugin: HandlerTablePlugin {
    public static let name = "mission"
    public static let version = "1.0.0"
    public static let service = "mission-service"
    public static let transactional = true
    /// Payload ids only need to be non-empty here (`PayloadRules.nonEmptyIds`).
    public static let handlers: [Handler<MissionPlugin>] = [
        .service("user.registered", group: "mission-service-user-group", rules: .nonEmptyIds, MissionPlugin.userRegistered),
        .service("evaluation.completed", group: "mission-service-evaluation-group", rules: .nonEmptyIds,
                 MissionPlugin.evaluationCompleted),
        .service("resource.created", group: "mission-service-resource-group", rules: .nonEmptyIds, MissionPlugin.resourceCreated),
    ]

    let host: PluginHost
    let settings: MissionSettings
    let documents: StateDocuments
    let followUps: FollowUpPublisher
    let locks = UserLocks()

    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        self.settings = try MissionSettings(settings)
        documents = StateDocuments(host: host)
        followUps = FollowUpPublisher(host: host, plugin: Self.name, source: Self.service,
                                      notificationTopic: self.settings.notificationTopic)
    }

    static func progressKey(_ userId: String) -> String { "progress/\(userId)" }
    static func missionKey(_ userId: String, _ missionId: String) -> String { "mission/\(userId)/\(missionId)" }
    static func directoryKey(_ userId: String) -> String { "directory/\(userId)" }

    /// Runs `change` under the user's lock on the user's progress (new when
    /// there is none) and saves the progress last, with the event remembered.
    /// A redelivered event found in the progress changes nothing.
    ///
    /// `change` publishes its notifications and writes its other documents
    /// first, idempotently: if anything fails before the progress is saved,
    /// the event comes again, the notifications are re-sent with the same ids
    /// (dropped downstream as duplicates) and the writes repeat harmlessly.
    func updateProgress<P: UserPayload>(
        _ source: Incoming<P>, _ change: (inout MissionProgress) throws(HandlingFailure) -> Void
    ) throws(HandlingFailure) {
        let key = Self.progressKey(source.userId)
        try locks.withLock(source.userId) { () throws(HandlingFailure) in
            var progress = try documents.load(MissionProgress.self, key) ?? MissionProgress(userId: source.userId)
            guard !progress.hasApplied(source.eventId) else {
                host.log(.debug, "event already applied", ["event_id": source.eventId, "user_id": source.userId])
                return
            }
            try change(&progress)
            progress.remember(source.eventId)
            try documents.save(progress, key)
        }
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(MissionPlugin.self) }
