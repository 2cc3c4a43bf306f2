// A configuration problem, located by file and line.

public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int
    public let reason: String
    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }
    public var description: String { "\(file):\(line): \(reason)" }
}

/// Finds the line of a table or key in TOML text, for error messages
/// (TOMLKit reports positions only for syntax errors).
public struct LineLocator {
    let lines: [Substring]

    public init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    private static func normalize<S: StringProtocol>(_ s: S) -> String {
        String(s.filter { $0 != " " && $0 != "\"" && $0 != "'" && $0 != "\t" })
    }

    /// The 1-based line of the header `[path]`, or nil.
    public func table(_ path: [String]) -> Int? {
        guard !path.isEmpty else { return 1 }
        let wanted = "[" + path.joined(separator: ".") + "]"
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: " \t")
            guard trimmed.hasPrefix("[") else { continue }
            let header = trimmed.split(separator: "#", maxSplits: 1).first.map { Self.normalize($0) } ?? ""
            if header == wanted { return i + 1 }
        }
        return nil
    }

    /// The 1-based line of `key` inside table `path`, else the table's line, else 1.
    public func key(_ key: String, in path: [String]) -> Int {
        // The header's 1-based line number is the 0-based index of the line after it.
        let start = table(path) ?? 0
        for i in start..<lines.count {
            let trimmed = lines[i].trimmingCharacters(in: " \t")
            if trimmed.hasPrefix("[") { break }
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            if Self.normalize(trimmed[..<eq]) == Self.normalize(key) { return i + 1 }
        }
        // A key whose value is a table appears as a header: [path.key] or [path.key.sub].
        let prefix = "[" + (path + [key]).joined(separator: ".")
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: " \t")
            guard trimmed.hasPrefix("[") else { continue }
            let header = trimmed.split(separator: "#", maxSplits: 1).first.map { Self.normalize($0) } ?? ""
            if header == prefix + "]" || header.hasPrefix(prefix + ".") { return i + 1 }
        }
        return table(path) ?? 1
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> Substring {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}
