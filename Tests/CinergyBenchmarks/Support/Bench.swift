import CinergyTestSupport
import Foundation

/// Settings and the results file shared by the benchmark suites that `make bench` runs.
///
/// The suites are measurements, not tests: they live in a target of their own (CinergyBenchmarks),
/// which `make test` skips; they fail only when the harness itself breaks (a tool missing, the
/// agent not answering), and record whether each target is met instead of asserting it. Knobs, all
/// optional:
///
/// - `CINERGY_BENCH_OUTPUT`: directory the summary rows and per-run details are written to.
/// - `CINERGY_BENCH_RUNS`: runs per figure, whose median is reported (default 3).
/// - `CINERGY_BENCH_VM_COUNTS`: stand-in counts of the sampling benchmark (default `10,100,1000`).
/// - `CINERGY_BENCH_WINDOW`: seconds of each sampling-cost window (default 30).
/// - `CINERGY_BENCH_WRK_SECONDS`: duration of each wrk run (default 10).
enum Bench {
    static let environment = ProcessInfo.processInfo.environment

    static var runs: Int { max(1, Int(environment["CINERGY_BENCH_RUNS"] ?? "") ?? 3) }

    static var vmCounts: [Int] {
        let counts = (environment["CINERGY_BENCH_VM_COUNTS"] ?? "10,100,1000").split(separator: ",").compactMap { Int($0) }
        return counts.isEmpty ? [10, 100, 1000] : counts
    }

    static var windowSeconds: Double { Double(environment["CINERGY_BENCH_WINDOW"] ?? "") ?? 30 }

    static var wrkSeconds: Int { Int(environment["CINERGY_BENCH_WRK_SECONDS"] ?? "") ?? 10 }

    /// The agent's settings in every benchmark: the end-to-end model, the production log level.
    static var agentEnv: [String: String] {
        EndToEnd.env.merging(["LOG_LEVEL": "info", "SAMPLE_INTERVAL": "1"]) { $1 }
    }

    /// Runs `body` again, up to `attempts` times in all, when it throws: on a shared machine
    /// another test run may restart libvirtd in the middle of a window.
    static func retrying<T>(_ what: String, attempts: Int = 3, _ body: () async throws -> T) async throws -> T {
        for attempt in 1..<attempts {
            do {
                return try await body()
            } catch {
                print("BENCHMARK \(what) failed (attempt \(attempt) of \(attempts)), retrying: \(error)")
            }
        }
        return try await body()
    }

    /// The median (the mean of the two middle values for an even count); NaN for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return (sorted[sorted.count / 2] + sorted[(sorted.count - 1) / 2]) / 2
    }

    /// `value` with `digits` decimals.
    static func format(_ value: Double, _ digits: Int = 1) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "n/a"
    }

    /// Values of the runs, for the details file: `[1.2, 1.3, 1.1]`.
    static func list(_ values: [Double], _ digits: Int = 1) -> String {
        "[" + values.map { format($0, digits) }.joined(separator: ", ") + "]"
    }

    /// Prints `details` and, with `CINERGY_BENCH_OUTPUT`, writes the summary rows to
    /// `NAME.rows` (Markdown table rows: item, median, target, met) and `details` to `NAME.details`.
    static func record(_ name: String, rows: [Row], details: String) throws {
        let table = rows.map(\.markdown).joined(separator: "\n")
        print("BENCHMARK \(name)\n\(table)\n\(details)")
        guard let directory = environment["CINERGY_BENCH_OUTPUT"] else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (table + "\n").write(toFile: "\(directory)/\(name).rows", atomically: true, encoding: .utf8)
        try details.write(toFile: "\(directory)/\(name).details", atomically: true, encoding: .utf8)
    }

    /// One line of the summary table.
    struct Row {
        let item: String
        let figure: String
        let target: String
        /// Whether the target is met; nil where there is no target.
        let met: Bool?

        init(_ item: String, _ figure: String, target: String = "", met: Bool? = nil) {
            self.item = item
            self.figure = figure
            self.target = target
            self.met = met
        }

        var markdown: String {
            let verdict = met.map { $0 ? "met" : "**missed**" } ?? ""
            return "| \(item) | \(figure) | \(target) | \(verdict) |"
        }
    }
}
