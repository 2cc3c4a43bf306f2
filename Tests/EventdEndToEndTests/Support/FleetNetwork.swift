// The machines of a fleet test: a network namespace each on a bridge of the run's own
// (.ci/netns.sh), when the test runs as root with `ip netns`; else processes of this host.
import Foundation

/// A fleet test's network. Isolated: the broker listens on the bridge's address and each
/// machine's daemon runs in its own namespace (its own loopback, routes and sockets), reaching
/// the broker over a veth link the test can cut. Not isolated (not root, no iproute2, no
/// CAP_NET_ADMIN, or `EVENTD_FLEET_NETNS=0`): every address is this host's loopback, as before.
/// PostgreSQL is reached over its Unix socket either way: a socket path crosses network namespaces.
final class FleetNetwork {
    static let script = "\(Harness.repo)/.ci/netns.sh"
    let tag: String
    /// The address the broker listens on and advertises; nil when not isolated (loopback).
    let brokerHost: String?
    /// Machine name to namespace; empty when not isolated.
    let namespaces: [String: String]

    var isIsolated: Bool { brokerHost != nil }

    /// Sets the machines' namespaces up, or explains on stdout why the machines share this host's network.
    init(machines: [String]) throws {
        tag = "evn" + String(format: "%05x", UInt32.random(in: 0..<0x100000))
        if Harness.environment["EVENTD_FLEET_NETNS"] == "0" {
            print("fleet network: EVENTD_FLEET_NETNS=0: machines are processes of this host (one network stack)")
            (brokerHost, namespaces) = (nil, [:])
            return
        }
        let owner = String(ProcessInfo.processInfo.processIdentifier)
        let run = try Captured("/bin/bash", [Self.script, "up", tag, owner] + machines)
        let out = String(decoding: run.stdout, as: UTF8.self), err = String(decoding: run.stderr, as: UTF8.self)
        if run.status == 3 {
            print("fleet network: no network namespaces here (\(err.trimmingCharacters(in: .whitespacesAndNewlines))): machines are processes of this host (one network stack)")
            (brokerHost, namespaces) = (nil, [:])
            return
        }
        guard run.status == 0 else { throw HarnessError("netns.sh up \(tag) failed (\(run.status)): \(err)") }
        var broker: String?
        var namespaces: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count == 2 && fields[0] == "broker" { broker = fields[1] }
            if fields.count == 4 && fields[0] == "machine" { namespaces[fields[1]] = fields[2] }
        }
        guard let broker, Set(namespaces.keys) == Set(machines) else { throw HarnessError("netns.sh up \(tag) said: \(out)") }
        (brokerHost, self.namespaces) = (broker, namespaces)
        print("fleet network \(tag): broker at \(broker), machines \(namespaces.sorted { $0.key < $1.key }.map { "\($0.key) in \($0.value)" })")
    }

    deinit { if isIsolated { _ = try? Captured("/bin/bash", [Self.script, "down", tag]) } }

    /// Takes `machine`'s link down: its daemon keeps running and reaches PostgreSQL, but no broker.
    func cut(_ machine: String) throws { try link(machine, "cut") }

    /// Brings `machine`'s link up again.
    func heal(_ machine: String) throws { try link(machine, "heal") }

    private func link(_ machine: String, _ command: String) throws {
        guard isIsolated else { throw HarnessError("no network namespaces: cannot \(command) \(machine)'s link") }
        let run = try Captured("/bin/bash", [Self.script, command, tag, machine])
        guard run.status == 0 else { throw HarnessError("netns.sh \(command) \(tag) \(machine): \(String(decoding: run.stderr, as: UTF8.self))") }
    }
}
