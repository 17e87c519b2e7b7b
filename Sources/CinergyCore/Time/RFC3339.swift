import CinergySystem
internal import FoundationEssentials

/// RFC 3339 date-times (`2026-12-01T07:00:00Z`, `2026-12-01T08:00:00.5+01:00`) to and from Unix
/// seconds. Formatting is FoundationEssentials'; parsing stays our own, because the library's
/// `ISO8601FormatStyle` parses a different language (it rejects `t`, `z` and a space separator,
/// which RFC 3339 allows, and accepts trailing text, `+0100` and February 30).
public enum RFC3339 {
    /// The Unix time of `text`, or nil when it is not an RFC 3339 date-time with a zone (`Z` or
    /// `±hh:mm`; a space or `t` may stand for `T`, fractional seconds are optional).
    public static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"), let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour <= 23, minute <= 59, second <= 60 else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds = 0
        if expect("Zz") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(":"), let offsetMinutes = digits(2), offsetHours <= 23, offsetMinutes <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let daysInMonth = [31, (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= daysInMonth[month - 1] else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(min(second, 59))
        let seconds = timegm(&parts)
        return Double(seconds) + Double(second == 60 ? 1 : 0) + fraction - Double(offsetSeconds)
    }

    /// `unixSeconds` in UTC with milliseconds, such as `2026-11-28T23:40:39.123Z`: FoundationEssentials'
    /// `Date.ISO8601FormatStyle` (docs/BENCHMARKS.md, "RFC 3339 timestamps"). The style truncates
    /// to the millisecond, and a Double just below `.123` would print `.122`: it is given the middle
    /// of the millisecond `unixSeconds` rounds to (carrying into the next second at `.9995`).
    public static func format(unixSeconds: Double) -> String {
        var seconds = unixSeconds.rounded(.down)
        var millis = ((unixSeconds - seconds) * 1000).rounded()
        if millis >= 1000 {
            seconds += 1
            millis -= 1000
        }
        return formatStyle.format(Date(timeIntervalSince1970: seconds + (millis + 0.5) / 1000))
    }

    /// UTC, `T`, milliseconds and `Z`.
    private static let formatStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}
