// The control socket under a hostile or stuck client of one uid: the others keep their access.
import EventdControl
import Foundation
import Testing

@Suite struct ControlAbuseEndToEndTests {
    /// Perl as uid 65534: holds `count` connections, writes one byte to each every 200 ms (a request that never ends)
    /// and reconnects each one the daemon closes or refuses; prints how many connects it made.
    static let slowClient = #"""
        use IO::Socket::UNIX; use Time::HiRes qw(sleep time);
        $SIG{PIPE} = 'IGNORE'; $| = 1;
        my ($path, $count, $seconds) = @ARGV; my $end = time + $seconds; my @s; my $connects = 0;
        while (time < $end) {
            for my $i (0 .. $count - 1) {
                if (!$s[$i]) { $s[$i] = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) or next; $connects++; }
                undef $s[$i] unless defined send($s[$i], "{", 0);
            }
            sleep 0.2;
        }
        print "connects $connects\n";
        """#

    @Test func fiftySlowConnectionsOfOneUidCannotStopAnotherUidsStatus() throws {
        // nogroup is the admin group, so uid 65534 is an admin like any other.
        let (daemon, dir, _) = try DaemonUnderTest.embedded("abuse", plugins: ["echo"], replacing: [
            (#"admin_group = "devtrip-eventd-admin""#, #"admin_group = "nogroup""#),
        ])
        defer { daemon.child.stop() }
        let script = "\(dir)/slow-client.pl"
        try Self.slowClient.write(toFile: script, atomically: true, encoding: .utf8)
        let abuser = try ChildProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/perl", script,
                                                           daemon.socket, "50", "12"], logPath: "\(dir)/slow-client.log")
        defer { abuser.stop() }
        try Harness.waitUntil("the slow client to hold its connections", timeout: 10) {
            daemon.child.log.contains("too many control connections from uid 65534")
        }
        var slowest = Duration.zero
        for _ in 0..<10 {
            let started = ContinuousClock.now
            let root = try Eventctl.run(["status", "--json"], socket: daemon.socket)
            slowest = max(slowest, ContinuousClock.now - started)
            #expect(root.status == 0, "root's status while uid 65534 holds the socket: \(root.stderr)")
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(slowest < .seconds(3), "answered at once, not after a slow connection timed out")
        // The abuser itself is limited, not locked out for good: its own status still gets through between refusals.
        let own = try Eventctl.run(["status"], socket: daemon.socket, user: (65534, 65534))
        #expect(own.status == 0 || own.stderr.contains("too many control connections from uid 65534"), "\(own.stderr)")
        abuser.process.waitUntilExit()
        let connects = Int(abuser.log.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(connects > 50, "the daemon closed the never-ending requests and the refused connections, so the client reconnected (\(abuser.log))")
    }
}
