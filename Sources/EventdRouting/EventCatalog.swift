// The event catalog: canonical event names, their aliases and the topics that carry them.
#if canImport(Glibc)
import Glibc
#endif

/// One event of the catalog as configuration describes it.
public struct CatalogEntry: Sendable, Equatable {
    public var name: String
    public var topics: [String]
    public var aliases: [String]
    public init(name: String, topics: [String], aliases: [String] = []) {
        self.name = name
        self.topics = topics
        self.aliases = aliases
    }
}

/// A canonical event name, with a C string that lives as long as the process
/// (plugins receive it on every call, so it is allocated once).
public final class EventName: Sendable {
    public let index: Int
    public let name: String
    nonisolated(unsafe) public let cName: UnsafePointer<CChar>
    init(index: Int, name: String) {
        self.index = index
        self.name = name
        cName = UnsafePointer(strdup(name)!)
    }
}

public struct CatalogError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Resolves event names and aliases to canonical events.
public struct EventCatalog: Sendable {
    public let events: [EventName]
    public let entries: [CatalogEntry]
    private let names: ByteKeyTable
    private let byName: [String: Int]

    /// - Throws: `CatalogError` when a name or alias is claimed twice.
    public init(_ entries: [CatalogEntry]) throws(CatalogError) {
        var seen: [String: String] = [:]
        var table: [(String, Int)] = []
        var events: [EventName] = []
        var byName: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            guard !entry.name.isEmpty, entry.name != "*" else { throw CatalogError("event name '\(entry.name)' is not allowed") }
            for spelling in [entry.name] + entry.aliases {
                if let owner = seen[spelling] {
                    throw CatalogError("'\(spelling)' names both '\(owner)' and '\(entry.name)'")
                }
                seen[spelling] = entry.name
                table.append((spelling, index))
                byName[spelling] = index
            }
            events.append(EventName(index: index, name: entry.name))
        }
        self.events = events
        self.entries = entries
        self.names = ByteKeyTable(table)
        self.byName = byName
    }

    /// The canonical event for a name or alias, from raw bytes.
    @inline(__always) public func event(named bytes: UnsafeRawBufferPointer) -> EventName? {
        names.lookup(bytes).map { events[$0] }
    }

    /// The canonical event for a name or alias.
    public func event(named name: String) -> EventName? {
        byName[name].map { events[$0] }
    }

    /// Every topic any catalog event travels on, sorted.
    public var topics: [String] { Array(Set(entries.flatMap(\.topics))).sorted() }
}
