// The system test's rootfs is debootstrapped from the mirror this machine's
// apt sources name (packaging/tests/rootfs.sh --print-mirror), never a fixed
// one: deb822 stanzas first (enabled, Types deb, Suites naming bookworm),
// then one-line entries; security and source stanzas are never taken.
import Foundation
import Testing

@Suite struct RootfsMirrorTests {
    /// What rootfs.sh would debootstrap from with `files` (relative path -> text) as /etc/apt.
    func mirror(_ files: [String: String], environment extra: [String: String] = [:]) throws -> (status: Int32, out: String) {
        let etc = try Harness.temporaryDirectory("apt-etc")
        try FileManager.default.createDirectory(atPath: "\(etc)/sources.list.d", withIntermediateDirectories: true)
        for (path, text) in files { try text.write(toFile: "\(etc)/\(path)", atomically: true, encoding: .utf8) }
        var env = extra
        env["APT_ETC"] = etc
        let arguments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + ["bash", "\(Harness.repo)/packaging/tests/rootfs.sh", "--print-mirror"]
        let run = try Captured("/usr/bin/env", arguments)
        return (run.status, String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static let security = """
        Types: deb
        URIs: http://security.example/debian-security
        Suites: bookworm-security
        Components: main

        """

    @Test func theFirstEnabledDebStanzaForBookwormIsTaken() throws {
        let sources = """
            Enabled: no
            Types: deb
            URIs: http://disabled.example/debian
            Suites: bookworm
            Components: main

            Types: deb-src
            URIs: http://source.example/debian
            Suites: bookworm
            Components: main

            # the machine's mirror, as the cloud image writes it
            Types: deb deb-src
            URIs: http://mirror.example/debian http://second.example/debian
            Suites: bookworm bookworm-updates
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
            """
        let result = try mirror(["sources.list.d/a-security.sources": Self.security, "sources.list.d/debian.sources": sources])
        #expect(result.status == 0)
        #expect(result.out == "http://mirror.example/debian")
    }

    @Test func aOneLineEntryIsReadWhenThereIsNoStanza() throws {
        let list = """
            # deb http://commented.example/debian bookworm main
            deb-src http://source.example/debian bookworm main
            deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://oneline.example/debian bookworm main
            """
        let result = try mirror(["sources.list.d/security.sources": Self.security, "sources.list": list])
        #expect(result.out == "http://oneline.example/debian")
    }

    @Test func aMachineOnAnotherReleaseLendsItsMirror() throws {
        let result = try mirror(["sources.list": "deb http://trixie.example/debian trixie main\n"])
        #expect(result.out == "http://trixie.example/debian")
    }

    @Test func noMirrorIsAClearFailureAndDebianMirrorOverrides() throws {
        let none = try mirror(["sources.list.d/security.sources": Self.security])
        #expect(none.status != 0)
        #expect(none.out.isEmpty)
        let forced = try mirror(["sources.list.d/security.sources": Self.security], environment: ["DEBIAN_MIRROR": "http://forced.example/debian"])
        #expect(forced.out == "http://forced.example/debian")
    }

    @Test func thisMachinesSourcesNameAMirror() throws {
        // The machine the tests run on is a Debian one with apt sources: the real files give a URL.
        let run = try Captured("/bin/bash", ["\(Harness.repo)/packaging/tests/rootfs.sh", "--print-mirror"])
        #expect(run.status == 0)
        #expect(String(decoding: run.stdout, as: UTF8.self).hasPrefix("http"))
    }
}
