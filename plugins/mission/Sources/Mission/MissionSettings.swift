// The `[settings]` table of plugins.d/mission.toml, with its defaults.
import EventdServiceKit

struct MissionSettings: Equatable {
    /// Where `notification.requested` events go.
    var notificationTopic = "notification-events"
    /// Missions every new user may open.
    var defaultMissions = ["intro-1", "intro-2"]
    /// The guide mission assigned at registration; empty assigns none.
    var guideMission = "intro-1"
    /// The mission catalogue in recommended order.
    var missionOrder = ["intro-1", "intro-2", "basics-1", "basics-2", "advanced-1"]
    /// Passed-mission counts at which the achievement level goes up (level = thresholds reached).
    var levelThresholds = [1, 3, 5]
    /// Root of the per-user data directories (`<data_root>/<userId>/`).
    var dataRoot = "users"
    /// Websocket path prefix of mission environments (`<websocket_path>/<resourceId>`).
    var websocketPath = "/ws/environments"

    init() {}

    /// - Throws: `SettingsError` for a wrong type, an empty name, a duplicate or unordered thresholds.
    init(_ settings: PluginSettings) throws {
        let known: Set = ["notification_topic", "default_missions", "guide_mission", "mission_order",
                          "level_thresholds", "data_root", "websocket_path"]
        if let unknown = settings.raw.keys.sorted().first(where: { !known.contains($0) }) {
            throw SettingsError("unknown setting '\(unknown)' (expected one of: \(known.sorted().joined(separator: ", ")))")
        }
        notificationTopic = try settings.string("notification_topic") ?? notificationTopic
        guard !notificationTopic.isEmpty else { throw SettingsError("setting 'notification_topic' must not be empty") }
        defaultMissions = try Self.missionList(settings, "default_missions") ?? defaultMissions
        guideMission = try settings.string("guide_mission") ?? guideMission
        missionOrder = try Self.missionList(settings, "mission_order") ?? missionOrder
        levelThresholds = try settings.ints("level_thresholds") ?? levelThresholds
        for (index, threshold) in levelThresholds.enumerated() {
            guard threshold > 0, index == 0 || threshold > levelThresholds[index - 1] else {
                throw SettingsError("setting 'level_thresholds' must be positive and strictly ascending")
            }
        }
        dataRoot = try settings.string("data_root") ?? dataRoot
        guard !dataRoot.isEmpty else { throw SettingsError("setting 'data_root' must not be empty") }
        websocketPath = try settings.string("websocket_path") ?? websocketPath
    }

    private static func missionList(_ settings: PluginSettings, _ key: String) throws -> [String]? {
        guard let list = try settings.strings(key) else { return nil }
        if list.contains("") { throw SettingsError("setting '\(key)' must not contain an empty mission id") }
        if let duplicate = list.enumerated().first(where: { list.firstIndex(of: $0.element) != $0.offset })?.element {
            throw SettingsError("setting '\(key)' lists '\(duplicate)' twice")
        }
        return list
    }

    /// The mission to recommend after `missionId` given the missions passed:
    /// passed, the next mission of `mission_order` not yet passed (wrapping to
    /// earlier ones skipped); failed, the same mission again.
    func recommendation(after missionId: String, passed: Bool, passedMissions: Set<String>) -> (missionId: String, reason: String)? {
        guard passed else { return (missionId, "retry") }
        let candidates: [String]
        if let index = missionOrder.firstIndex(of: missionId) {
            candidates = Array(missionOrder[(index + 1)...] + missionOrder[..<index])
        } else {
            candidates = missionOrder
        }
        return candidates.first { !passedMissions.contains($0) && $0 != missionId }.map { ($0, "next") }
    }

    /// The achievement level reached with `passedCount` missions passed.
    func level(passedCount: Int) -> Int {
        levelThresholds.filter { passedCount >= $0 }.count
    }
}
