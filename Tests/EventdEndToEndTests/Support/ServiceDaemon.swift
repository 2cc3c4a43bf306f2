// The five DevTrip service plugins in one real daemon on the embedded broker,
// with a directory object store for ai-evaluation: publishing catalog events
// with kcat, reading follow-ups back, reading the plugins' state (the
// scenario and chain end-to-end tests).
import Foundation
import Testing

/// One JSON envelope read back from a topic.
struct Envelope {
    var topic: String
    var key: String
    var json: [String: Any]

    var id: String { json["eventId"] as? String ?? "" }
    var type: String { json["eventType"] as? String ?? "" }
    var source: String { json["source"] as? String ?? "" }
    var subject: String { json["subject"] as? String ?? "" }
    var payload: [String: Any] { json["payload"] as? [String: Any] ?? [:] }
    /// `notification.requested`: the template and its data.
    var template: String { payload["template"] as? String ?? "" }
    var data: [String: String] { payload["data"] as? [String: String] ?? [:] }
}

/// A daemon running the five service plugins, with a directory object store for ai-evaluation.
final class ServiceDaemon {
    static let allPlugins = ["auth", "user", "payment", "mission", "ai-evaluation"]

    let dir: String
    let pluginDir: String
    let resultsRoot: String
    let daemon: DaemonUnderTest
    var bootstrap: String { daemon.bootstrap }
    var socket: String { daemon.socket }

    /// The shipped delay tiers of ai-evaluation's retry requests, which tests shorten.
    static let shippedEvaluationTiers = #"tiers = ["10s", "1m", "10m"]"#

    /// `before` runs on the plugin directory before the daemon starts (to install another build);
    /// `evaluationTiers` replaces the shipped delay tiers of ai-evaluation's retry requests (one second
    /// by default, so that a retry chain ends within a test's patience); `maxAttempts` its setting.
    /// `pluginFiles` replaces other plugins' configuration files (name -> text).
    init(_ tag: String, plugins: [String] = allPlugins, evaluationTiers: String = #"["1s"]"#, maxAttempts: Int = 3,
         pluginFiles: [String: String] = [:], before: (String) throws -> Void = { _ in }) throws {
        dir = try Harness.temporaryDirectory(tag)
        resultsRoot = "\(dir)/mission-results"
        try FileManager.default.createDirectory(atPath: resultsRoot, withIntermediateDirectories: true)
        // The shipped ai-evaluation.toml with one key changed: the object store's root.
        let shipped = try String(contentsOfFile: "\(Harness.repo)/etc/devtrip-eventd/plugins.d/ai-evaluation.toml", encoding: .utf8)
        let line = #"object_store_root = "/var/lib/devtrip-eventd/mission-results""#
        guard shipped.contains(line) else { throw HarnessError("ai-evaluation.toml has no '\(line)'") }
        guard shipped.contains(Self.shippedEvaluationTiers), shipped.contains("max_attempts = 3") else {
            throw HarnessError("ai-evaluation.toml has no '\(Self.shippedEvaluationTiers)' or 'max_attempts = 3'")
        }
        let aiEvaluation = shipped.replacingOccurrences(of: line, with: #"object_store_root = "\#(resultsRoot)""#)
            .replacingOccurrences(of: Self.shippedEvaluationTiers, with: "tiers = \(evaluationTiers)")
            .replacingOccurrences(of: "max_attempts = 3", with: "max_attempts = \(maxAttempts)")
        let config = try Harness.configuration(in: dir, pluginFiles: pluginFiles.merging(["ai-evaluation": aiEvaluation]) { own, _ in own })
        pluginDir = try Harness.pluginDirectory(in: dir, plugins: plugins)
        try before(pluginDir)
        daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: pluginDir, dir: dir)
        // Every consumer group has its partitions before anything is published.
        let groups = try self.groupNames().count
        try daemon.waitForAssignment(groups: groups)
    }

    deinit { daemon.child.stop() }

    // MARK: publishing

    /// A catalog envelope, exactly as plugins/README.md specifies (key and subject = the user id).
    static func envelope(_ type: String, id: String, user: String, at: String, _ payload: [String: Any]) throws -> String {
        let object: [String: Any] = ["eventId": id, "eventType": type, "occurredAt": at, "source": "e2e-\(type.split(separator: ".")[0])-service",
                                     "subject": user, "payload": payload]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// Publishes one event on each of `topics` (a dual publish keeps the event id; `names` gives the spelling per topic).
    func publish(_ type: String, id: String, user: String, at: String, on topics: [String], names: [String: String] = [:],
                 _ payload: [String: Any]) throws {
        for topic in topics {
            let value = try Self.envelope(names[topic] ?? type, id: id, user: user, at: at, payload)
            try Kcat.produce(bootstrap, topic: topic, lines: [(user, value)])
        }
    }

    /// Three consecutive renewal failures of `user`'s subscription (minutes 1 to 3), ids `<ids>-1` to `<ids>-3`.
    func publishRenewalFailures(_ user: String, ids: String, plan: String, amount: Int, reason: String) throws {
        for n in 1...3 {
            try publish("payment.subscription-renewal-failed", id: "\(ids)-\(n)", user: user, at: at(n), on: ["payment-events"],
                        ["userId": user, "subscriptionId": "sub-\(user)", "plan": plan, "amount": amount, "reason": reason])
        }
    }

    /// The mission service's result object for ai-evaluation, under `key` in the directory store.
    func storeResult(_ key: String, tests: [(String, Bool)], lintWarnings: Int, durationSeconds: Int) throws {
        let object: [String: Any] = ["tests": tests.map { ["name": $0.0, "passed": $0.1] }, "lintWarnings": lintWarnings,
                                     "durationSeconds": durationSeconds]
        let path = "\(resultsRoot)/\(key)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    // MARK: reading

    /// The JSON envelopes of `user` on `topic` (every record there is expected to be one).
    func events(_ topic: String, user: String) throws -> [Envelope] {
        // Kcat.consumeAll with a short fetch wait: the default (500 ms per fetch) makes each read take a second.
        let output = try Kcat.run(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-X", "fetch.wait.max.ms=10",
                                   "-f", "%k\t%s\n"])
        return try output.split(separator: "\n").compactMap { line -> Envelope? in
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == user else { return nil }
            guard let json = try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any] else {
                throw HarnessError("\(topic): not a JSON envelope: \(parts[1])")
            }
            return Envelope(topic: topic, key: user, json: json)
        }
    }

    func notifications(_ user: String, from source: String? = nil) throws -> [Envelope] {
        try events("notification-events", user: user).filter { source == nil || $0.source == source }
    }

    func templates(_ user: String, from source: String) throws -> [String] {
        try notifications(user, from: source).map(\.template).sorted()
    }

    /// One plugin's state document (JSON), read with sqlite3 (WAL: safe while the daemon runs).
    func document(_ plugin: String, _ key: String) throws -> [String: Any]? {
        guard let text = try pluginState(daemon.stateDir, plugin: plugin)[key] else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    func stats() throws -> [[String: Any]] {
        let result = try Eventctl.run(["stats", "--json"], socket: socket).json()["result"] as? [String: Any]
        return result?["groups"] as? [[String: Any]] ?? []
    }

    func groupNames() throws -> [String] { try stats().compactMap { $0["name"] as? String }.sorted() }

    func pluginList() throws -> [[String: Any]] {
        let result = try Eventctl.run(["plugin-list", "--json"], socket: socket).json()["result"] as? [String: Any]
        return result?["plugins"] as? [[String: Any]] ?? []
    }

    /// Sum of one counter over every group.
    func counter(_ name: String, group: String? = nil) throws -> Int {
        try stats().filter { group == nil || $0["name"] as? String == group }
            .compactMap { ($0["counters"] as? [String: Any])?[name] as? Int }.reduce(0, +)
    }

    // MARK: waiting

    func wait(_ what: String, timeout: TimeInterval = 60, _ condition: () throws -> Bool) throws {
        try Harness.waitUntil("\(what) (daemon log: \(daemon.child.logPath))", timeout: timeout, poll: 0.25, condition)
    }

    /// Waits until the daemon is idle: every group's counters unchanged for 1.5 s (follow-ups leave
    /// the outbox within 200 ms and are then consumed, so a chain still running changes them).
    func quiesce() throws {
        var last = ""
        var stableSince = Date()
        try wait("the daemon to go idle") {
            let counters = try stats().map { "\($0["name"] ?? ""):\(($0["counters"] as? [String: Any])?.sorted { $0.key < $1.key } ?? [])" }
                .joined(separator: ";")
            if counters != last {
                last = counters
                stableSince = Date()
            }
            return Date().timeIntervalSince(stableSince) >= 1.5
        }
    }
}

func at(_ minute: Int, hour: Int = 10) -> String { String(format: "2026-11-24T%02d:%02d:00Z", hour, minute) }

/// Every follow-up follows the conventions of plugins/README.md.
func checkConventions(_ events: [Envelope], user: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for event in events {
        #expect(event.key == user, "record key = user id: \(event.json)", sourceLocation: sourceLocation)
        #expect(event.subject == user, "subject = user id: \(event.json)", sourceLocation: sourceLocation)
        #expect(event.payload["userId"] as? String == user, "payload.userId: \(event.json)", sourceLocation: sourceLocation)
        #expect(!event.id.isEmpty && event.json["occurredAt"] is String, "\(event.json)", sourceLocation: sourceLocation)
        if event.type == "notification.requested" {
            #expect(event.payload["channel"] as? String == "email", "\(event.json)", sourceLocation: sourceLocation)
            #expect(event.topic == "notification-events", sourceLocation: sourceLocation)
        }
    }
    let ids = events.map(\.id)
    #expect(Set(ids).count == ids.count, "follow-up event ids are unique: \(ids)", sourceLocation: sourceLocation)
}

func count(_ values: [String], _ value: String) -> Int { values.filter { $0 == value }.count }
