// The shipped systemd unit, checked by systemd's own tools.
import Foundation
import Testing

@Suite struct UnitFileTests {
    let unit = "\(Harness.repo)/packaging/systemd/devtrip-eventd.service"

    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    @Test func verifiesCleanApartFromTheNotYetInstalledBinaries() throws {
        // systemd-analyze reports bad values only as warnings (docs/systemd.md): read its output.
        let complaints = try run(["verify", "--man=no", unit]).split(separator: "\n")
            .filter { !$0.contains("Command /usr/bin/devtrip-event") || !$0.contains("is not executable") }
        #expect(complaints.isEmpty, "\(complaints)")
    }

    @Test func reloadIsSynchronousAndStartChecksTheConfiguration() throws {
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(text.contains("Type=notify\n"))
        #expect(text.contains("ExecReload=/usr/bin/devtrip-eventctl reload "))
        #expect(text.contains("ExecStartPre=/usr/bin/devtrip-eventd --check-config "))
        #expect(text.contains("WatchdogSec="))
    }

    @Test func hardeningExposureIsOK() throws {
        let report = try run(["security", "--offline=yes", unit])
        let line = try #require(report.split(separator: "\n").last { $0.contains("Overall exposure level") })
        print(line)
        let score = line.split(separator: " ").compactMap { Double($0) }.first
        #expect(score != nil && score! <= 2.0)
    }
}
