import EventdConfig
import Foundation
import Testing

/// Regression tests for what the FuzzConfiguration target found: toml++ (under
/// TOMLKit) fails an assertion, aborting the process (`--check-config` included),
/// on a table header whose name does not start with a key: `[.kafka]`, `[` then
/// a control character or any other character a key cannot start with.
@Suite struct TOMLTextTests {
    /// The fuzzer's input, cut to its cause: `[`, U+0002, then a valid file.
    static let crash = "[\u{02}\u{02}kafka]\n\"sasl.password\" = \"${credential:kafka-password}\"\n"

    @Test func controlCharacterInATableHeaderIsAnErrorNotAnAbort() throws {
        try expectError(daemonError(Self.crash), file: "/cfg/eventd.toml", line: 1, mentions: "TOML syntax", "U+0002", "column 2")
        try expectError(pluginError(Self.crash), file: "/cfg/plugins.d/p.toml", line: 1, mentions: "U+0002")
    }

    @Test(arguments: [
        ("[daemon]\nlog_level = \"in\u{01}fo\"\n", 2, "U+0001", "column 16"),
        ("# comment \u{7F}\n[daemon]\n", 1, "U+007F", "column 11"),
        ("[daemon]\n\n[kafka]\u{0B}\n", 3, "U+000B", "column 8"),
        ("\u{00}", 1, "U+0000", "column 1"),
    ])
    func controlCharactersAreRefusedWithLineAndColumn(_ text: String, _ line: Int, _ code: String, _ column: String) throws {
        try expectError(daemonError(text), line: line, mentions: code, column)
    }

    @Test func tabsAndCRLFLineEndsStayAllowed() {
        #expect(daemonError("[daemon]\r\n\tlog_level = \"info\"\t# tab\r\n") == nil)
    }

    @Test func theShippedFilesPass() throws {
        #expect(daemonError(try Shipped.text()) == nil)
    }

    @Test(arguments: [
        ("[.kafka]\nbatch_size = 3\n", 1, "not '.'"),
        ("[daemon]\nlog_level = \"info\"\n\n[[ =x]]\n", 4, "not '='"),
        ("# a comment\n  [\u{FFFD}kafka]\n", 2, "not '\u{FFFD}'"),   // the fuzzer's second input: invalid UTF-8 read as U+FFFD
        ("[daemon]\n[\n", 2, "not the end of the line"),
        ("[daemon]\n[\r\nx = 1\n", 2, "not the end of the line"),
        ("\u{FEFF}[\r\rete\"]\n", 1, "not the end of the line"),   // the fuzzer's fourth input: after a byte order mark
    ])
    func tableHeaderWithoutAKeyIsAnErrorNotAnAbort(_ text: String, _ line: Int, _ seen: String) throws {
        try expectError(daemonError(text), line: line, mentions: "TOML syntax: a table header must start with a key", seen)
    }

    /// Brackets inside values, strings and comments are not headers, however they start a line.
    @Test func bracketsInValuesStringsAndCommentsAreNotHeaders() {
        let text = #"""
            [daemon]
            log_level = "info"

            [settings]
            matrix = [
              [+1, -2],
              [{ a = 1 }],
              [ ],
            ]
            text = """
            [.not a header
            ["""
            literal = '''
            [= neither'''
            one = "[.x" # [.comment
            "quoted.key" = { b = [ [1.5] ] }
            ['quoted header']
            [ spaced . 'dotted' ]
            [[array.of.tables]]
            """#
        // Valid TOML: whatever the daemon file's own checks say about its tables, it is no syntax error.
        let reason = daemonError(text)?.reason ?? ""
        #expect(!reason.contains("TOML syntax"), "\(reason)")
    }

    /// The fuzzer's third input, cut to its cause.
    @Test(arguments: ["x = 1979-05-27T(07:32:00Z\n", "[settings]\nx = { y = [1, 2.5, \"z\", 1979-05-27T(07:32:00Z] }\n", "x = [1979-05-27t]\n"])
    func dateWithoutATimeAfterTIsAnErrorNotAnAbort(_ text: String) throws {
        try expectError(daemonError(text), mentions: "TOML syntax: a date-time needs a time")
    }

    @Test func datesTimesAndKeysThatLookLikeThemStayAllowed() {
        let text = "[settings]\na = 1979-05-27T07:32:00Z\nb = 1979-05-27\nc = [1979-05-27t07:32:00, 07:32:00]\n1979-05-27Tkey = 1\nd = { 1979-05-27Tx = 2 }\n"
        let reason = daemonError(text)?.reason ?? ""
        #expect(!reason.contains("TOML syntax"), "\(reason)")
    }

    /// The fuzzer's fifth input, cut to its cause.
    @Test(arguments: ["x = { y = [1, 2.5, \"z\", }\n", "x = [}]\n", "x = [\n  1, # c\n  }\n"])
    func closingBraceInsideAnArrayIsAnErrorNotAnAbort(_ text: String) throws {
        try expectError(daemonError(text), mentions: "TOML syntax: '}' inside an array")
    }
}
