import CinergyTestSupport
import Foundation
import Testing

/// `cinergy calibrate`, the real binary: it really loads this machine's CPUs while a stand-in
/// meter process turns the machine's real /proc/stat load into RAPL energy or hwmon power along a
/// known curve; `--from-csv` on tables with known answers; the bad-input exit statuses; SIGTERM
/// in the middle of a run; the plot in headless Chromium.
@Suite("End to end: cinergy calibrate", .serialized)
struct CalibrateEndToEndTests {
    /// What a finished `cinergy calibrate` printed.
    struct Finished {
        let status: Int32?
        let output: String
        let errorOutput: String
    }

    /// Runs `cinergy ARGUMENTS` to its end (at most `seconds`).
    static func cinergy(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], seconds: Double = 180,
        executable: String = AgentUnderTest.binary, prefixArguments: [String] = []
    ) async throws -> Finished {
        let tag = UUID().uuidString.prefix(8)
        let (out, err) = ("\(directory)/calibrate-\(tag).out", "\(directory)/calibrate-\(tag).err")
        let child = try ChildProcess(
            "cinergy-e2e-calibrate", executable: executable, arguments: prefixArguments + arguments,
            logFile: out, errorLogFile: err, environment: environment
        )
        let status = await child.waitForExit(seconds: seconds)
        return Finished(
            status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            errorOutput: (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        )
    }

    /// The value of `NAME=` in an env fragment.
    static func value(_ name: String, in fragment: String) -> String? {
        fragment.split(separator: "\n").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// REG_COEFF of an env fragment, evaluated.
    static func model(in fragment: String) throws -> (coefficients: [Double], f: (Double) -> Double) {
        let text = try #require(value("REG_COEFF", in: fragment), "no REG_COEFF in:\n\(fragment)")
        let coefficients = text.split(separator: ",").compactMap { Double($0) }
        return (coefficients, { x in coefficients.reversed().reduce(0) { $0 * x + $1 } })
    }

    /// The host loads of a saved points CSV.
    static func loads(inPoints path: String) throws -> [Double] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: ",").first.flatMap { Double($0) } }
    }

    /// Checks the recovered curve against the stand-in's at 0, 50 and 100 % where they were
    /// measured, and always at the extremes and middle of the measured range.
    /// `minimumSpread`: the range of loads the run must have measured, in points of percent.
    static func expectCloseToStandIn(
        _ run: Finished, measured loads: [Double], tolerance: Double, minimumSpread: Double = 50, _ what: String
    ) throws {
        let fragment = run.output
        let (coefficients, f) = try model(in: fragment)
        let (low, high) = (loads.min() ?? 0, loads.max() ?? 0)
        #expect(
            high - low >= minimumSpread,
            "\(what): the run measured loads from \(low) to \(high) % only (is the machine busy with other work?)\n\(run.errorOutput)")
        // Non-negative and non-decreasing from 0 to the top of the measured range, as written.
        let grid = (0...200).map { high * Double($0) / 200 }
        #expect(grid.allSatisfy { f($0) >= 0 }, "\(what): negative somewhere in 0...\(high): \(coefficients)")
        #expect(zip(grid, grid.dropFirst()).allSatisfy { f($1) >= f($0) - 1e-9 * f(high) }, "\(what): decreasing: \(coefficients)")
        let checkpoints = [0.0, 50, 100].filter { $0 >= low - 2 && $0 <= high + 2 } + (0...10).map { low + (high - low) * Double($0) / 10 }
        for x in checkpoints {
            let error = abs(f(x) - StandInMeter.watts(atLoad: x)) / StandInMeter.watts(atLoad: x)
            #expect(
                error < tolerance,
                "\(what): f(\(x)) = \(f(x)) W, the stand-in's curve \(StandInMeter.watts(atLoad: x)) W\n\(run.output)\n\(run.errorOutput)")
        }
    }

    /// Five levels: three interior ones to choose the degree on.
    /// levels, so a quadratic needs four, and five let the test see that degree 3 is not chosen.
    static let shortRun = ["--levels", "0,25,50,75,100", "--level-seconds", "4", "--settle-seconds", "1"]

    @Test("RAPL stand-in with wrap-around: the real load, the known curve recovered within 3 %, files written")
    func rapl() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let energy = try StandInMeter.makeRAPLTree(at: sysfs)
        let meter = try ChildProcess(
            "cinergy-e2e-meter", executable: try StandInMeter.build(in: directory.path),
            arguments: ["rapl", energy, String(StandInMeter.maxEnergyRangeMicrojoules)]
        )
        let env = directory.path + "/agent.env"
        try "# my host\nCINERGY_RATIO=0.5\nREG_COEFF=1,2\n".write(toFile: env, atomically: true, encoding: .utf8)
        let (points, plot) = (directory.path + "/points.csv", directory.path + "/plot.svg")
        let run = try await Self.cinergy(
            ["calibrate", "--sysfs-root", sysfs] + Self.shortRun + ["--save-points", points, "--plot", plot, "--write", env],
            in: directory.path
        )
        #expect(meter.isRunning)
        #expect(run.status == 0, "\(run.errorOutput)")
        #expect(run.output.contains("# meter: rapl: CPU package power (RAPL package-0;"), "\(run.output)")
        #expect(run.errorOutput.contains("5 levels × (1 s settle + 4 s measured) on \(ProcessInfo.processInfo.activeProcessorCount) CPUs: about 25 s expected"))
        #expect(run.errorOutput.contains("level 100 %: measured host load"))
        #expect(Self.value("MODEL_INPUT", in: run.output) == "host_percent")
        #expect(Self.value("SERVER_CORES", in: run.output) == String(ProcessInfo.processInfo.activeProcessorCount))
        let loads = try Self.loads(inPoints: points)
        #expect(loads.count >= 15)
        // 25 s at 40 to 110 W is 1,000 to 2,750 J: the 300 J counter wrapped several times.
        try Self.expectCloseToStandIn(run, measured: loads, tolerance: 0.03, "RAPL")
        let maximum = try #require(Self.value("MODEL_INPUT_MAX", in: run.output).flatMap(Double.init))
        #expect(abs(maximum - (loads.max() ?? 0)) < 0.1)
        let updated = try String(contentsOfFile: env, encoding: .utf8)
        #expect(updated.hasPrefix("# my host\nCINERGY_RATIO=0.5\nREG_COEFF=\(Self.value("REG_COEFF", in: run.output) ?? "?")\n"))
        #expect(updated.contains("\nMODEL_INPUT=host_percent\n") && updated.contains("\nMODEL_INPUT_MAX="))
        #expect(try String(contentsOfFile: env + ".bak", encoding: .utf8) == "# my host\nCINERGY_RATIO=0.5\nREG_COEFF=1,2\n")
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("host CPU load (%)") && svg.contains("power (W)") && svg.contains("<path id=\"curve\""))
        #expect(svg.components(separatedBy: "<circle ").count - 2 == loads.count)
        if ProcessInfo.processInfo.environment["CINERGY_CALIBRATION_EXAMPLE"] != nil {
            try? FileManager.default.removeItem(atPath: "/tmp/cinergy-calibration-example.svg")
            try FileManager.default.copyItem(atPath: plot, toPath: "/tmp/cinergy-calibration-example.svg")
        }
    }

    @Test("hwmon stand-in (power1_average): the known curve recovered within 3 %")
    func hwmon() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let power = try StandInMeter.makeHwmonTree(at: sysfs)
        let meter = try ChildProcess(
            "cinergy-e2e-meter", executable: try StandInMeter.build(in: directory.path), arguments: ["hwmon", power]
        )
        let points = directory.path + "/points.csv"
        let run = try await Self.cinergy(
            ["calibrate", "--meter", "hwmon", "--sysfs-root", sysfs, "--save-points", points] + Self.shortRun, in: directory.path
        )
        #expect(meter.isRunning)
        #expect(run.status == 0, "\(run.errorOutput)")
        #expect(run.output.contains("# meter: hwmon: server power as the BMC reports it through ACPI power_meter (hwmon hwmon1 power1_average)"))
        try Self.expectCloseToStandIn(run, measured: try Self.loads(inPoints: points), tolerance: 0.03, "hwmon")
    }

    @Test("--load-generator stress-ng is refused when stress-ng is not on PATH")
    func stressNGMissing() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let power = try StandInMeter.makeHwmonTree(at: sysfs)
        let meter = try ChildProcess(
            "cinergy-e2e-meter", executable: try StandInMeter.build(in: directory.path), arguments: ["hwmon", power]
        )
        let refused = try await Self.cinergy(
            ["calibrate", "--sysfs-root", sysfs, "--load-generator", "stress-ng"], in: directory.path,
            environment: ["PATH": directory.path], seconds: 60
        )
        #expect(refused.status == 1)
        #expect(refused.errorOutput.contains("stress-ng is not on PATH"), "\(refused.errorOutput)")
        #expect(meter.isRunning)
    }

    /// stress-ng is optional for the command (Debian package stress-ng, which `make test` installs):
    /// without it this test is a recorded skip.
    @Test(
        "--load-generator stress-ng: its processes load the host and are gone afterwards",
        .enabled(if: Kernel.which("stress-ng") != nil, "stress-ng is not installed (Debian package stress-ng: `make test-deps`)")
    )
    func stressNG() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let power = try StandInMeter.makeHwmonTree(at: sysfs)
        let meter = try ChildProcess(
            "cinergy-e2e-meter", executable: try StandInMeter.build(in: directory.path), arguments: ["hwmon", power]
        )
        let points = directory.path + "/points.csv"
        let run = try await Self.cinergy(
            ["calibrate", "--sysfs-root", sysfs, "--load-generator", "stress-ng", "--save-points", points] + Self.shortRun,
            in: directory.path
        )
        #expect(meter.isRunning)
        #expect(run.status == 0, "\(run.errorOutput)")
        try Self.expectCloseToStandIn(run, measured: try Self.loads(inPoints: points), tolerance: 0.05, "stress-ng")
        let leftovers = ProcFSNames.processes(named: "stress-ng")
        #expect(leftovers.isEmpty, "stress-ng processes left running: \(leftovers)")
    }

    @Test("IPMI: a stand-in ipmitool on PATH, found by auto when sysfs has no meter")
    func ipmi() async throws {
        let directory = try TemporaryDirectory()
        let bin = directory.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        // The stand-in meter writes microwatts to a file; ipmitool prints them as whole watts, as DCMI does.
        let power = directory.path + "/watts"
        try "40000000\n".write(toFile: power, atomically: true, encoding: .utf8)
        let meter = try ChildProcess(
            "cinergy-e2e-meter", executable: try StandInMeter.build(in: directory.path), arguments: ["hwmon", power]
        )
        try """
            #!/bin/sh
            [ "$*" = "dcmi power reading" ] || { echo "unexpected arguments: $*" >&2; exit 1; }
            w=$(cat \(power))
            printf '\\n    Instantaneous power reading:                   %d Watts\\n' $((w / 1000000))
            printf '    Minimum during sampling period:                 40 Watts\\n'
            printf '    Power reading state is:                   activated\\n\\n'
            """.write(toFile: bin + "/ipmitool", atomically: true, encoding: .utf8)
        chmod(bin + "/ipmitool", 0o755)
        let points = directory.path + "/points.csv"
        let run = try await Self.cinergy(
            ["calibrate", "--sysfs-root", directory.path + "/empty-sys", "--save-points", points] + Self.shortRun,
            in: directory.path, environment: ["PATH": bin + ":/usr/bin:/bin"]
        )
        #expect(meter.isRunning)
        #expect(run.status == 0, "\(run.errorOutput)")
        #expect(run.output.contains("# meter: ipmi: whole server wall power (IPMI DCMI"), "\(run.output)")
        // Whole watts and a fresh process per reading: a looser tolerance.
        // ipmitool is a process spawned four times a second: its own CPU time lifts the quietest
        // level, so the measured range is narrower than with a sysfs meter.
        try Self.expectCloseToStandIn(run, measured: try Self.loads(inPoints: points), tolerance: 0.05, minimumSpread: 30, "IPMI")
    }

    /// Tables with known answers: exact polynomials, and a published-style wall power curve.
    static let tables: [(name: String, csv: String, degrees: ClosedRange<Int>, check: [(Double, Double)])] = [
        ("line", "host_load_percent,watts\n0,40\n20,56\n40,72\n60,88\n80,104\n100,120\n", 1...1, [(0, 40), (50, 80), (100, 120)]),
        (
            "quadratic with repeated rows", "host_load_percent,watts\n"
                + stride(from: 0.0, through: 100, by: 10).flatMap { x in
                    [x, x].map { "\($0),\(StandInMeter.watts(atLoad: $0))" }
                }.joined(separator: "\n"),
            2...2, [(0, 40), (50, 80), (100, 110)]
        ),
        (
            "SPECpower-style wall curve",
            "host_load_percent,watts\n0,58.5\n10,82.1\n20,93.0\n30,103.2\n40,113.0\n50,123.4\n60,134.6\n70,147.2\n80,162.0\n90,178.9\n100,197.0\n",
            1...8, [(0, 58.5), (50, 123.4), (100, 197.0)]
        ),
    ]

    @Test("--from-csv on tables with known answers", arguments: 0..<3)
    func fromCSV(index: Int) async throws {
        let table = Self.tables[index]
        let directory = try TemporaryDirectory()
        let csv = directory.path + "/points.csv"
        try table.csv.write(toFile: csv, atomically: true, encoding: .utf8)
        let run = try await Self.cinergy(["calibrate", "--from-csv", csv], in: directory.path, seconds: 60)
        #expect(run.status == 0, "\(table.name): \(run.errorOutput)")
        let (coefficients, f) = try Self.model(in: run.output)
        #expect(table.degrees.contains(coefficients.count - 1), "\(table.name): degree \(coefficients.count - 1)")
        for (x, watts) in table.check {
            #expect(abs(f(x) - watts) / watts < (table.degrees.count == 1 ? 1e-6 : 0.05), "\(table.name): f(\(x)) = \(f(x))")
        }
        #expect(run.output.contains("# meter: points read from \(csv)"))
    }

    @Test("bad input: 65 for a bad row or too few levels, 69 with no meter, each message naming the problem")
    func badInput() async throws {
        let directory = try TemporaryDirectory()
        let bad = directory.path + "/bad.csv"
        try "host_load_percent,watts\n0,40\n50,fifty\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let badRun = try await Self.cinergy(["calibrate", "--from-csv", bad], in: directory.path, seconds: 60)
        #expect(badRun.status == 65)
        #expect(badRun.errorOutput.hasPrefix("cinergy calibrate: \(bad): line 3: \"fifty\": watts is not a number"), "\(badRun.errorOutput)")

        let few = directory.path + "/few.csv"
        try "host_load_percent,watts\n0,40\n0.5,40.2\n100,110\n".write(toFile: few, atomically: true, encoding: .utf8)
        let fewRun = try await Self.cinergy(["calibrate", "--from-csv", few], in: directory.path, seconds: 60)
        #expect(fewRun.status == 65)
        #expect(fewRun.errorOutput.contains("at least 3 distinct load levels") && fewRun.errorOutput.contains("has 2"))

        // A meter that does not move with load: refused, never written as a constant.
        let flat = directory.path + "/flat.csv"
        try "host_load_percent,watts\n0,75\n10,75\n50,75\n50,75\n100,75\n".write(toFile: flat, atomically: true, encoding: .utf8)
        let flatRun = try await Self.cinergy(["calibrate", "--from-csv", flat], in: directory.path, seconds: 60)
        #expect(flatRun.status == 65)
        #expect(flatRun.errorOutput.contains("does not move with the load"), "\(flatRun.errorOutput)")

        // Levels pressed together (a host kept busy by other work).
        let busy = directory.path + "/busy.csv"
        try "host_load_percent,watts\n95,100\n97,101\n99,102\n".write(toFile: busy, atomically: true, encoding: .utf8)
        let busyRun = try await Self.cinergy(["calibrate", "--from-csv", busy], in: directory.path, seconds: 60)
        #expect(busyRun.status == 65)
        #expect(busyRun.errorOutput.contains("pressed together"), "\(busyRun.errorOutput)")

        let empty = directory.path + "/sys"
        try FileManager.default.createDirectory(atPath: empty + "/class/powercap", withIntermediateDirectories: true)
        let none = try await Self.cinergy(
            ["calibrate", "--sysfs-root", empty], in: directory.path, environment: ["PATH": directory.path + ":/usr/bin:/bin"],
            seconds: 60
        )
        #expect(none.status == 69)
        #expect(none.errorOutput.hasPrefix("cinergy calibrate: no power meter found; looked for: "), "\(none.errorOutput)")
        for looked in ["\(empty)/class/powercap", "\(empty)/class/hwmon", "ipmitool", "--from-csv"] {
            #expect(none.errorOutput.contains(looked))
        }
        for run in [badRun, fewRun, flatRun, busyRun, none] {
            #expect(!run.errorOutput.contains("Fatal error") && !run.errorOutput.contains("Stack dump"))
            #expect(run.output.isEmpty)
        }
    }

    /// As root a mode-000 file is readable anyway, so the command runs as `nobody` (setpriv).
    @Test("77 when energy_uj may not be read, saying it is root-only")
    func permissionDenied() async throws {
        let setpriv = try #require(Kernel.which("setpriv"), "setpriv (util-linux) is needed to run as another user")
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o755)
        let sysfs = directory.path + "/sys"
        let energy = try StandInMeter.makeRAPLTree(at: sysfs)
        chmod(energy, 0)
        let run = try await Self.cinergy(
            ["calibrate", "--sysfs-root", sysfs, "--levels", "0,50,100"], in: directory.path, seconds: 60,
            executable: setpriv,
            prefixArguments: ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", AgentUnderTest.binary]
        )
        #expect(run.status == 77, "\(run.errorOutput)")
        #expect(run.errorOutput.hasPrefix("cinergy calibrate: permission denied reading \(energy): "), "\(run.errorOutput)")
        #expect(run.errorOutput.contains("root only"))
    }

    @Test("SIGTERM in the middle of a run: the load stops at once, the process exits, nothing is written")
    func sigterm() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let energy = try StandInMeter.makeRAPLTree(at: sysfs)
        let meter = try ChildProcess(
            "cinergy-e2e-meter", executable: try StandInMeter.build(in: directory.path),
            arguments: ["rapl", energy, String(StandInMeter.maxEnergyRangeMicrojoules)]
        )
        let env = directory.path + "/agent.env"
        try "REG_COEFF=1,2\n".write(toFile: env, atomically: true, encoding: .utf8)
        let outputs = ["points.csv", "plot.svg"].map { directory.path + "/" + $0 }
        let err = directory.path + "/calibrate.err"
        let child = try ChildProcess(
            "cinergy-e2e-calibrate", executable: AgentUnderTest.binary,
            arguments: [
                "calibrate", "--sysfs-root", sysfs, "--levels", "100,100,100", "--level-seconds", "60", "--settle-seconds", "1",
                "--save-points", outputs[0], "--plot", outputs[1], "--write", env,
            ],
            logFile: directory.path + "/calibrate.out", errorLogFile: err
        )
        // Wait until its load threads really burn CPU (and a point or two have been measured).
        let deadline = Date().addingTimeInterval(60)
        let startTicks = Kernel.cpuTicks(pid: child.pid) ?? 0
        while Date() < deadline, (Kernel.cpuTicks(pid: child.pid) ?? 0) - startTicks < 3 * Kernel.ticksPerSecond {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect((Kernel.cpuTicks(pid: child.pid) ?? 0) - startTicks >= 3 * Kernel.ticksPerSecond, "no load within 60 s")
        let signalled = Kernel.monotonicSeconds()
        child.signal(SIGTERM)
        let status = await child.waitForExit(seconds: 20)
        let exitSeconds = Kernel.monotonicSeconds() - signalled
        #expect(status == 128 + SIGTERM, "exit status \(status.map(String.init) ?? "none: still running")")
        let errorOutput = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        #expect(errorOutput.contains("stopped by signal 15"), "\(errorOutput)")
        print("calibrate exited \(exitSeconds) s after SIGTERM")
        for path in outputs + [env + ".bak"] { #expect(!FileManager.default.fileExists(atPath: path), "\(path) was written") }
        #expect(try String(contentsOfFile: env, encoding: .utf8) == "REG_COEFF=1,2\n")
        #expect(meter.isRunning)
    }

    @Test("the plot in headless Chromium: a non-blank picture with its axes, labels and every point")
    func plotInChromium() async throws {
        let chromium = try #require(Kernel.which("chromium"), "chromium is not installed: run `make test`")
        let directory = try TemporaryDirectory()
        let csv = directory.path + "/points.csv"
        var rows = ["host_load_percent,watts"]
        for level in stride(from: 0.0, through: 100, by: 10) {
            for k in 0..<3 { rows.append("\(max(0, level - Double(k) * 0.3)),\(StandInMeter.watts(atLoad: level) + Double(k) * 0.4 - 0.4)") }
        }
        try rows.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let plot = directory.path + "/plot.svg"
        let run = try await Self.cinergy(["calibrate", "--from-csv", csv, "--plot", plot], in: directory.path, seconds: 60)
        #expect(run.status == 0, "\(run.errorOutput)")
        let screenshot = directory.path + "/plot.png"
        _ = try await DashboardBrowserTests.runChromium(
            chromium, directory: directory.path, url: "file://\(plot)",
            mode: ["--screenshot=\(screenshot)", "--window-size=760,570", "--hide-scrollbars"]
        )
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        // A blank 760x570 page compresses to a few kilobytes; axes, text, 33 points and a curve do not.
        #expect(png.count > 15_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "screenshot of \(png.count) bytes")
        let dom = try await Self.dumpDOM(chromium, directory: directory.path, url: "file://\(plot)")
        #expect(dom.contains("host CPU load (%)") && dom.contains("power (W)"), "\(dom.prefix(2000))")
        #expect(dom.components(separatedBy: "<circle ").count - 2 == rows.count - 1)
        #expect(dom.contains("<path id=\"curve\""))
        #expect(dom.contains("held out: RMSE"))
    }

    /// Chromium's serialized DOM of an SVG document (no `<html>` to cut at).
    static func dumpDOM(_ chromium: String, directory: String, url: String) async throws -> String {
        let output = try await DashboardBrowserTests.runChromium(chromium, directory: directory, url: url, mode: ["--dump-dom"])
        guard let start = output.range(of: "<svg"), let end = output.range(of: "</svg>", options: .backwards) else { return output }
        return String(output[start.lowerBound..<end.upperBound])
    }

    @Test("plain cinergy is still the agent: --help lists the variables and the calibrate subcommand")
    func help() async throws {
        let directory = try TemporaryDirectory()
        let run = try await Self.cinergy(["--help"], in: directory.path, seconds: 30)
        #expect(run.status == 0)
        #expect(run.output.contains("REG_COEFF, --reg-coeff <value>") && run.output.contains("calibrate"))
    }
}

/// Processes by their `comm`.
enum ProcFSNames {
    static func processes(named name: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
            return comm.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix(name)
        }
    }
}
