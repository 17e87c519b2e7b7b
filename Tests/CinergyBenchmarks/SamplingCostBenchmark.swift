import CinergyTestSupport
import Foundation
import Testing

/// Item 1 of the benchmarks: what sampling costs the agent, per VM and per sample, against the
/// bare floor (one `pread` of `/proc/PID/stat` per VM from a C program), and its resident memory,
/// with 10, 100 and 1,000 idle stand-in QEMUs on the procfs path and 10 real TCG domains on the
/// libvirt path. A measurement, not a test (see docs/BENCHMARKS.md).
@Suite("Benchmark: sampling cost", .serialized)
struct SamplingCostBenchmark {
    /// Figures of one configuration, one value per run.
    struct Figures {
        var agentPerVMSample: [Double] = []
        var agentOnCPUPerVMSample: [Double] = []
        var floorPerRead: [Double] = []
        var residentBytes: [Double] = []
        var residentAnonymousBytes: [Double] = []
        var residentFileBytes: [Double] = []
        var roundSeconds: [Double] = []
        var libvirtdPercent: [Double] = []
        /// VMs the agent tracked during the window (ours, plus any other QEMU on the host).
        var trackedVMs: [Double] = []
        /// With the ledger on: the flushes' own CPU (their thread's, `/health`'s
        /// `ledger.flush_cpu_seconds`) over the window, per VM per sample.
        var flushPerVMSample: [Double] = []

        /// The median of the runs' agent-to-floor ratios (each run measures both in the same window).
        var ratio: Double { Bench.median(zip(agentPerVMSample, floorPerRead).map { $0 / $1 }) }

        func details(_ label: String) -> String {
            var text = "\(label):\n"
            text += "  VMs tracked by the agent: \(Bench.list(trackedVMs, 0))\n"
            text += "  agent CPU (utime+stime) per VM per sample, us: \(Bench.list(agentPerVMSample.map { $0 * 1e6 }, 2))\n"
            text += "  agent on-CPU (schedstat) per VM per sample, us: \(Bench.list(agentOnCPUPerVMSample.map { $0 * 1e6 }, 2))\n"
            text += "  floor (C, one pread, same window) per read, us: \(Bench.list(floorPerRead.map { $0 * 1e6 }, 2))\n"
            text += "  agent RSS, MB: \(Bench.list(residentBytes.map { $0 / 1e6 }, 1))"
            text += " (anonymous \(Bench.list(residentAnonymousBytes.map { $0 / 1e6 }, 1)), file-backed \(Bench.list(residentFileBytes.map { $0 / 1e6 }, 1)))\n"
            text += "  agent's last round (/health last_sample_duration_seconds), ms: \(Bench.list(roundSeconds.map { $0 * 1e3 }, 2))\n"
            if !flushPerVMSample.isEmpty {
                text += "  the ledger's flushes (their thread's CPU, /health ledger.flush_cpu_seconds) per VM per sample, us: \(Bench.list(flushPerVMSample.map { $0 * 1e6 }, 3))\n"
            }
            if !libvirtdPercent.isEmpty { text += "  libvirtd CPU during the window, % of a core: \(Bench.list(libvirtdPercent, 2))\n" }
            return text
        }
    }

    @Test("procfs path: 10, 100 and 1,000 idle stand-in QEMUs at a 1 s interval")
    func procfsPath() async throws {
        var rows: [Bench.Row] = []
        var details = "SAMPLE_INTERVAL=1, LIBVIRT_URI=none, PROCFS_DISCOVERY=true; window \(Bench.windowSeconds) s per run, \(Bench.runs) runs; load before: \(ProcessMeter.loadAverage())\n"
        for count in Bench.vmCounts {
            let directory = try TemporaryDirectory()
            let fleet = try StandInFleet(count: count, label: "s\(count)-", directory: directory.path)
            let floor = try FloorProgram.build(in: directory.path)
            var figures = Figures()
            for _ in 0..<Bench.runs {
                let env = Bench.agentEnv.merging(["LIBVIRT_URI": "none", "PROCFS_DISCOVERY": "true"]) { $1 }
                let agent = try AgentUnderTest(env: env, directory: directory.path)
                try await agent.waitForVMs(prefix: fleet.namePrefix, count: count)
                try await measureWindow(agent: agent, count: count, floor: (floor, fleet.pids, directory.path), libvirtd: nil, into: &figures)
                try await agent.stop()
            }
            details += figures.details("\(count) stand-ins") + "  load after: \(ProcessMeter.loadAverage())\n"
            rows += Self.rows("\(count) stand-ins, procfs path", figures, withTargets: count >= 1000)
            guard count == Bench.vmCounts.max() else { continue }
            // The same fleet with libvirt connected as well (the default configuration): libvirt's
            // library and its dependencies are then loaded, and its event loop thread runs.
            var connected = Figures()
            for _ in 0..<Bench.runs {
                let env = Bench.agentEnv.merging(["LIBVIRT_URI": Virsh.uri, "PROCFS_DISCOVERY": "true"]) { $1 }
                let agent = try AgentUnderTest(env: env, directory: directory.path)
                try await agent.waitForVMs(prefix: fleet.namePrefix, count: count)
                try await measureWindow(agent: agent, count: count, floor: (floor, fleet.pids, directory.path), libvirtd: nil, into: &connected)
                try await agent.stop()
            }
            details += connected.details("\(count) stand-ins, LIBVIRT_URI=qemu:///system") + "  load after: \(ProcessMeter.loadAverage())\n"
            rows += Self.rows("\(count) stand-ins, procfs path, libvirt connected", connected, withTargets: false)
            // The same fleet with the ledger on (issue 17's cost target): a SQLite file in the run's
            // directory, flushed every 10 s (the default); its share is the CPU above the run
            // without it, per VM per sample. In steady state: after the first flush (which writes
            // every VM's row, once in its life), over a window of whole blocks of five minutes
            // (LedgerConfiguration.writeOutMinutes: each block has one flush that writes the block
            // just over out to the rows, and 29 that only rewrite the held row).
            var ledger = Figures()
            for run in 0..<Bench.runs {
                let env = Bench.agentEnv.merging([
                    "LIBVIRT_URI": "none", "PROCFS_DISCOVERY": "true", "STATE_DIRECTORY": directory.path + "/state-\(run)",
                    "LEDGER_FLUSH_SECONDS": "10",
                ]) { $1 }
                let agent = try AgentUnderTest(env: env, directory: directory.path)
                try await agent.waitForVMs(prefix: fleet.namePrefix, count: count)
                try await agent.waitForLedgerFlushes(2)
                try await measureWindow(
                    agent: agent, count: count, floor: (floor, fleet.pids, directory.path), libvirtd: nil, into: &ledger,
                    seconds: (Bench.windowSeconds / 300).rounded(.up) * 300
                )
                try await agent.stop()
            }
            details += ledger.details("\(count) stand-ins, ledger on (flush every 10 s)") + "  load after: \(ProcessMeter.loadAverage())\n"
            rows += Self.rows("\(count) stand-ins, procfs path, ledger on", ledger, withTargets: false)
            // The share is the flushes' own CPU, measured on their thread (the difference of two
            // runs' totals is beside it, but on a loaded two-core machine it is mostly their noise).
            let share = Bench.median(ledger.flushPerVMSample) * 1e6
            let difference = (Bench.median(ledger.agentPerVMSample) - Bench.median(figures.agentPerVMSample)) * 1e6
            rows.append(
                Bench.Row(
                    "Ledger's share at \(count) stand-ins (the flushes' CPU per VM per sample; ledger on minus off: \(Bench.format(difference, 2)) us)",
                    "\(Bench.format(share, 3)) us", target: "<= 1 us", met: share <= 1
                )
            )
        }
        try Bench.record("1a-sampling-procfs", rows: rows, details: details)
    }

    @Test("libvirt path: 10 idle TCG domains at a 1 s interval")
    func libvirtPath() async throws {
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let count = 10
        let domains = try await BenchDomains.create(count: count, in: directory.path, janitor: janitor)
        let pids = try BenchDomains.pids(of: domains)
        let floor = try FloorProgram.build(in: directory.path)
        var figures = Figures()
        for _ in 0..<Bench.runs {
            figures = try await Bench.retrying("a window on the libvirt path") { [figures] in
                var attempt = figures
                let libvirtd = try BenchDomains.libvirtd()
                let env = Bench.agentEnv.merging(["LIBVIRT_URI": Virsh.uri, "PROCFS_DISCOVERY": "false"]) { $1 }
                let agent = try AgentUnderTest(env: env, directory: directory.path)
                try await agent.waitForVMs(prefix: BenchDomains.prefix, count: count)
                try await measureWindow(agent: agent, count: count, floor: (floor, pids, directory.path), libvirtd: libvirtd, into: &attempt)
                try await agent.stop()
                return attempt
            }
        }
        let details = "SAMPLE_INTERVAL=1, LIBVIRT_URI=qemu:///system, PROCFS_DISCOVERY=false; window \(Bench.windowSeconds) s per run, \(Bench.runs) runs\n"
            + figures.details("\(count) idle TCG domains") + "  load after: \(ProcessMeter.loadAverage())\n"
        try Bench.record("1b-sampling-libvirt", rows: Self.rows("\(count) TCG domains, libvirt path", figures, withTargets: false), details: details)
    }

    /// Lets the agent settle, then measures its CPU over one window (the harness sends it no
    /// request meanwhile), its RSS, its last round's duration and, given libvirtd, libvirtd's CPU.
    /// The floor program runs over the same processes during the same window, so that both see the
    /// same machine (other load on its two cores, the hypervisor under it).
    private func measureWindow(
        agent: AgentUnderTest, count: Int, floor: (binary: String, pids: [Int32], directory: String), libvirtd: ProcessMeter?,
        into figures: inout Figures, seconds window: Double = Bench.windowSeconds
    ) async throws {
        try await Task.sleep(for: .seconds(3))
        let healthBefore = try agent.health()
        let countBefore = healthBefore["vm_count"] as? Int ?? count
        let before = try agent.meter.read()
        let libvirtdBefore = try libvirtd?.read()
        async let floorPerRead = FloorProgram.secondsPerRead(
            binary: floor.binary, pids: floor.pids, rounds: Int(window) - 1, intervalSeconds: 1, directory: floor.directory
        )
        try await Task.sleep(for: .seconds(window))
        let delta = try agent.meter.since(before)
        figures.floorPerRead.append(try await floorPerRead)
        if let libvirtd, let libvirtdBefore {
            let used = try libvirtd.since(libvirtdBefore)
            figures.libvirtdPercent.append(used.userSystemSeconds / used.elapsedSeconds * 100)
        }
        let health = try agent.health()
        // Per VM the agent tracks: QEMUs of others (other test runs on this host) are sampled too.
        let tracked = Double(countBefore + (health["vm_count"] as? Int ?? count)) / 2
        figures.trackedVMs.append(tracked)
        let samples = delta.elapsedSeconds / 1.0 * tracked
        figures.agentPerVMSample.append(delta.userSystemSeconds / samples)
        figures.agentOnCPUPerVMSample.append(delta.onCPUSeconds / samples)
        figures.residentBytes.append(Double(agent.meter.residentBytes() ?? 0))
        figures.residentAnonymousBytes.append(Double(agent.meter.residentAnonymousBytes() ?? 0))
        figures.residentFileBytes.append(Double(agent.meter.residentFileBytes() ?? 0))
        figures.roundSeconds.append(health["last_sample_duration_seconds"] as? Double ?? .nan)
        func flushCPU(_ health: [String: Any]) -> Double? { (health["ledger"] as? [String: Any])?["flush_cpu_seconds"] as? Double }
        if let after = flushCPU(health), let before = flushCPU(healthBefore), (health["ledger"] as? [String: Any])?["state"] as? String == "ok" {
            figures.flushPerVMSample.append((after - before) / samples)
        }
    }

    static func rows(_ label: String, _ figures: Figures, withTargets: Bool) -> [Bench.Row] {
        let agent = Bench.median(figures.agentPerVMSample) * 1e6
        let floor = Bench.median(figures.floorPerRead) * 1e6
        let megabytes = Bench.median(figures.residentBytes) / 1e6
        var rows = [
            Bench.Row(
                "Sampling, \(label): agent CPU per VM per sample",
                "\(Bench.format(agent, 2)) us (floor \(Bench.format(floor, 2)) us, \(Bench.format(figures.ratio, 2))x)",
                target: withTargets ? "<= 2x floor" : "",
                met: withTargets ? figures.ratio <= 2 : nil
            ),
            Bench.Row(
                "Sampling, \(label): agent RSS", "\(Bench.format(megabytes)) MB",
                target: withTargets ? "<= 30 MB" : "", met: withTargets ? megabytes <= 30 : nil
            ),
        ]
        if !figures.libvirtdPercent.isEmpty {
            rows.append(Bench.Row("Sampling, \(label): libvirtd CPU meanwhile", "\(Bench.format(Bench.median(figures.libvirtdPercent), 2)) % of a core"))
        }
        return rows
    }
}
