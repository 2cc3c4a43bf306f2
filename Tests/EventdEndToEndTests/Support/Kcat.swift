// Debian's kcat as the outside client.
import Foundation

struct ConsumedRecord {
    var partition: Int
    var offset: Int
    var key: String
    var headers: [String: String]
    var value: String
}

enum Kcat {
    static let binary = "/usr/bin/kcat"

    @discardableResult
    static func run(_ arguments: [String], input: String? = nil, timeout: TimeInterval = 60) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError("kcat \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
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
                              "-f", "%p\t%o\t%k\t%h\t%s\n"])
        return output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5 else { return nil }
            var headers: [String: String] = [:]
            for pair in parts[3].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2 { headers[String(kv[0])] = String(kv[1]) }
            }
            return ConsumedRecord(partition: Int(parts[0]) ?? -1, offset: Int(parts[1]) ?? -1, key: String(parts[2]),
                                  headers: headers, value: String(parts[4]))
        }
    }
}
