import ArgumentParser
import CinergyCalibration
import CinergyCore
import CinergyMeter
import SystemPackage

/// `cinergy calibrate`: measures this host's power curve (or reads recorded points), fits the
/// model and prints it as an env fragment.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this host's power curve, fit the power model f, print it as configuration.",
        discussion: """
            Drives the host through CPU load levels with its own busy threads, measures the host load \
            (/proc/stat) and the power (RAPL, hwmon or IPMI) once a second, fits a polynomial whose \
            degree is chosen by leave-one-level-out cross-validation, and prints REG_COEFF, MODEL_INPUT, \
            SERVER_CORES and MODEL_INPUT_MAX on stdout. Progress goes to stderr. See docs/CALIBRATION.md.

            Exit status: 65 bad CSV or too few load levels, 69 no meter found, 77 permission denied \
            reading the meter, 1 other failures, 128 + N when stopped by signal N (nothing is written).
            """
    )

    @Option(help: ArgumentHelp("auto, rapl, hwmon or ipmi (auto: the first found in that order).", valueName: "meter"))
    var meter: String = "auto"
    @Option(name: .customLong("sysfs-root"), help: ArgumentHelp("Where sysfs is mounted.", valueName: "path"))
    var sysfsRoot: String = "/sys"
    @Option(name: .customLong("proc-root"), help: ArgumentHelp("Where procfs is mounted.", valueName: "path"))
    var procRoot: String = "/proc"
    @Option(help: ArgumentHelp("Load levels in percent of all online CPUs.", valueName: "p,p,..."))
    var levels: String = "0,10,20,30,40,50,60,70,80,90,100"
    @Option(name: .customLong("level-seconds"), help: ArgumentHelp("Seconds measured per level (one point a second).", valueName: "s"))
    var levelSeconds: Double = 30
    @Option(name: .customLong("settle-seconds"), help: ArgumentHelp("Seconds waited at each level before measuring.", valueName: "s"))
    var settleSeconds: Double = 5
    @Option(name: .customLong("load-generator"), help: ArgumentHelp("builtin (busy threads) or stress-ng.", valueName: "kind"))
    var loadGenerator: String = "builtin"
    @Option(name: .customLong("from-csv"), help: ArgumentHelp("Fit recorded points (host_load_percent,watts) instead of measuring.", valueName: "file"))
    var fromCSV: String?
    @Option(name: .customLong("write"), help: ArgumentHelp("Update these variables in this env file (backup in FILE.bak).", valueName: "file"))
    var writeFile: String?
    @Option(name: .customLong("save-points"), help: ArgumentHelp("Write the measured points as CSV.", valueName: "file"))
    var savePoints: String?
    @Option(help: ArgumentHelp("Draw the points and the fit as SVG.", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        guard ["auto", "rapl", "hwmon", "ipmi"].contains(meter) else {
            throw ValidationError("--meter must be auto, rapl, hwmon or ipmi, not \"\(meter)\"")
        }
        guard ["builtin", "stress-ng"].contains(loadGenerator) else {
            throw ValidationError("--load-generator must be builtin or stress-ng, not \"\(loadGenerator)\"")
        }
        guard CalibrationPlan.parseLevels(levels) != nil else {
            throw ValidationError("--levels must be comma-separated percentages from 0 to 100, not \"\(levels)\"")
        }
        guard levelSeconds >= 1, levelSeconds <= 3600, settleSeconds >= 0, settleSeconds <= 3600 else {
            throw ValidationError("--level-seconds must be from 1 to 3600 and --settle-seconds from 0 to 3600")
        }
    }

    func run() async throws {
        do {
            try await calibrate()
        } catch {
            // A bad row names the file first: "cinergy calibrate: points.csv: line 3: "abc": …".
            let file = if case .badCSV = error, let fromCSV { "\(fromCSV): " } else { "" }
            StandardError.write("cinergy calibrate: \(file)\(error)\n")
            throw ExitCode(Self.exitStatus(error))
        }
    }

    /// 65 bad data, 69 no meter, 77 permission denied, 128 + N for signal N, else 1.
    static func exitStatus(_ error: CalibrationError) -> Int32 {
        switch error {
        case .badCSV, .tooFewLevels: 65
        case .meter(.notFound): 69
        case .meter(.permissionDenied): 77
        case .interrupted(let signal): 128 + signal
        default: 1
        }
    }

    private func calibrate() async throws(CalibrationError) {
        let points: [CalibrationPoint]
        let meterText: String
        var warnings: [String] = []
        if let fromCSV {
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
            report: report, meter: meterText, serverCores: HostCPUs.onlineCount(), date: RFC3339.format(unixSeconds: SystemClock.unixSeconds()),
            warnings: warnings
        )
        for line in EnvFragment.figures(report) { StandardError.write("cinergy calibrate: \(line)\n") }
        try CalibrationOutputs(savePointsPath: savePoints, plotPath: plot, envFilePath: writeFile)
            .write(points: points, report: report, fragment: fragment, meter: meterText)
        print(fragment.text, terminator: "")
    }

    private func measure() async throws(CalibrationError) -> ([CalibrationPoint], String, [String]) {
        CalibrationInterrupt.install()
        let choice = MeterChoice(rawValue: meter) ?? .auto
        let powerMeter: any PowerMeter
        do throws(MeterError) {
            guard let found = try MeterDiscovery.open(choice, sysfsRoot: sysfsRoot) else {
                throw MeterError.notFound(lookedFor: [])
            }
            _ = try found.read()
            powerMeter = found
        } catch .notFound(let lookedFor) {
            throw .meter(.notFound(lookedFor: lookedFor + ["or fit recorded points with --from-csv FILE"]))
        } catch {
            throw .meter(error)
        }
        if loadGenerator == "stress-ng", StressNGLoad.find() == nil {
            throw .failed("--load-generator stress-ng: stress-ng is not on PATH (Debian package stress-ng)")
        }
        let meterText = "\(powerMeter.kind): \(powerMeter.measures)"
        var warnings: [String] = []
        let vms = ProcfsDiscovery(procfs: ProcFS(root: procRoot)).scan()
        if !vms.isEmpty {
            warnings.append(
                "\(vms.count) VM(s) running (\(vms.prefix(5).map(\.name).joined(separator: ", "))): their CPU load and "
                    + "power are measured with the host's, calibrate an idle host")
        }
        let plan = CalibrationPlan(
            levels: CalibrationPlan.parseLevels(levels) ?? CalibrationPlan.defaultLevels,
            settleSeconds: settleSeconds, levelSeconds: levelSeconds
        )
        let cpus = HostCPUs.onlineCount()
        StandardError.write(
            "cinergy calibrate: meter \(meterText)\n"
                + "cinergy calibrate: \(plan.levels.count) levels × (\(NumberFormat.short(settleSeconds, 1)) s settle + "
                + "\(NumberFormat.short(levelSeconds, 1)) s measured) on \(cpus) CPUs: about "
                + "\(CalibrationPlan.duration(plan.expectedSeconds)) expected\n")
        for warning in warnings { StandardError.write("cinergy calibrate: warning: \(warning)\n") }

        let procRoot = procRoot
        let useStressNG = loadGenerator == "stress-ng"
        let result: Result<CalibrationRun.Outcome, CalibrationError> = await withCheckedContinuation { continuation in
            // The run blocks (sleeps, meter reads): a thread of its own, not the cooperative pool.
            _ = SystemThread(name: "cinergy-calib") {
                let load: any LoadGenerator = useStressNG ? StressNGLoad.find()! : BusyThreadLoad(threadCount: cpus)
                let run = CalibrationRun(plan: plan, procRoot: procRoot) { line in
                    StandardError.write("cinergy calibrate: \(line)\n")
                }
                continuation.resume(returning: Result { () throws(CalibrationError) in try run.run(meter: powerMeter, load: load) })
            }
        }
        let outcome = try result.get()
        for warning in outcome.warnings { StandardError.write("cinergy calibrate: warning: \(warning)\n") }
        return (outcome.points, meterText, warnings + outcome.warnings)
    }
}
