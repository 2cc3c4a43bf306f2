// The Mission Management Service's consumer rows of the event catalog (section 3).
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

    /// Runs `change` on the user's progress (new when there is none) once per
    /// event, under the user's lock, and saves the progress last
    /// (`StateDocuments.applyOnce`).
    func updateProgress<P: UserPayload>(
        _ source: Incoming<P>, _ change: (inout MissionProgress) throws(HandlingFailure) -> Void
    ) throws(HandlingFailure) {
        try documents.applyOnce(source, key: Self.progressKey(source.userId), locks: locks,
                                create: { MissionProgress(userId: source.userId) }) { progress, _ throws(HandlingFailure) in
            try change(&progress)
        }
    }

    /// Runs `change` on the user's record of `missionId` (new with
    /// `newStatus` when there is none) and saves it.
    /// - Returns: the record's status as saved.
    @discardableResult
    func updateRecord(
        _ userId: String, _ missionId: String, newStatus: String, _ change: (inout MissionRecord) throws(HandlingFailure) -> Void
    ) throws(HandlingFailure) -> String {
        let key = Self.missionKey(userId, missionId)
        var record = try documents.load(MissionRecord.self, key) ?? MissionRecord(userId: userId, missionId: missionId, status: newStatus)
        try change(&record)
        try documents.save(record, key)
        return record.status
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(MissionPlugin.self) }
