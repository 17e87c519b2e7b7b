import CinergyCore
import CinergyMeter
import CinergySystem
import SystemPackage

/// `cinergy calibrate` from parsed options to the printed fragment: read or measure the points
/// (opening the meter, warning about running VMs, the run on a thread of its own), fit, write the
/// files. Progress and warnings go to `progress` (stderr in the command).
public struct Calibration: Sendable {
    public let options: CalibrationOptions
    public let progress: @Sendable (String) -> Void

    public init(options: CalibrationOptions, progress: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.progress = progress
    }

    /// Runs it and returns the env fragment's text (for stdout).
    public func run() async throws(CalibrationError) -> String {
        let points: [CalibrationPoint]
        let meterText: String
        var warnings: [String] = []
        if let fromCSV = options.fromCSV {
            let text: String
            do {
                text = try SystemFile.readText(FilePath(fromCSV), limit: 64 << 20)
            } catch {
                throw .file(path: fromCSV, reason: "cannot read it: \(error)")
            }
            points = try PointsCSV.parse(text)
            meterText = "points read from \(fromCSV)"
        } else {
            (points, meterText, warnings) = try await measure()
        }
        let report = try PolynomialFitter().fit(points)
        let fragment = EnvFragment(
            report: report, meter: meterText, serverCores: HostCPUs.onlineCount(),
            date: RFC3339.format(unixSeconds: SystemClock.unixSeconds()), warnings: warnings
        )
        for line in EnvFragment.figures(report) { progress(line) }
        try options.outputs.write(points: points, report: report, fragment: fragment, meter: meterText)
        return fragment.text
    }

    /// Opens the meter, warns about VMs, runs the plan on a thread of its own.
    func measure() async throws(CalibrationError) -> ([CalibrationPoint], String, [String]) {
        CalibrationInterrupt.install()
        let choice = options.meter.choice
        let powerMeter: any PowerMeter
        do throws(MeterError) {
            guard let found = try MeterDiscovery.open(choice, sysfsRoot: options.sysfsRoot) else {
                throw MeterError.notFound(lookedFor: [])
            }
            _ = try found.read()
            powerMeter = found
        } catch .notFound(let lookedFor) {
            throw .meter(.notFound(lookedFor: lookedFor + ["or fit recorded points with --from-csv FILE"]))
        } catch {
            throw .meter(error)
        }
        if options.loadGenerator == .stressNG, StressNGLoad.find() == nil {
            throw .failed("--load-generator stress-ng: stress-ng is not on PATH (Debian package stress-ng)")
        }
        let meterText = "\(powerMeter.kind): \(powerMeter.measures)"
        var warnings: [String] = []
        let vms = ProcfsDiscovery(procfs: ProcFS(root: options.procRoot)).scan()
        if !vms.isEmpty {
            warnings.append(
                "\(vms.count) VM(s) running (\(vms.prefix(5).map(\.name).joined(separator: ", "))): their CPU load and "
                    + "power are measured with the host's, calibrate an idle host")
        }
        let plan = options.plan
        let cpus = HostCPUs.onlineCount()
        progress("meter \(meterText)")
        progress(
            "\(plan.levels.count) levels × (\(NumberFormat.short(plan.settleSeconds, 1)) s settle + "
                + "\(NumberFormat.short(plan.levelSeconds, 1)) s measured) on \(cpus) CPUs: about "
                + "\(CalibrationPlan.duration(plan.expectedSeconds)) expected")
        for warning in warnings { progress("warning: \(warning)") }

        let procRoot = options.procRoot
        let useStressNG = options.loadGenerator == .stressNG
        let progress = progress
        let result: Result<CalibrationRun.Outcome, CalibrationError> = await withCheckedContinuation { continuation in
            // The run blocks (sleeps, meter reads): a thread of its own, not the cooperative pool.
            _ = SystemThread(name: "cinergy-calib") {
                let load: any LoadGenerator = useStressNG ? StressNGLoad.find()! : BusyThreadLoad(threadCount: cpus)
                let run = CalibrationRun(plan: plan, procRoot: procRoot, progress: progress)
                continuation.resume(returning: Result { () throws(CalibrationError) in try run.run(meter: powerMeter, load: load) })
            }
        }
        let outcome = try result.get()
        for warning in outcome.warnings { progress("warning: \(warning)") }
        return (outcome.points, meterText, warnings + outcome.warnings)
    }

    /// The exit status for `error`: 65 data that cannot give a trustworthy curve (a bad CSV, too
    /// few levels, levels pressed together, a meter that does not move with load), 69 no meter,
    /// 77 permission denied, 128 + N for signal N, else 1.
    public static func exitStatus(_ error: CalibrationError) -> Int32 {
        switch error {
        case .badCSV, .tooFewLevels, .untrustworthy: 65
        case .meter(.notFound): 69
        case .meter(.permissionDenied): 77
        case .interrupted(let signal): 128 + signal
        default: 1
        }
    }
}
