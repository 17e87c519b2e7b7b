import CinergyCore

enum Timestamp {
    /// RFC 3339 in UTC with milliseconds, such as `2026-11-28T23:40:39.123Z` (one implementation,
    /// `RFC3339.format`, in CinergyCore, shared with the ledger and the calibration, which also parse them).
    static func rfc3339(unixSeconds: Double) -> String {
        RFC3339.format(unixSeconds: unixSeconds)
    }
}
