import CinergyLedger

enum Timestamp {
    /// RFC 3339 in UTC with milliseconds, such as `2026-11-28T23:40:39.123Z` (one implementation,
    /// `RFC3339.format`, shared with the ledger, which also parses them).
    static func rfc3339(unixSeconds: Double) -> String {
        RFC3339.format(unixSeconds: unixSeconds)
    }
}
