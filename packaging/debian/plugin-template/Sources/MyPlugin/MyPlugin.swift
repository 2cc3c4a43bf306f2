// my-plugin: counts mission.started events per record key (the user) in the
// host's store and announces each user's first start on an output topic.
// Replace it with your handlers.
import EventdPluginSDK

public final class MyPlugin: HandlerTablePlugin {
    public static let name = "my-plugin"          // [a-z0-9._-]+, unique per daemon
    public static let version = "1.0.0"
    /// One line per handled (event, consumer group): the SDK derives the
    /// plugin's subscriptions and its dispatch from this table. A new handler
    /// is one method plus one line here.
    public static let handlers: [Handler<MyPlugin>] = [
        Handler("mission.started", group: "my-plugin-group") { plugin, event in plugin.missionStarted(event) },
    ]

    let host: PluginHost
    let outputTopic: String

    /// - Parameter settings: the `[settings]` table of plugins.d/my-plugin.toml.
    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        outputTopic = try settings.string("output_topic") ?? "my-plugin-events"
    }

    func missionStarted(_ event: Event) -> Outcome {
        // State lives in the host's store: it survives restarts and reloads.
        let key = "started/" + String(decoding: event.key ?? [], as: UTF8.self)
        do {
            let count = (try host.stateString(key)).flatMap(Int.init) ?? 0
            if count == 0 {
                try host.produce(topic: outputTopic, key: event.key, value: event.value, headers: [])
            }
            try host.setState(key, String(count + 1))
            return .ok
        } catch {
            return .retry("\(error)")  // transient: the host retries, then dead-letters
        }
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(MyPlugin.self) }
