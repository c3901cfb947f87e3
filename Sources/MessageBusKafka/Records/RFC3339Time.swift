import Foundation

/// Reads RFC 3339 times in UTC with milliseconds (`2026-11-25T13:24:05.123Z`), as other CloudEvents producers send
/// them in the `ce_time` header.
///
/// Read by hand because this runs for every consumed record that has the header, and a general date parser costs
/// microseconds per call; other RFC 3339 forms (offsets, other precisions) fall back to Foundation's parser.
enum RFC3339Time {
    private static let fallback = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `date` as RFC 3339 in UTC with milliseconds, as ``parse(_:)-(UnsafeRawBufferPointer)`` reads it fastest.
    /// Written only for records published again (retries, dead letters), not per record published.
    static func format(_ date: Date) -> String {
        // The nearest millisecond: a time read from a record (milliseconds / 1000) comes back to the same number,
        // where truncating would lose one to the binary fraction.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, millisecondOfDay) = Self.floorDivision(milliseconds, 86_400_000)
        let (year, month, day) = Self.civilDate(daysSince1970: Int(days))
        let second = Int(millisecondOfDay / 1000)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day, second / 3600, second / 60 % 60,
            second % 60, Int(millisecondOfDay % 1000))
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (the inverse of ``daysSince1970(year:month:day:)``).
    private static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        // Counted in 400-year eras from 0000-03-01, so that the leap day ends each year.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The time in `text`, or `nil` when it is not RFC 3339.
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { self.parse(UnsafeRawBufferPointer($0)) }
    }

    /// The time in the UTF-8 `bytes` (a header value, read in place), or `nil` when it is not RFC 3339.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Date? {
        func fallback() -> Date? { try? self.fallback.parse(String(decoding: bytes, as: UTF8.self)) }
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
        else { return fallback() }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let millisecond = number(20..<23)
        else { return fallback() }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            return fallback()
        }
        let seconds = Self.daysSince1970(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + Double(millisecond) / 1000)
    }
}

extension RFC3339Time {
    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`): `timegm` costs
    /// more than the rest of the parse, and this runs for every consumed record with a `ce_time` header.
    fileprivate static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
