// The metrics endpoint's request reader: the head of one HTTP request, read
// from whatever bytes a local client sends, and the answer it gets.

/// The head of one request to the metrics endpoint, gathered chunk by chunk.
package struct MetricsRequest: Sendable {
    /// Bytes gathered at most before answering what has arrived.
    package static let limit = 8192
    package private(set) var bytes: [UInt8] = []

    package init() {}

    /// Whether to read on: the head has not ended and the limit is not reached.
    package var wantsMore: Bool { bytes.count < Self.limit && !containsHeaderEnd }

    package mutating func append(_ chunk: some Sequence<UInt8>) { bytes += chunk }

    /// The bytes before the first CR or LF, invalid UTF-8 repaired.
    package var requestLine: String { String(decoding: bytes.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self) }

    /// Whether it asks for `GET /metrics` (HTTP/1.x or the bare HTTP/0.9 line).
    package var isScrape: Bool {
        let line = requestLine
        return line.hasPrefix("GET /metrics ") || line == "GET /metrics"
    }

    /// The whole answer: the exposition for a scrape, 404 for anything else.
    package func response(exposition: () -> String) -> String {
        let status: String, contentType: String, body: String
        if isScrape {
            (status, contentType, body) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", exposition())
        } else {
            (status, contentType, body) = ("404 Not Found", "text/plain", "only GET /metrics is served here\n")
        }
        return "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    }

    private var containsHeaderEnd: Bool {
        guard bytes.count >= 4 else { return false }
        for i in 0...(bytes.count - 4) where bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A {
            return true
        }
        return false
    }
}
