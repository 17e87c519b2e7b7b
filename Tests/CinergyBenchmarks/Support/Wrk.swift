import CinergyTestSupport
import Foundation

/// `wrk`, the HTTP load generator (Debian package `wrk`), and what it reports.
enum Wrk {
    struct Result {
        let requestsPerSecond: Double
        let p50Seconds: Double
        let p99Seconds: Double
        let requests: Int
        /// Non-2xx answers plus socket errors: anything but zero spoils the run.
        let errors: Int
    }

    /// Runs `wrk -t THREADS -c CONNECTIONS -d SECONDS --latency URL` and parses its report.
    static func run(url: String, threads: Int = 2, connections: Int = 64, seconds: Int, directory: String) async throws -> Result {
        guard let wrk = Kernel.which("wrk") else { throw TestFailure("wrk is not installed: run `make bench`") }
        let log = directory + "/wrk.log"
        let child = try ChildProcess(
            "wrk", executable: wrk,
            arguments: ["-t", String(threads), "-c", String(connections), "-d", "\(seconds)s", "--latency", url], logFile: log
        )
        guard let status = await child.waitForExit(seconds: Double(seconds) + 60), status == 0 else {
            throw TestFailure("wrk failed on \(url): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        let output = try String(contentsOfFile: log, encoding: .utf8)
        return try parse(output, url: url)
    }

    static func parse(_ output: String, url: String) throws -> Result {
        var rps: Double?
        var p50: Double?
        var p99: Double?
        var requests = 0
        var errors = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = fields.first else { continue }
            switch first {
            case "Requests/sec:": rps = fields.count > 1 ? Double(fields[1]) : nil
            case "50%": p50 = fields.count > 1 ? seconds(fields[1]) : nil
            case "99%": p99 = fields.count > 1 ? seconds(fields[1]) : nil
            case "Non-2xx": errors += Int(fields.last ?? "") ?? 1
            case "Socket":
                // Socket errors: connect 0, read 0, write 0, timeout 0
                for (index, field) in fields.enumerated() where ["connect", "read", "write", "timeout"].contains(field) {
                    errors += Int(fields[index + 1].trimmingCharacters(in: CharacterSet(charactersIn: ","))) ?? 0
                }
            default:
                if fields.count > 3, fields[1] == "requests", fields[2] == "in" { requests = Int(first) ?? 0 }
            }
        }
        guard let rps, let p50, let p99 else { throw TestFailure("cannot read wrk's report for \(url):\n\(output)") }
        return Result(requestsPerSecond: rps, p50Seconds: p50, p99Seconds: p99, requests: requests, errors: errors)
    }

    /// `812.00us`, `3.35ms`, `1.02s`, `1.5m` → seconds.
    static func seconds(_ text: String) -> Double? {
        for (unit, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}
