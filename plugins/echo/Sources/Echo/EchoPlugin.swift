// Republishes every event it is routed on one output topic, value unchanged.
import EventdPluginSDK

public final class EchoPlugin: EventPlugin {
    public static let name = "echo"
    public static let version = "1.0.0"
    public static let subscriptions = [Subscription("*", group: "echo-group")]

    let host: PluginHost
    let outputTopic: String

    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        outputTopic = try settings.string("output_topic") ?? "echo-events"
        guard !outputTopic.isEmpty else { throw SettingsError("setting 'output_topic' must not be empty") }
    }

    public func handle(_ event: Event) -> Outcome {
        // Never echo our own output: a loop would grow without end.
        if event.topic == outputTopic { return .ok }
        var headers = event.headers
        headers.append(Header("x-echo-plugin", Self.name))
        headers.append(Header("x-echo-plugin-version", Self.version))
        headers.append(Header("x-echo-event", event.name))
        do {
            try host.produce(topic: outputTopic, key: event.key, value: event.value, headers: headers)
            return .ok
        } catch {
            return .retry("echo to \(outputTopic) failed: \(error)")
        }
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(EchoPlugin.self) }
