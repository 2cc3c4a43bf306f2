// The daemon's and the CLI's command lines, run as real processes.
import Foundation
import Testing

@Suite struct CommandLineTests {
    func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let dir = try Harness.temporaryDirectory("cli")
        let child = try ChildProcess(binary, arguments, logPath: "\(dir)/out.log")
        child.process.waitUntilExit()
        return (child.process.terminationStatus, child.log)
    }

    var eventctl: String { (Harness.daemonBinary as NSString).deletingLastPathComponent + "/devtrip-eventctl" }

    @Test func checkConfigAcceptsTheShippedConfiguration() throws {
        let result = try run(Harness.daemonBinary, ["--check-config", "--config", "\(Harness.repo)/etc/devtrip-eventd/eventd.toml"])
        #expect(result.status == 0)
        #expect(result.output.contains("configuration OK"))
        let pluginFiles = try FileManager.default.contentsOfDirectory(atPath: "\(Harness.repo)/etc/devtrip-eventd/plugins.d")
            .filter { $0.hasSuffix(".toml") }.count
        #expect(result.output.contains("20 events, \(pluginFiles) plugin files"))
    }

    @Test func checkConfigNamesFileLineAndReason() throws {
        let dir = try Harness.temporaryDirectory("badconf")
        let config = try Harness.configuration(in: dir, replacing: [("batch_size = 1000", "batch_size = \"many\"")])
        let line = try String(contentsOfFile: config, encoding: .utf8).components(separatedBy: "\n")
            .firstIndex { $0.hasPrefix("batch_size") }! + 1
        let result = try run(Harness.daemonBinary, ["--check-config", "--config", config])
        #expect(result.status == 2)
        #expect(result.output.contains("\(config):\(line): kafka.batch_size: must be an integer"))
    }

    @Test func checkConfigRefusesAPropertyLibrdkafkaRejects() throws {
        let dir = try Harness.temporaryDirectory("badprop")
        let config = try Harness.configuration(in: dir, replacing: [(#""linger.ms" = "5""#, #""linger.ms" = "soon""#)])
        let result = try run(Harness.daemonBinary, ["--check-config", "--config", config])
        #expect(result.status == 2)
        #expect(result.output.contains("kafka.producer"))
        #expect(result.output.contains("linger.ms"))
    }

    @Test func checkConfigRefusesABadPluginFile() throws {
        let dir = try Harness.temporaryDirectory("badplugin")
        let config = try Harness.configuration(in: dir, pluginFiles: ["echo": "[plugin]\nenabled = true\n\n[events]\n\"no.such\" = [\"t\"]\n"])
        let result = try run(eventctl, ["conf-check", "--config", config])
        #expect(result.status == 1)
        #expect(result.output.contains("plugins.d/echo.toml:5: events.no.such"))
    }

    @Test func unknownOptionIsAUsageError() throws {
        let result = try run(Harness.daemonBinary, ["--no-such-option"])
        #expect(result.status == 64)
        #expect(result.output.contains("Unknown option"))
    }
}

/// The man page and completion scripts come from the same command table as the daemon's protocol.
@Suite struct GeneratedDocsTests {
    var docs: String { Harness.environment["EVENTD_DOCS"] ?? "\(Harness.repo)/.build-docs" }
    let commands = ["status", "plugin-list", "plugin-reload", "reload", "plugin-disable", "plugin-enable", "consumer-pause",
                    "consumer-resume", "dlq-list", "dlq-replay", "stats", "conf-check"]

    @Test func manPageDocumentsEveryCommand() throws {
        let man = try String(contentsOfFile: "\(docs)/man/devtrip-eventctl.1", encoding: .utf8)
        for command in commands { #expect(man.contains(".It Em \(command)"), "\(command) missing from the man page") }
        #expect(man.contains("Load a new build of plugin NAME beside the old one"))
        #expect(man.contains("69"), "exit codes are documented")
    }

    @Test func completionScriptsOfferEveryCommand() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try String(contentsOfFile: "\(docs)/completion/devtrip-eventctl.\(shell)", encoding: .utf8)
            for command in commands { #expect(script.contains(command), "\(command) missing from the \(shell) completion") }
        }
    }
}
