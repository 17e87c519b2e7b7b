import CinergyCore
import CinergyMeter
import CinergySystem

/// Measures the host: holds each load level of the plan, and once a second records the host load
/// that `/proc/stat` measured over that second with the meter's mean power over the same second.
///
/// Blocking: run it on a thread of its own (`SystemThread`). It checks for SIGINT/SIGTERM
/// (`CalibrationInterrupt`) at least every 10 ms between meter readings and then stops the load.
public struct CalibrationRun {
    public let plan: CalibrationPlan
    public let procRoot: String
    /// Where progress lines go (stderr in the command).
    public let progress: (String) -> Void

    /// Host load above which the quietest level means the host was not idle, in percent.
    public static let idleLoadLimitPercent = 5.0
    /// Seconds an energy counter may stand still before it is taken for broken.
    public static let stuckCounterSeconds = 3.0

    /// The points, and warnings found along the way.
    public struct Outcome: Sendable {
        public var points: [CalibrationPoint]
        public var warnings: [String]
    }

    public init(plan: CalibrationPlan, procRoot: String, progress: @escaping (String) -> Void) {
        self.plan = plan
        self.procRoot = procRoot
        self.progress = progress
    }

    /// Runs the plan with `meter` and `load`; the load is stopped however it ends.
    public func run(meter: any PowerMeter, load: any LoadGenerator) throws(CalibrationError) -> Outcome {
        defer { load.stop() }
        var points: [CalibrationPoint] = []
        var warnings: [String] = []
        var secondsLeft = plan.expectedSeconds
        let meterName = "\(meter.kind) meter (\(meter.measures))"
        var quietest: (level: Double, loads: [Double])?
        for (index, level) in plan.levels.enumerated() {
            try load.setLevel(level)
            progress(
                "level \(NumberFormat.short(level, 1)) % (\(index + 1)/\(plan.levels.count)): settling "
                    + "\(NumberFormat.short(plan.settleSeconds, 1)) s; \(CalibrationPlan.duration(secondsLeft)) left")
            try sleep(plan.settleSeconds)
            secondsLeft -= plan.settleSeconds
            var levelPoints: [CalibrationPoint] = []
            var stuckSeconds = 0.0
            var previousCPU = try readCPU()
            var previousReading = try read(meter)
            let end = SystemClock.monotonicSeconds() + plan.levelSeconds
            while SystemClock.monotonicSeconds() < end - 0.5 {
                let secondEnd = min(previousReading.monotonicSeconds + 1, end)
                var powerSamples: [Double] = []
                var reading = previousReading
                // A power meter is sampled through the second (hwmon every 100 ms, IPMI every 250 ms or as
                // fast as ipmitool answers); an energy meter is read at its end.
                repeat {
                    if meter.isEnergyCounter {
                        try sleep(secondEnd - SystemClock.monotonicSeconds())
                    } else {
                        try sleep(min(meter.sampleIntervalSeconds, secondEnd - SystemClock.monotonicSeconds()))
                    }
                    reading = try read(meter)
                    if let watts = reading.powerWatts { powerSamples.append(watts) }
                } while SystemClock.monotonicSeconds() < secondEnd - 0.01
                let cpu = try readCPU()
                guard let hostLoad = cpu.loadPercent(since: previousCPU) else { continue }
                let seconds = reading.monotonicSeconds - previousReading.monotonicSeconds
                guard let watts = reading.meanWatts(since: previousReading, powerSamples: powerSamples) else {
                    // An energy counter that did not move on.
                    stuckSeconds += seconds
                    if stuckSeconds >= Self.stuckCounterSeconds {
                        throw .meter(.counterStuck(meter: meterName, seconds: stuckSeconds))
                    }
                    previousCPU = cpu
                    previousReading = reading
                    continue
                }
                stuckSeconds = 0
                guard watts > 0, watts < 100_000 else {
                    throw .meter(.implausible(meter: meterName, detail: "\(NumberFormat.short(watts, 1)) W over one second"))
                }
                let point = CalibrationPoint(loadPercent: hostLoad, watts: watts, level: index)
                levelPoints.append(point)
                previousCPU = cpu
                previousReading = reading
            }
            secondsLeft -= plan.levelSeconds
            guard !levelPoints.isEmpty else { throw .failed("no measurement at level \(NumberFormat.short(level, 1)) %") }
            let meanLoad = levelPoints.map(\.loadPercent).reduce(0, +) / Double(levelPoints.count)
            let meanWatts = levelPoints.map(\.watts).reduce(0, +) / Double(levelPoints.count)
            progress(
                "level \(NumberFormat.short(level, 1)) %: measured host load \(NumberFormat.fixed(meanLoad, 1)) %, "
                    + "\(NumberFormat.fixed(meanWatts, 1)) W (\(levelPoints.count) points); "
                    + "\(CalibrationPlan.duration(max(0, secondsLeft))) left")
            points += levelPoints
            if quietest == nil || level < quietest!.level { quietest = (level, levelPoints.map(\.loadPercent)) }
        }
        load.stop()
        if let quietest {
            let meanLoad = quietest.loads.reduce(0, +) / Double(quietest.loads.count)
            if meanLoad > Self.idleLoadLimitPercent {
                warnings.append(
                    "the host was not idle at the quietest level (\(NumberFormat.short(quietest.level, 1)) % asked, "
                        + "\(NumberFormat.fixed(meanLoad, 1)) % measured): f at the lowest load is not the idle power")
            }
        }
        return Outcome(points: points, warnings: warnings)
    }

    private func readCPU() throws(CalibrationError) -> HostCPUStat {
        do {
            return try HostCPUStat.read(procRoot: procRoot)
        } catch {
            throw .failed(error.description)
        }
    }

    private func read(_ meter: any PowerMeter) throws(CalibrationError) -> MeterReading {
        try checkInterrupt()
        do {
            return try meter.read()
        } catch {
            throw .meter(error)
        }
    }

    /// Sleeps `seconds` in steps of at most 10 ms, checking for SIGINT/SIGTERM.
    private func sleep(_ seconds: Double) throws(CalibrationError) {
        try SystemClock.sleep(seconds: seconds, stepSeconds: 0.01) { () throws(CalibrationError) -> Bool in
            try checkInterrupt()
            return false
        }
    }

    private func checkInterrupt() throws(CalibrationError) {
        if let signal = CalibrationInterrupt.signal { throw .interrupted(signal: signal) }
    }
}
