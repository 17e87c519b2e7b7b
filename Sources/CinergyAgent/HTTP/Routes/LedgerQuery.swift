import CinergyCore
import CinergyLedger
import Hummingbird

/// The query parameters `/energy` and `/report` share: a period and the ledger to read it from.
enum LedgerQuery {
    /// At most this many points in a `/energy` series.
    static let maxPoints = 10_000

    /// The single value of `name`, nil when absent; 400 when given twice or empty.
    static func single(_ name: String, in query: QueryParameters) throws(APIError) -> String? {
        let values = query.values(name)
        guard values.count <= 1 else { throw APIError(.badRequest, "query parameter '\(name)' is given \(values.count) times; give it once") }
        guard let value = values.first else { return nil }
        guard !value.isEmpty else { throw APIError(.badRequest, "query parameter '\(name)' is empty") }
        return value
    }

    /// `from` and `to` (RFC 3339), by default the 24 hours to now; 400 for a bad time or `from`
    /// after `to`.
    static func period(_ query: QueryParameters, nowUnixSeconds: Double) throws(APIError) -> LedgerPeriod {
        func time(_ name: String) throws(APIError) -> Double? {
            guard let text = try single(name, in: query) else { return nil }
            guard let value = RFC3339.parse(text), value.isFinite else {
                throw APIError(.badRequest, "query parameter '\(name)' is not an RFC 3339 time such as 2026-12-01T00:00:00Z: '\(text)'")
            }
            return value
        }
        let to = try time("to") ?? nowUnixSeconds
        let from = try time("from") ?? to - 86400
        guard from <= to else {
            throw APIError(.badRequest, "'from' (\(RFC3339.format(unixSeconds: from))) is after 'to' (\(RFC3339.format(unixSeconds: to)))")
        }
        return LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: to)
    }

    /// `format`: json (the default) or csv; 400 otherwise.
    static func format(_ query: QueryParameters) throws(APIError) -> ReportFormat {
        let text = try single("format", in: query) ?? "json"
        guard let format = ReportFormat(rawValue: text) else {
            throw APIError(.badRequest, "query parameter 'format' must be json or csv: '\(text)'")
        }
        return format
    }

    /// A document in `format` as a response (CSV as an attachment named `filename`).
    static func response(_ text: String, format: ReportFormat, filename: String) -> Response {
        switch format {
        case .json:
            return JSONResponse.make(text)
        case .csv:
            return Response(
                status: .ok,
                headers: [.contentType: format.contentType, .contentDisposition: "attachment; filename=\"\(filename)\""],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text))
            )
        }
    }

    /// A step of 1 to 9999 minutes, hours or days: `15m`, `1h`, `1d` (the document's pattern
    /// `^[1-9][0-9]{0,3}[mhd]$`).
    static func step(_ query: QueryParameters) throws(APIError) -> Int64 {
        guard let text = try single("step", in: query) else { return 3600 }
        let units: [Character: Int64] = ["m": 60, "h": 3600, "d": 86400]
        let digits = text.dropLast()
        guard let last = text.last, let unit = units[last], (1...4).contains(digits.count), digits.first != "0",
            digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int64(digits)
        else {
            throw APIError(.badRequest, "query parameter 'step' must be 1 to 9999 minutes, hours or days, such as 15m, 1h or 1d: '\(text)'")
        }
        return count * unit
    }

    /// The open store, or a 503 saying why there is none.
    static func store(of ledger: Ledger?) throws(APIError) -> LedgerStore {
        guard let ledger, ledger.isEnabled else {
            throw APIError(.serviceUnavailable, "the ledger is off (STATE_DIRECTORY=none): there is no history to report")
        }
        guard let store = ledger.store else {
            throw APIError(.serviceUnavailable, "the ledger is unavailable: \(ledger.status().detail ?? "opening")")
        }
        return store
    }

    /// A ledger that cannot be read: a 503 saying why.
    static func unavailable(_ error: LedgerError) -> APIError {
        APIError(.serviceUnavailable, "the ledger cannot be read: \(error)")
    }
}
