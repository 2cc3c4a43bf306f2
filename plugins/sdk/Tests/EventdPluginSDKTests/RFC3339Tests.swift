// The SDK's RFC 3339 code against Foundation's ISO8601DateFormatter as the oracle.
import EventdPluginSDK
import Foundation
import Testing

@Suite struct RFC3339Tests {
    let fractional: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    /// Millisecond instants from 1900 to 2200, spread by a fixed generator.
    static let instants: [Date] = {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<2_000).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let ms = Int64(x % 9_467_280_000_000) - 2_208_988_800_000   // 1900-01-01 .. 2200-01-01
            return Date(timeIntervalSince1970: Double(ms) / 1000)
        } + [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400), Date(timeIntervalSince1970: -1)]
    }()

    @Test func formatsAsFoundationDoes() {
        for date in Self.instants {
            #expect(RFC3339.string(date) == fractional.string(from: date), "\(date.timeIntervalSince1970)")
        }
    }

    /// A follow-up's time is never after the moment it was taken (a rounded-up millisecond was, by up to 0.5 ms).
    @Test func truncatesToTheMillisecondNeverLater() {
        #expect(RFC3339.string(Date(timeIntervalSince1970: 1.9996)) == "1970-01-01T00:00:01.999Z")
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<2_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let date = Date(timeIntervalSince1970: 1_700_000_000 + Double(x % 100_000_000_000) / 1e9)
            let back = RFC3339.date(RFC3339.string(date))
            #expect(back.map { $0 <= date.addingTimeInterval(1e-6) && $0 > date.addingTimeInterval(-0.001) } == true, "\(date.timeIntervalSince1970)")
        }
    }

    @Test func parsesWhatItFormatsAndWhatFoundationParses() {
        for date in Self.instants {
            let text = RFC3339.string(date)
            #expect(RFC3339.date(text) == fractional.date(from: text), "\(text)")
        }
    }

    @Test(arguments: [
        ("2025-06-01T12:00:00Z", 1_748_779_200.0),
        ("2025-06-01t12:00:00z", 1_748_779_200.0),
        ("2025-06-01T14:30:00+02:30", 1_748_779_200.0),
        ("2025-06-01T09:00:00-03:00", 1_748_779_200.0),
        ("2025-06-01T12:00:00.5Z", 1_748_779_200.5),
        ("2025-06-01T12:00:00.123456789Z", 1_748_779_200.123456789),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
        ("2000-02-29T00:00:00Z", 951_782_400.0),
    ])
    func parses(_ text: String, _ seconds: Double) {
        #expect(RFC3339.date(text)?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        "", "yesterday", "2025-06-01", "2025-06-01T12:00:00", "2025-06-01 12:00:00Z", "2025-13-01T12:00:00Z",
        "2025-02-29T12:00:00Z", "1900-02-29T12:00:00Z", "2025-04-31T12:00:00Z", "2025-06-01T24:00:00Z",
        "2025-06-01T12:60:00Z", "2025-06-01T12:00:61Z", "2025-06-01T12:00:00.Z", "2025-06-01T12:00:00+0200",
        "2025-06-01T12:00:00Z ", "2025-06-01T12:00:00+24:00", "２025-06-01T12:00:00Z",
    ])
    func refuses(_ text: String) {
        #expect(RFC3339.date(text) == nil)
    }

    @Test func calendarDays() {
        for number in stride(from: -719_000, through: 2_900_000, by: 997) {  // years 0001 to 9910
            let text = RFC3339.day(number)
            #expect(RFC3339.dayNumber(text) == number, "\(text)")
        }
        #expect(RFC3339.day(0) == "1970-01-01")
        #expect(RFC3339.day(20_240) == "2025-06-01")
        #expect(RFC3339.dayNumber(of: Date(timeIntervalSince1970: -1)) == -1)
        #expect(RFC3339.dayNumber("2025-02-29") == nil)
        #expect(RFC3339.dayNumber("2025-6-01") == nil)
    }
}
