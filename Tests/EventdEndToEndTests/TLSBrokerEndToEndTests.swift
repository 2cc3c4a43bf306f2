// The daemon against a TLS listener (Debian's stunnel4 in front of the standalone
// mock broker), with a private CA the test makes with openssl, hostname
// verification, a client certificate whose key password is a systemd credential.
import Foundation
import Testing

/// A CA, a broker certificate for 127.0.0.1, a client certificate with an encrypted key, an unrelated CA,
/// and a broker certificate from the right CA for another host (`otherHost`).
struct TLSMaterial {
    let dir: String
    static let keyPassword = "kp-91d2e7-client-key-pass"
    static let otherHost = "broker.example.org"
    var ca: String { "\(dir)/ca.pem" }
    var otherCA: String { "\(dir)/other-ca.pem" }

    init(dir: String) throws {
        self.dir = dir
        func openssl(_ args: [String]) throws {
            let run = try Captured("/usr/bin/openssl", args)
            guard run.status == 0 else { throw HarnessError("openssl \(args.joined(separator: " ")): \(String(decoding: run.stderr, as: UTF8.self))") }
        }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        try "subjectAltName=DNS:\(Self.otherHost)\n".write(toFile: "\(dir)/other-host.ext", atomically: true, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/ca.key", "-out", ca, "-days", "2", "-subj", "/CN=eventd test CA"])
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/other-ca.key", "-out", otherCA, "-days", "2", "-subj", "/CN=other CA"])
        for (name, subject, ext) in [("server", "/CN=localhost", ["-extfile", "\(dir)/server.ext"]), ("client", "/CN=devtrip-eventd", []),
                                     ("other-host", "/CN=\(Self.otherHost)", ["-extfile", "\(dir)/other-host.ext"])] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/\(name).plain.key", "-out", "\(dir)/\(name).csr", "-subj", subject])
            try openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", ca, "-CAkey", "\(dir)/ca.key", "-CAcreateserial",
                         "-out", "\(dir)/\(name).pem", "-days", "2"] + ext)
        }
        try openssl(["pkey", "-in", "\(dir)/client.plain.key", "-out", "\(dir)/client.key", "-aes256", "-passout", "pass:\(Self.keyPassword)"])
    }

    /// librdkafka properties for a client of the TLS listener (kcat's -X or eventd.toml's lines).
    func clientProperties(ca: String, keyPassword: String) -> [(String, String)] {
        [("security.protocol", "ssl"), ("ssl.ca.location", ca), ("ssl.endpoint.identification.algorithm", "https"),
         ("ssl.certificate.location", "\(dir)/client.pem"), ("ssl.key.location", "\(dir)/client.key"), ("ssl.key.password", keyPassword)]
    }
}

/// stunnel4 terminating TLS (client certificate required) on `accept`, forwarding to `connect`.
final class TLSProxy {
    let child: ChildProcess

    /// - Parameter certificate: the broker certificate's base name in `material.dir` (`server`, or `other-host`).
    init(dir: String, accept: String, connect: String, material: TLSMaterial, certificate: String = "server") throws {
        let config = """
            foreground = yes
            pid =
            [kafka]
            accept = \(accept)
            connect = \(connect)
            cert = \(material.dir)/\(certificate).pem
            key = \(material.dir)/\(certificate).plain.key
            CAfile = \(material.ca)
            requireCert = yes
            verifyChain = yes
            """
        try config.write(toFile: "\(dir)/stunnel.conf", atomically: true, encoding: .utf8)
        child = try ChildProcess("/usr/bin/stunnel4", ["\(dir)/stunnel.conf"], logPath: "\(dir)/stunnel.log")
        try Harness.waitUntil("stunnel to listen", timeout: 10) {
            guard child.isRunning else { throw HarnessError("stunnel exited: \(child.log)") }
            return child.log.contains("Configuration successful")
        }
    }

    deinit { child.stop() }
}

@Suite(.serialized) struct TLSBrokerEndToEndTests {
    /// The mock behind stunnel: it listens on 127.0.0.2:P and advertises 127.0.0.1:P, where stunnel listens.
    func setUp(_ tag: String, certificate: String = "server") throws -> (dir: String, material: TLSMaterial, broker: FaultInjectingMock, proxy: TLSProxy) {
        let dir = try Harness.temporaryDirectory(tag)
        let material = try TLSMaterial(dir: dir)
        let broker = try FaultInjectingMock(dir: dir, topics: DeliveryEndToEndTests.topics + ["echo-events"],
                                            environment: ["MOCKBROKER_LISTEN_HOST": "127.0.0.2"])
        let port = broker.bootstrap.split(separator: ":").last!
        let proxy = try TLSProxy(dir: dir, accept: broker.bootstrap, connect: "127.0.0.2:\(port)", material: material, certificate: certificate)
        return (dir, material, broker, proxy)
    }

    /// The daemon on `bootstrap` with `properties` for its consumers and producer, the password as a credential.
    func startDaemon(_ dir: String, bootstrap: String, properties: [(String, String)]) throws -> DaemonUnderTest {
        let credentials = "\(dir)/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try "\(TLSMaterial.keyPassword)\n".write(toFile: "\(credentials)/client-key-pass", atomically: true, encoding: .utf8)
        let lines = properties.map { "\"\($0.0)\" = \"\($0.1)\"\n" }.joined()
        let config = try Harness.configuration(in: dir, replacing: [("[kafka.consumer]\n", "[kafka.consumer]\n\(lines)"),
                                                                   ("[kafka.producer]\n", "[kafka.producer]\n\(lines)")])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["echo"])
        return try DaemonUnderTest(config: config, brokers: bootstrap, pluginDir: plugins, dir: dir,
                                   environment: ["CREDENTIALS_DIRECTORY": credentials])
    }

    func kcat(_ material: TLSMaterial, _ broker: String, _ args: [String], input: String? = nil) throws -> String {
        let tls = material.clientProperties(ca: material.ca, keyPassword: TLSMaterial.keyPassword).flatMap { ["-X", "\($0.0)=\($0.1)"] }
        return try Kcat.run(["-b", broker] + tls + args, input: input)
    }

    @Test func consumesAndProducesThroughTLSWithHostnameVerificationAndAClientCertificate() throws {
        let (dir, material, broker, proxy) = try setUp("tls")
        _ = proxy
        let daemon = try startDaemon(dir, bootstrap: broker.bootstrap,
                                     properties: material.clientProperties(ca: material.ca, keyPassword: "${credential:client-key-pass}"))
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 1)
        let lines = (0..<20).map { i in
            "user-\(i)|{\"eventId\":\"tls-\(i)\",\"eventType\":\"mission.started\",\"occurredAt\":\"2026-11-24T10:00:00Z\",\"testId\":\"tls-\(i)\"}\n"
        }.joined()
        // kcat, with hostname verification off, gets through the same listener: the name alone is refused.
        let lax = ["-X", "ssl.endpoint.identification.algorithm=none"]
        _ = try kcat(material, broker.bootstrap, lax + ["-P", "-t", "mission-events", "-K", "|"], input: lines)
        var echoed: [Substring] = []
        try Harness.waitUntil("20 events echoed through TLS", timeout: 60, poll: 1) {
            echoed = try kcat(material, broker.bootstrap, ["-C", "-t", "echo-events", "-o", "beginning", "-e", "-q", "-f", "%k\n"])
                .split(separator: "\n")
            return echoed.count >= 20
        }
        #expect(Set(echoed).count == 20)
        let status = try Eventctl.run(["status", "--json"], socket: daemon.socket)
        #expect((try status.json()["result"] as? [String: Any])?["degraded"] is NSNull, "\(status.stdout)")
        daemon.child.stop()
        #expect(!daemon.child.log.contains(TLSMaterial.keyPassword) && !status.stdout.contains(TLSMaterial.keyPassword))
        #expect(!proxy.child.log.contains("peer did not return a certificate"), "the daemon showed its client certificate")
    }

    @Test func aBrokerCertificateFromAnotherCAIsRefusedAsDegradedNotACrash() throws {
        let (dir, material, broker, proxy) = try setUp("tls-wrong-ca")
        _ = proxy
        let daemon = try startDaemon(dir, bootstrap: broker.bootstrap,
                                     properties: material.clientProperties(ca: material.otherCA, keyPassword: "${credential:client-key-pass}"))
        defer { daemon.child.stop() }
        var degraded: [String: Any]?
        try Harness.waitUntil("status to report degraded", timeout: 30, poll: 0.5) {
            let status = try Eventctl.run(["status", "--json"], socket: daemon.socket)
            degraded = (try status.json()["result"] as? [String: Any])?["degraded"] as? [String: Any]
            return degraded != nil
        }
        #expect(daemon.child.isRunning)
        #expect(daemon.child.log.contains("certificate verify failed"), "the log says why")
        #expect(daemon.child.stop() == 0, "stops cleanly")
        #expect(!daemon.child.log.contains(TLSMaterial.keyPassword))
    }

    /// The broker's certificate comes from the trusted CA but names another host: with
    /// hostname verification on, the daemon refuses it the same way, running and degraded.
    @Test func aBrokerCertificateForAnotherHostIsRefusedAsDegradedNotACrash() throws {
        let (dir, material, broker, proxy) = try setUp("tls-wrong-host", certificate: "other-host")
        _ = proxy
        let daemon = try startDaemon(dir, bootstrap: broker.bootstrap,
                                     properties: material.clientProperties(ca: material.ca, keyPassword: "${credential:client-key-pass}"))
        defer { daemon.child.stop() }
        var degraded: [String: Any]?
        var statusText = ""
        try Harness.waitUntil("status to report degraded", timeout: 30, poll: 0.5) {
            let status = try Eventctl.run(["status", "--json"], socket: daemon.socket)
            statusText = status.stdout
            degraded = (try status.json()["result"] as? [String: Any])?["degraded"] as? [String: Any]
            return degraded != nil
        }
        #expect(daemon.child.isRunning)
        #expect(daemon.child.log.contains("certificate verify failed"), "the log says why")
        // kcat, with hostname verification off, gets through the same listener: the name alone is refused.
        let lax = ["-X", "ssl.endpoint.identification.algorithm=none"]
        _ = try kcat(material, broker.bootstrap, lax + ["-P", "-t", "mission-events", "-K", "|"],
                     input: "user-1|{\"eventId\":\"tls-host-1\",\"eventType\":\"mission.started\",\"occurredAt\":\"2026-11-24T10:00:00Z\"}\n")
        Thread.sleep(forTimeInterval: 3)
        let echoed = try kcat(material, broker.bootstrap, lax + ["-C", "-t", "echo-events", "-o", "beginning", "-e", "-q", "-f", "%k\n"])
        #expect(echoed.isEmpty, "nothing was consumed from a broker whose name did not match")
        #expect(daemon.child.stop() == 0, "stops cleanly")
        #expect(!daemon.child.log.contains(TLSMaterial.keyPassword) && !statusText.contains(TLSMaterial.keyPassword))
    }
}
