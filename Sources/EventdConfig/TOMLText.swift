// What the TOML text must pass before TOMLKit's parser (toml++) sees it: toml++ 3
// asserts (aborting the process in a debug build, undefined behaviour with NDEBUG)
// instead of reporting some errors; each check below stands for one the
// FuzzConfiguration target found (Tests/EventdConfigTests/TOMLTextTests.swift).

extension ConfigurationLoader {
    /// Every check; a `ConfigError` names the line.
    static func checkBeforeParsing(_ text: String, file: String) throws(ConfigError) {
        try checkCharacters(text, file: file)
        try checkStructure(text, file: file)
    }

    /// Refuses control characters other than tab, LF and CR: TOML allows them
    /// nowhere, not even in strings or comments, and toml++ 3 does not always
    /// say so. `[` followed by U+0002 fails an assertion inside it (found by the
    /// FuzzConfiguration target), which would abort the daemon or `--check-config`
    /// instead of naming the line.
    /// - Throws: `ConfigError` with the line and column of the first such character.
    static func checkCharacters(_ text: String, file: String) throws(ConfigError) {
        var line = 1, column = 1
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A:
                line += 1
                column = 0
            case 0x00...0x08, 0x0B...0x0C, 0x0E...0x1F, 0x7F:
                let code = String(scalar.value, radix: 16, uppercase: true)
                throw ConfigError(file: file, line: line, reason: "TOML syntax: control character U+\(String(repeating: "0", count: 4 - code.count))\(code) "
                                  + "at column \(column); TOML allows only tab, LF and CR (write it escaped inside a string)")
            default:
                break
            }
            column += 1
        }
    }

    /// Refuses a table header whose name does not start with a key (`[.kafka]`,
    /// `[=x]`, `[` at the end of a line), which toml++ hands to its key parser
    /// unchecked, and a `}` where an array element belongs (`[1, }`), which it hands
    /// to its value parser; checks each value that starts with a digit (`checkDateTime`).
    /// Strings and comments are skipped and arrays and inline tables followed, so
    /// only a `[` that opens a line at the top level counts as a header, and only
    /// what follows `=`, or `[` and `,` inside an array, as a value.
    /// - Throws: `ConfigError` with the line.
    static func checkStructure(_ text: String, file: String) throws(ConfigError) {
        let bytes = Array(text.utf8)
        let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), newline = UInt8(ascii: "\n")
        // toml++ skips a byte order mark, so the first line starts after it.
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, line = 1, lineStart = true
        /// The open arrays (`[`) and inline tables (`{`) of the value being read.
        var containers: [UInt8] = []
        /// The last byte that was not blank, a comment or a string: whether a value starts here.
        var previous: UInt8 = newline
        func isKeyStart(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), quote, apostrophe, UInt8(ascii: "]"): true
            default: false
            }
        }
        /// Skips a string starting at `i`, counting the newlines of a multi-line one.
        func skipString() {
            let delimiter = bytes[i]
            let multiLine = i + 2 < bytes.count && bytes[i + 1] == delimiter && bytes[i + 2] == delimiter
            i += multiLine ? 3 : 1
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\\") && delimiter == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == newline { line += 1 }
                    i += 2
                    continue
                }
                if c == newline { if !multiLine { return }; line += 1 }
                if c == delimiter && (!multiLine || (i + 2 < bytes.count && bytes[i + 1] == delimiter && bytes[i + 2] == delimiter)) {
                    i += multiLine ? 3 : 1
                    return
                }
                i += 1
            }
        }
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case newline:
                line += 1
                lineStart = true
                i += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
                continue
            case UInt8(ascii: "#"):
                while i < bytes.count && bytes[i] != newline { i += 1 }
                continue
            case quote, apostrophe:
                skipString()
                previous = quote
                lineStart = false
                continue
            case UInt8(ascii: "[") where containers.isEmpty && lineStart:
                var j = i + 1
                if j < bytes.count && bytes[j] == UInt8(ascii: "[") { j += 1 }
                while j < bytes.count && (bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t")) { j += 1 }
                if j < bytes.count && !isKeyStart(bytes[j]) {
                    let next = String(decoding: bytes[j..<min(j + 4, bytes.count)], as: UTF8.self).first.map(String.init) ?? ""
                    let seen = next == "\n" || next == "\r\n" || next == "\r" ? "the end of the line" : "'\(next)'"
                    throw ConfigError(file: file, line: line, reason: "TOML syntax: a table header must start with a key, not \(seen)")
                }
                i = j
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                containers.append(c)
                i += 1
            case UInt8(ascii: "}") where containers.last == UInt8(ascii: "["):
                // toml++ takes it for the start of an array element and fails an assertion.
                throw ConfigError(file: file, line: line, reason: "TOML syntax: '}' inside an array, where a value or ']' belongs")
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                _ = containers.popLast()
                i += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9")
                where previous == UInt8(ascii: "=") || (containers.last == UInt8(ascii: "[") && (previous == UInt8(ascii: "[") || previous == UInt8(ascii: ","))):
                try checkDateTime(bytes, at: i, line: line, file: file)
                i += 1
            default:
                i += 1
            }
            previous = c
            lineStart = false
        }
    }

    /// Refuses a value that starts as a date and a `T` without a time after it
    /// (`1979-05-27T(07:32:00Z`): toml++ hands it to its time parser unchecked and
    /// fails an assertion there.
    private static func checkDateTime(_ bytes: [UInt8], at i: Int, line: Int, file: String) throws(ConfigError) {
        func digit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= UInt8(ascii: "0") && bytes[k] <= UInt8(ascii: "9") }
        let isDate = [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { digit(i + $0) }
            && bytes[i + 4] == UInt8(ascii: "-") && bytes[i + 7] == UInt8(ascii: "-")
        guard isDate, i + 11 < bytes.count, bytes[i + 10] == UInt8(ascii: "T") || bytes[i + 10] == UInt8(ascii: "t"), !digit(i + 11) else { return }
        throw ConfigError(file: file, line: line, reason: "TOML syntax: a date-time needs a time (HH:MM:SS) after '\(Character(Unicode.Scalar(bytes[i + 10])))'")
    }
}
