// The Prometheus endpoint, scraped over real TCP and parsed.
import Foundation
import Testing

/// One scrape: metric lines by name and labels.
struct Scrape {
    var samples: [(name: String, labels: [String: String], value: Double)] = []
    var types: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count >= 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: String
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    if kv.count == 2 { labels[String(kv[0])] = String(kv[1].dropFirst().dropLast()) }
                }
            } else {
                name = String(series)
            }
            samples.append((name, labels, value))
        }
    }

    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { k, v in sample.labels[k] == v } }?.value
    }
}

enum HTTP {
    /// GET over a plain TCP socket; returns (status line, body).
    static func get(port: Int, path: String) throws -> (String, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw HarnessError("connect to metrics port \(port): \(errno)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw HarnessError("no HTTP header end in: \(text.prefix(200))") }
        return (text[..<split.lowerBound].components(separatedBy: "\r\n").first ?? "", String(text[split.upperBound...]))
    }
}

@Suite struct MetricsEndToEndTests {
    @Test func everyCatalogMonitoringPointIsExposedInPrometheusFormat() throws {
        let dir = try Harness.temporaryDirectory("metrics")
        let config = try Harness.configuration(in: dir, replacing: [(#"listen = """#, #"listen = "127.0.0.1:0""#)],
                                               pluginFiles: ["counter": "[plugin]\nenabled = true\n\n[settings]\nreject_id = \"bad\"\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["echo"], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: plugins, dir: dir)
        defer { daemon.child.stop() }
        let port = try #require(daemon.child.log.components(separatedBy: "url=http://127.0.0.1:").dropFirst().first
            .flatMap { Int($0.prefix { $0.isNumber }) })

        let b = daemon.bootstrap
        let events = EventStream.make(count: 30, keys: 3, ceEvery: 1000, prefix: "m")
        try EventStream.produce(events[...], brokers: b, topic: "mission-events")
        try Kcat.produce(b, topic: "mission-events", lines: [("k", "{broken"), ("k", #"{"eventId":"bad","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)])
        let started = events.filter { $0.name == "mission.started" }.count + 1

        var scrape = Scrape("")
        try Harness.waitUntil("the counters to settle", timeout: 60, poll: 0.5) {
            let (status, body) = try HTTP.get(port: port, path: "/metrics")
            #expect(status == "HTTP/1.1 200 OK")
            scrape = Scrape(body)
            return scrape.value("devtrip_eventd_events_consumed_total", ["group": "counter-group", "topic": "mission-events"]) == 32
                && scrape.value("devtrip_eventd_events_consumed_total", ["group": "echo-group", "topic": "mission-events"]) == 32
        }
        #expect(scrape.value("devtrip_eventd_events_handled_total", ["group": "echo-group", "plugin": "echo", "event": "mission.started"]) == Double(started))
        #expect(scrape.value("devtrip_eventd_events_handled_total", ["group": "counter-group", "plugin": "counter", "event": "mission.started"]) == Double(started - 1))
        #expect(scrape.value("devtrip_eventd_handler_failures_total", ["plugin": "counter", "outcome": "rejected"]) == 1)
        #expect(scrape.value("devtrip_eventd_events_dead_lettered_total", ["group": "counter-group", "outcome": "rejected"]) == 1)
        #expect(scrape.value("devtrip_eventd_events_dead_lettered_total", ["group": "echo-group", "outcome": "malformed"]) == 1)
        #expect(scrape.value("devtrip_eventd_events_skipped_total", ["group": "counter-group", "topic": "mission-events"]) == 20, "paused and resumed events")
        #expect(scrape.types["devtrip_eventd_handler_latency_seconds"] == "histogram")
        #expect(scrape.value("devtrip_eventd_handler_latency_seconds_count", ["plugin": "echo", "event": "mission.started"]) == Double(started))
        #expect((scrape.value("devtrip_eventd_rebalances_total", ["group": "echo-group"]) ?? 0) >= 1)

        // Lag per group and partition, sampled every lag_interval_ms (5 s).
        try Harness.waitUntil("lag gauges", timeout: 30, poll: 1) {
            scrape = Scrape(try HTTP.get(port: port, path: "/metrics").1)
            return scrape.samples.contains { $0.name == "devtrip_eventd_consumer_lag" && $0.labels["group"] == "echo-group" }
        }
        let lag = scrape.samples.filter { $0.name == "devtrip_eventd_consumer_lag" && $0.labels["topic"] == "mission-events" }
        #expect(lag.count == 12, "6 partitions for each of the 2 groups")
        #expect(lag.allSatisfy { $0.value == 0 })

        #expect(try Eventctl.run(["plugin-reload", "echo"], socket: daemon.socket).status == 0)
        scrape = Scrape(try HTTP.get(port: port, path: "/metrics").1)
        #expect(scrape.value("devtrip_eventd_plugin_reloads_total", ["plugin": "echo", "result": "ok"]) == 1)
        #expect(try HTTP.get(port: port, path: "/other").0 == "HTTP/1.1 404 Not Found")

        // devtrip-eventctl stats shows the same lag.
        let stats = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        let echoGroup = (stats?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == "echo-group" }
        #expect(((echoGroup?["lag"] as? [[String: Any]])?.count ?? 0) >= 6)
    }

    @Test func aNonLoopbackMetricsAddressIsRefusedByTheConfigCheck() throws {
        let dir = try Harness.temporaryDirectory("metricsconf")
        let config = try Harness.configuration(in: dir, replacing: [(#"listen = """#, #"listen = "0.0.0.0:9464""#)])
        let result = try Eventctl.run(["conf-check", "--config", config], socket: "")
        #expect(result.status == 1)
        #expect(result.stderr.contains("metrics.listen: must be a loopback host:port"))
    }
}
