import CinergyCore
import Testing

/// `RFC3339`'s output bytes and accepted inputs, pinned: every timestamp the agent writes (the
/// sampler's `sampled_at`, `/health`, reports, JSON logs) and every `from`/`to` and factor-file
/// time it reads goes through it. (docs/BENCHMARKS.md, "RFC 3339 timestamps": FoundationEssentials'
/// `Date.ISO8601FormatStyle` differs on the cases marked below.)
@Suite("RFC 3339 formatting and parsing")
struct RFC3339Tests {
    @Test(
        "format: UTC, milliseconds rounded to the nearest, always three digits and Z",
        arguments: [
            (1_796_083_200.0, "2026-12-01T00:00:00.000Z"),
            // Rounded, not truncated: the nearest Double below .123 still prints .123 (the style
            // truncates it to .122).
            (1_732_837_239.123, "2024-11-28T23:40:39.123Z"),
            // Rounding carries into the second (the style prints 00.999).
            (1_796_083_200.9996, "2026-12-01T00:00:01.000Z"),
            (1_796_083_200.0004, "2026-12-01T00:00:00.000Z"),
            (0.0, "1970-01-01T00:00:00.000Z"),
            (-1.5, "1969-12-31T23:59:58.500Z"),
            (951_782_400.25, "2000-02-29T00:00:00.250Z"),
            (253_402_300_799.0, "9999-12-31T23:59:59.000Z"),
        ]
    )
    func format(unixSeconds: Double, expected: String) {
        #expect(RFC3339.format(unixSeconds: unixSeconds) == expected)
    }

    @Test(
        "parse: T, t or a space; Z, z or ±hh:mm; any number of fraction digits; a leap second",
        arguments: [
            ("2026-12-01T00:00:00Z", 1_796_083_200.0),
            // Lower-case and space separators, which RFC 3339 allows (the style rejects them).
            ("2026-12-01t00:00:00z", 1_796_083_200.0),
            ("2026-12-01 00:00:00Z", 1_796_083_200.0),
            ("2026-12-01T00:00:00.123456789Z", 1_796_083_200.123456789),
            ("2026-12-01T08:00:00.5+08:00", 1_796_083_200.5),
            ("2026-12-31T23:59:60Z", 1_798_761_600.0),
        ]
    )
    func parse(text: String, expected: Double) throws {
        let parsed = try #require(RFC3339.parse(text))
        #expect(abs(parsed - expected) < 1e-6, "\(text): \(parsed)")
    }

    @Test(
        "parse rejects what RFC 3339 does not allow",
        arguments: [
            // Trailing text, an offset without its colon, a nonexistent day (the style accepts all
            // three: the first as its prefix, the last as March 2).
            "2026-12-01T00:00:00Zjunk", "2026-12-01T00:00:00+0100", "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-01T00:00:00.Z", "2026-12-01T00:00Z", "2026-12-01T00:00:00",
        ]
    )
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("what format writes, parse reads back to the millisecond", arguments: [0.0, 1_796_083_200.5, 1_796_083_261.017, 4_102_444_800.999])
    func roundTrip(unixSeconds: Double) throws {
        let parsed = try #require(RFC3339.parse(RFC3339.format(unixSeconds: unixSeconds)))
        #expect(abs(parsed - unixSeconds) <= 0.0005 + 1e-9)
    }
}
