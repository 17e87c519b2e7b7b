import CinergyCore
import CinergyMeter
import CinergySystem

/// `stress-ng --cpu N --cpu-load P`, restarted at each level; none at level 0.
public final class StressNGLoad: LoadGenerator {
    public let executable: String
    public let cpus: Int
    private var process: SpawnedProcess?

    public var description: String { "stress-ng --cpu \(cpus) --cpu-load P (\(executable))" }

    /// A stress-ng load if `stress-ng` is on PATH, else nil.
    public static func find(cpus: Int = HostCPUs.onlineCount()) -> StressNGLoad? {
        SpawnedProcess.which("stress-ng").map { StressNGLoad(executable: $0, cpus: cpus) }
    }

    public init(executable: String, cpus: Int) {
        self.executable = executable
        self.cpus = cpus
    }

    deinit { stop() }

    public func setLevel(_ percent: Double) throws(CalibrationError) {
        stop()
        let load = Int(min(100, max(0, percent)).rounded())
        guard load > 0 else { return }
        do {
            process = try SpawnedProcess(
                executable: executable, arguments: ["--cpu", String(cpus), "--cpu-load", String(load), "--quiet"],
                capture: false
            )
        } catch {
            throw .failed(error.description)
        }
    }

    public func stop() {
        guard let process else { return }
        process.signal(SIGTERM)
        _ = process.waitForExit()
        self.process = nil
    }
}
