import Foundation

/// Reads RFC 3339 times in UTC with milliseconds (`2026-11-25T13:24:05.123Z`), as other CloudEvents producers send
/// them in the `ce_time` header.
///
/// Read by hand because this runs for every consumed record that has the header, and a general date parser costs
/// microseconds per call; other RFC 3339 forms (offsets, other precisions) fall back to Foundation's parser.
enum RFC3339Time {
    private static let fallback = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

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
