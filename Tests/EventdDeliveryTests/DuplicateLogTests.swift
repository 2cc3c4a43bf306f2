// The debug line per ledger duplicate: written at debug level only, at most
// ten a second, the ones left out counted in the next line.
@testable import EventdDelivery
import Foundation
import Logging
import Testing

/// Collects the messages and metadata of every line logged through it.
final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(message: String, metadata: Logger.Metadata)] = []
        func append(_ line: (message: String, metadata: Logger.Metadata)) { lock.withLock { items.append(line) } }
        var all: [(message: String, metadata: Logger.Metadata)] { lock.withLock { items } }
    }
    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(_ lines: Lines, level: Logger.Level) { (self.lines, logLevel) = (lines, level) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append((event.message.description, event.metadata ?? [:]))
    }
}

@Suite struct DuplicateLogTests {
    func logger(_ level: Logger.Level) -> (Logger, CollectingLogHandler.Lines) {
        let lines = CollectingLogHandler.Lines()
        return (Logger(label: "dup") { _ in CollectingLogHandler(lines, level: level) }, lines)
    }

    func skip(_ log: DuplicateLog, _ logger: Logger, _ count: Int, from first: Int = 0) {
        for n in first..<first + count {
            log.skipped(logger, group: "g", plugin: "p", eventID: "e-\(n)", topic: "t", partition: 2, offset: Int64(n))
        }
    }

    @Test func tenLinesASecondThenTheLeftOutAreCounted() throws {
        let (logger, lines) = logger(.debug)
        let log = DuplicateLog()
        skip(log, logger, 25)
        #expect(lines.all.count == DuplicateLog.linesPerSecond)
        #expect(lines.all.map { $0.metadata["event_id"]?.description } == (0..<10).map { "e-\($0)" })
        #expect(lines.all.allSatisfy { $0.message.hasPrefix("duplicate skipped") && $0.metadata["group"] == "g" && $0.metadata["plugin"] == "p" })
        Thread.sleep(forTimeInterval: 1.05)
        skip(log, logger, 1, from: 25)
        let last = try #require(lines.all.last)
        #expect(lines.all.count == 11)
        #expect(last.metadata["event_id"] == "e-25" && last.metadata["duplicates_not_logged_before"] == "15")
        #expect(last.metadata["offset"] == "25" && last.metadata["partition"] == "2" && last.metadata["topic"] == "t")
    }

    @Test func nothingAboveDebugLevel() {
        let (logger, lines) = logger(.info)
        skip(DuplicateLog(), logger, 5)
        #expect(lines.all.isEmpty)
    }
}
