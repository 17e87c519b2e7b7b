import Foundation

/// A command run to completion, its standard output and error together.
public enum Command {
    /// Runs `executable` with `arguments` (and `environment` added to the test's); returns its
    /// exit status and output, or throws when it does not finish within `seconds`.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 600
    ) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-e2e-command-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess(
            URL(fileURLWithPath: executable).lastPathComponent, executable: executable, arguments: arguments, logFile: log,
            environment: environment
        )
        guard let status = await child.waitForExit(seconds: seconds) else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(Int(seconds)) s")
        }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
