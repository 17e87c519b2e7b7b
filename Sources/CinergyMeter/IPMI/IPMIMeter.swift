import CinergySystem

/// The whole server's wall power from the BMC: `ipmitool dcmi power reading`.
///
/// Each reading spawns ipmitool, which takes a good fraction of a second: read it from a thread of
/// its own, at most about once a second.
public final class IPMIMeter: PowerMeter {
    /// The ipmitool executable.
    public let executable: String
    /// How long one reading may take.
    public let timeoutSeconds: Double
    public var kind: MeterKind { .ipmi }
    public var measures: String { "whole server wall power (IPMI DCMI, the BMC's reading)" }
    public var isEnergyCounter: Bool { false }
    public var sampleIntervalSeconds: Double { 0.25 }

    public static let arguments = ["dcmi", "power", "reading"]

    public init(executable: String, timeoutSeconds: Double = 5) {
        self.executable = executable
        self.timeoutSeconds = timeoutSeconds
    }

    /// An IPMI meter if `ipmitool` is on PATH, else nil.
    public static func find() -> IPMIMeter? {
        SpawnedProcess.which("ipmitool").map { IPMIMeter(executable: $0) }
    }

    public func read() throws(MeterError) -> MeterReading {
        let command = "ipmitool " + Self.arguments.joined(separator: " ")
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess(executable: executable, arguments: Self.arguments, capture: true)
        } catch {
            throw .commandFailed(command: command, detail: error.description)
        }
        let (outcome, timedOut) = process.collect(timeoutSeconds: timeoutSeconds)
        let now = SystemClock.monotonicSeconds()
        if timedOut {
            throw .commandFailed(command: command, detail: "no answer within \(MeterError.format(timeoutSeconds)) s")
        }
        let message = (outcome.errorOutput + outcome.output).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        if outcome.status != 0 {
            if message.lowercased().contains("permission denied") {
                throw .permissionDenied(path: "the IPMI device (/dev/ipmi0)", hint: message + "; run calibrate as root")
            }
            throw .commandFailed(command: command, detail: "exit status \(outcome.status): \(message)")
        }
        guard let watts = DCMIPowerReading.instantaneousWatts(in: outcome.output) else {
            throw .commandFailed(command: command, detail: "no \"Instantaneous power reading: N Watts\" line in its output")
        }
        return MeterReading(powerWatts: watts, monotonicSeconds: now)
    }
}
