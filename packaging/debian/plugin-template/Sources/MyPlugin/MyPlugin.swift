// my-plugin: rewards every third completed mission of a user with a
// `reward.granted` follow-up event. Transactional: the user's counter, the
// follow-up and the event's idempotency-ledger entry commit together, once
// per event id. plugins/sdk/README.md walks through this file.
import EventdPluginSDK
import Foundation

/// The fields of `mission.completed`'s payload this plugin reads (others are ignored).
struct MissionCompleted: Decodable {
    var userId: String
    var missionId: String
}

/// The payload of the follow-up.
struct RewardGranted: Encodable {
    var userId: String
    var missionId: String
    var completedMissions: Int
    var every: Int
}

public final class MyPlugin: HandlerTablePlugin {
    public static let name = "my-plugin"          // [a-z0-9._-]+, unique per daemon; the .so is lib<name>.so
    public static let version = "1.0.0"
    /// State writes, produced events and the ledger entry commit with the event, or not at all.
    public static let transactional = true
    /// The reward comes with every `every`-th completion unless [settings] say otherwise.
    static let defaultEvery = 3
    static let followUpType = "reward.granted"

    /// One line per handled (event, consumer group): the SDK derives the
    /// plugin's subscriptions and its dispatch from this table.
    public static let handlers: [Handler<MyPlugin>] = [
        Handler("mission.completed", group: "my-plugin-group") { plugin, event in plugin.missionCompleted(event) },
    ]

    let host: PluginHost
    let outputTopic: String
    let every: Int

    /// - Parameter settings: the `[settings]` table of plugins.d/my-plugin.toml (empty without the file).
    /// - Throws: `SettingsError` for a bad setting: the daemon refuses the load and says why.
    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        (outputTopic, every) = try Self.read(settings)
    }

    static func read(_ settings: PluginSettings) throws -> (outputTopic: String, every: Int) {
        let every = try settings.int("every") ?? defaultEvery
        guard every > 0 else { throw SettingsError("setting 'every' must be a positive integer") }
        return (try settings.string("output_topic") ?? "my-plugin-events", every)
    }

    func missionCompleted(_ event: Event) -> Outcome {
        // A payload that cannot be read never will be: reject (dead-lettered with the reason).
        let completed: EventEnvelope<MissionCompleted>
        do {
            completed = try EventEnvelope(event)
        } catch {
            return .reject("\(error)")
        }
        let user = completed.payload.userId
        guard !user.isEmpty else { return .reject("field 'payload.userId' must not be empty") }
        do {
            // State lives in the host's store: it survives restarts and reloads.
            let key = "completed/" + user
            let count = ((try host.stateString(key)).flatMap(Int.init) ?? 0) + 1
            try host.setState(key, String(count))
            if count % every == 0 {
                // followUpID: the same event always yields the same id, so a
                // follow-up sent again is recognised downstream as a duplicate.
                let reward = OutgoingEvent(
                    id: event.followUpID(0, plugin: Self.name), type: Self.followUpType, source: Self.name, subject: user,
                    payload: RewardGranted(userId: user, missionId: completed.payload.missionId, completedMissions: count, every: every),
                    after: completed.lineage)
                try host.produce(reward, topic: outputTopic, key: Array(user.utf8), after: completed.lineage)
            }
            return .ok
        } catch {
            // The store or the producer failed, not the event: transient, the host retries.
            return .retry("\(error)")
        }
    }
}

/// `devtrip-eventd --check-config` asks this before the daemon starts.
extension MyPlugin: SettingsChecking {
    public static func checkSettings(_ settings: PluginSettings) throws { _ = try read(settings) }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(MyPlugin.self) }
