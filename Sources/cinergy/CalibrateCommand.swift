import ArgumentParser
import CinergyCalibration

/// `cinergy calibrate`: the command line of `Calibration` (CinergyCalibration), which does the work.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this host's power curve, fit the power model f, print it as configuration.",
        discussion: """
            Drives the host through CPU load levels with its own busy threads, measures the host load \
            (/proc/stat) and the power (RAPL, hwmon or IPMI) once a second, fits a polynomial that is \
            non-negative and non-decreasing from 0 % load by construction, its degree chosen on held-out \
            interior levels, and prints REG_COEFF, MODEL_INPUT, SERVER_CORES and MODEL_INPUT_MAX on stdout. \
            Progress goes to stderr. See docs/CALIBRATION.md.

            Exit status: 65 bad CSV or data that cannot give a trustworthy curve (too few load levels, \
            levels pressed together, a meter that does not move with load), 69 no meter found, 77 \
            permission denied reading the meter, 1 other failures, 128 + N when stopped by signal N \
            (nothing is written).
            """
    )

    @Option(help: ArgumentHelp("auto, rapl, hwmon or ipmi (auto: the first found in that order).", valueName: "meter"))
    var meter: CalibrationMeter = .auto
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
    var loadGenerator: LoadGeneratorKind = .builtin
    @Option(name: .customLong("from-csv"), help: ArgumentHelp("Fit recorded points (host_load_percent,watts) instead of measuring.", valueName: "file"))
    var fromCSV: String?
    @Option(name: .customLong("write"), help: ArgumentHelp("Update these variables in this env file (backup in FILE.bak).", valueName: "file"))
    var writeFile: String?
    @Option(name: .customLong("save-points"), help: ArgumentHelp("Write the measured points as CSV.", valueName: "file"))
    var savePoints: String?
    @Option(help: ArgumentHelp("Draw the points and the fit as SVG.", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        guard CalibrationPlan.parseLevels(levels) != nil else {
            throw ValidationError("--levels must be comma-separated percentages from 0 to 100, not \"\(levels)\"")
        }
        guard levelSeconds >= 1, levelSeconds <= 3600, settleSeconds >= 0, settleSeconds <= 3600 else {
            throw ValidationError("--level-seconds must be from 1 to 3600 and --settle-seconds from 0 to 3600")
        }
    }

    func run() async throws {
        let options = CalibrationOptions(
            meter: meter, loadGenerator: loadGenerator, sysfsRoot: sysfsRoot, procRoot: procRoot,
            plan: CalibrationPlan(
                levels: CalibrationPlan.parseLevels(levels) ?? CalibrationPlan.defaultLevels,
                settleSeconds: settleSeconds, levelSeconds: levelSeconds
            ),
            fromCSV: fromCSV,
            outputs: CalibrationOutputs(savePointsPath: savePoints, plotPath: plot, envFilePath: writeFile)
        )
        do {
            let fragment = try await Calibration(options: options) { line in
                StandardError.write("cinergy calibrate: \(line)\n")
            }.run()
            print(fragment, terminator: "")
        } catch {
            // A bad row names the file first: "cinergy calibrate: points.csv: line 3: "abc": …".
            let file = if case .badCSV = error, let fromCSV { "\(fromCSV): " } else { "" }
            StandardError.write("cinergy calibrate: \(file)\(error)\n")
            throw ExitCode(Calibration.exitStatus(error))
        }
    }
}

extension CalibrationMeter: ExpressibleByArgument {}
extension LoadGeneratorKind: ExpressibleByArgument {}
