// RFC 3339 timestamps without Foundation's formatters. Constructing an
// `ISO8601DateFormatter` opens an ICU calendar (tens of microseconds) and was
// a sixth of the payment plugin's CPU per event; these run in well under one.
import Foundation

/// RFC 3339 date-times (the catalog's `occurredAt`) and UTC calendar days.
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS`, an optional fraction (kept to the
    /// nanosecond), then `Z` or `±HH:MM`; `t` and `z` may be lower case. The
    /// calendar is checked (no February 30th, no February 29th outside leap
    /// years); a leap second (`:60`) is read as the next second.
    /// - Returns: `nil` when `text` is not such a timestamp.
    public static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// The same for the UTF-8 bytes of a timestamp.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Date? {
        let n = bytes.count
        guard n >= 20 else { return nil }
        func digits(_ i: Int, _ count: Int) -> Int? {
            var value = 0
            for k in i..<(i + count) {
                let d = bytes[k] &- 0x30
                guard d < 10 else { return nil }
                value = value * 10 + Int(d)
            }
            return value
        }
        guard let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = digits(5, 2), (1...12).contains(month), bytes[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), day >= 1, day <= daysIn(month: month, year: year),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), hour <= 23, bytes[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2), minute <= 59, bytes[16] == UInt8(ascii: ":"),
              let second = digits(17, 2), second <= 60 else { return nil }
        var i = 19
        var nanoseconds = 0
        if bytes[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            var scale = 100_000_000
            while i < n, case let d = bytes[i] &- 0x30, d < 10 {
                nanoseconds += Int(d) * scale
                scale /= 10
                i += 1
            }
            guard i > start, i < n else { return nil }
        }
        var offset = 0
        switch bytes[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == n else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == n, let h = digits(i + 1, 2), h <= 23, bytes[i + 3] == UInt8(ascii: ":"),
                  let m = digits(i + 4, 2), m <= 59 else { return nil }
            offset = (h * 60 + m) * 60 * (bytes[i] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400
            + hour * 3_600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: UTC, milliseconds (truncated), the form
    /// follow-ups and state documents carry.
    public static func string(_ date: Date) -> String {
        // Truncated to the millisecond, never later than `date` by more than the 1 µs that absorbs the
        // binary error of a millisecond instant (1.7e9 s × 1000 is off by up to 2.4e-4 ms).
        let milliseconds = Int((date.timeIntervalSince1970 * 1000 + 0.001).rounded(.down))
        let (seconds, millis) = milliseconds.floorDivided(by: 1000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let (year, month, day) = civil(days)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var at = 0
            func put(_ value: Int, _ width: Int) {
                var v = value
                for k in stride(from: width - 1, through: 0, by: -1) {
                    buffer[at + k] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    v /= 10
                }
                at += width
            }
            func put(_ byte: Character) {
                buffer[at] = byte.asciiValue!
                at += 1
            }
            put(year, 4); put("-"); put(month, 2); put("-"); put(day, 2); put("T")
            put(secondOfDay / 3_600, 2); put(":"); put(secondOfDay / 60 % 60, 2); put(":"); put(secondOfDay % 60, 2)
            put("."); put(millis, 3); put("Z")
            return at
        }
    }

    /// `yyyy-MM-dd` of day `number` (days since 1970-01-01).
    public static func day(_ number: Int) -> String {
        let (year, month, day) = civil(number)
        return String(unsafeUninitializedCapacity: 10) { buffer in
            let fields = [(year, 4, 0), (month, 2, 5), (day, 2, 8)]
            for (value, width, start) in fields {
                var v = value
                for k in stride(from: width - 1, through: 0, by: -1) {
                    buffer[start + k] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    v /= 10
                }
            }
            buffer[4] = UInt8(ascii: "-")
            buffer[7] = UInt8(ascii: "-")
            return 10
        }
    }

    /// The UTC day number (days since 1970-01-01) of `date`.
    public static func dayNumber(of date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The day number of a `yyyy-MM-dd` text, `nil` when it is not a calendar day.
    public static func dayNumber(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for k in range {
                let d = bytes[k] &- 0x30
                guard d < 10 else { return nil }
                value = value * 10 + Int(d)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), (1...12).contains(month),
              let day = digits(8..<10), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return daysSinceEpoch(year: year, month: month, day: day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
    /// `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse (`civil_from_days`).
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    /// Quotient and remainder rounding toward negative infinity (times before 1970).
    fileprivate func floorDivided(by divisor: Int) -> (quotient: Int, remainder: Int) {
        let (q, r) = quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
