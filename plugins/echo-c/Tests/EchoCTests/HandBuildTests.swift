// The README's hand-build line, run as written in a copy of this package
// (beside the SDK, as in the source tree), and the library it makes loaded.
import EventdPluginTesting
import Foundation
import Testing

@Suite struct HandBuildTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The indented line after "Built by hand" in README.md.
    func readmeCommand() throws -> String {
        let readme = try String(contentsOf: Self.package.appendingPathComponent("README.md"), encoding: .utf8)
        let after = try #require(readme.range(of: "Built by hand")).upperBound
        let line = readme[after...].split(separator: "\n").first { $0.hasPrefix("    cc ") }
        return try #require(line).trimmingCharacters(in: .whitespaces)
    }

    @Test func builtByHandAsTheReadmeSays() throws {
        let command = try readmeCommand()
        let fm = FileManager.default
        let root = NSTemporaryDirectory() + "echo-c-hand-\(UUID().uuidString.prefix(8))"
        defer { try? fm.removeItem(atPath: root) }
        try fm.createDirectory(atPath: "\(root)/echo-c", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Self.package.appendingPathComponent("Sources").path, toPath: "\(root)/echo-c/Sources")
        try fm.createSymbolicLink(atPath: "\(root)/sdk", withDestinationPath: Self.package.deletingLastPathComponent().appendingPathComponent("sdk").path)

        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-ec", command]
        shell.currentDirectoryURL = URL(fileURLWithPath: "\(root)/echo-c")
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0, "\(command)")

        let handle = try #require(dlopen("\(root)/echo-c/libecho-c.so", RTLD_NOW | RTLD_LOCAL), "\(String(cString: dlerror()))")
        defer { dlclose(handle) }
        let entry = try #require(dlsym(handle, "devtrip_eventd_plugin_v1"))
        let registration = unsafeBitCast(entry, to: (@convention(c) () -> UnsafeRawPointer).self)()
        let host = TestHost()
        try host.load(registration)
        #expect(String(cString: host.descriptor.name) == "echo-c")
        host.shutdown()
    }
}
