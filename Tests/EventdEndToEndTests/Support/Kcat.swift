// Debian's kcat as the outside client.
import Foundation

struct ConsumedRecord {
    var partition: Int
    var offset: Int
    /// The record's timestamp (producer or broker time), in Unix milliseconds.
    var timestampMs: Int64
    var key: String
    var headers: [String: String]
    var value: String
}

enum Kcat {
    static let binary = "/usr/bin/kcat"

    @discardableResult
    static func run(_ arguments: [String], input: String? = nil, timeout: TimeInterval = 60) throws -> String {
        let run = try Captured(binary, arguments, input: input.map { Data($0.utf8) }, timeout: timeout)
        guard !run.timedOut else { throw HarnessError("kcat \(arguments.joined(separator: " ")) did not end within \(Int(timeout)) s") }
        guard run.status == 0 else {
            throw HarnessError("kcat \(arguments.joined(separator: " ")) failed (\(run.status)): \(String(decoding: run.stderr, as: UTF8.self))")
        }
        return String(decoding: run.stdout, as: UTF8.self)
    }

    static func canConnect(_ brokers: String) -> Bool {
        (try? run(["-b", brokers, "-L", "-m", "2"], timeout: 5)) != nil
    }

    /// Produces one record per line of `lines` as `key|value`, with the same headers on each.
    static func produce(_ brokers: String, topic: String, lines: [(key: String, value: String)], headers: [String: String] = [:]) throws {
        var args = ["-b", brokers, "-P", "-t", topic, "-K", "|", "-X", "enable.idempotence=true"]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { args += ["-H", "\(name)=\(value)"] }
        try run(args, input: lines.map { "\($0.key)|\($0.value)\n" }.joined())
    }

    /// Reads a whole topic from the beginning to its current end.
    static func consumeAll(_ brokers: String, topic: String) throws -> [ConsumedRecord] {
        let output = try run(["-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                              "-f", "%p\t%o\t%T\t%k\t%h\t%s\n"])
        return output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6 else { return nil }
            var headers: [String: String] = [:]
            for pair in parts[4].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2 { headers[String(kv[0])] = String(kv[1]) }
            }
            return ConsumedRecord(partition: Int(parts[0]) ?? -1, offset: Int(parts[1]) ?? -1, timestampMs: Int64(parts[2]) ?? -1,
                                  key: String(parts[3]), headers: headers, value: String(parts[5]))
        }
    }

    /// Produces `lines` to `topic` in chunks of 250 from a thread of its own, `pause` between chunks.
    /// kcat gives up when every broker is down: a chunk is sent again until it goes through
    /// (records sent twice carry the same ids). - Returns: set once every chunk went through.
    static func stream(_ lines: [(key: String, value: String)], to brokers: String, topic: String = "mission-events",
                       pause: TimeInterval) -> UncheckedFlag {
        let produced = UncheckedFlag()
        Thread {
            for chunk in stride(from: 0, to: lines.count, by: 250) {
                while (try? produce(brokers, topic: topic, lines: Array(lines[chunk..<min(chunk + 250, lines.count)]))) == nil {
                    Thread.sleep(forTimeInterval: 0.5)
                }
                Thread.sleep(forTimeInterval: pause)
            }
            produced.set()
        }.start()
        return produced
    }
}

final class UncheckedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
