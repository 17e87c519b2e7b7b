import CinergySystem
import CinergyTestSupport
import Foundation

extension AgentUnderTest {
    /// The agent process's CPU time and memory.
    var meter: ProcessMeter { ProcessMeter(pid: child.pid) }

    /// Waits until `/vms` lists `count` VMs whose name starts with `prefix`, each with a usage.
    /// Polls twice a second: `/vms` of a thousand VMs is not free to build and parse.
    func waitForVMs(prefix: String, count: Int, seconds: Double = 180) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var seen = 0
        while Date() < deadline {
            if let response = try? HTTPProbe.get(port: port, path: "/vms"), response.status == 200,
                let list = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]
            {
                seen = list.filter { ($0["name"] as? String)?.hasPrefix(prefix) == true && $0["cpu_usage"] is Double }.count
                if seen == count { return }
            }
            guard child.isRunning else { throw TestFailure("the agent exited while waiting for its VMs:\n\(log)") }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw TestFailure("timed out after \(seconds) s waiting for \(count) VMs named \(prefix)* with a usage (saw \(seen))")
    }

    /// The `/health` document.
    func health() throws -> [String: Any] {
        let response = try HTTPProbe.get(port: port, path: "/health")
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw TestFailure("GET /health answered \(response.status): \(response.text)")
        }
        return object
    }

    /// Waits (up to 120 s) until the ledger has flushed `count` times after this call's first look.
    func waitForLedgerFlushes(_ count: Int) async throws {
        var seen: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(120)
        while seen.count <= count {
            if let flushed = (try? health())?["ledger"].flatMap({ ($0 as? [String: Any])?["last_flush_at"] as? String }) { seen.insert(flushed) }
            guard ContinuousClock.now < deadline else { throw TestFailure("the ledger did not flush \(count) times in 120 s") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// SIGTERM, then waits for a clean exit.
    func stop() async throws {
        child.signal(SIGTERM)
        let status = await child.waitForExit(seconds: 30)
        guard status == 0 else { throw TestFailure("the agent did not exit cleanly on SIGTERM (\(status.map(String.init) ?? "still running")):\n\(log)") }
    }
}

/// Idle TCG domains for the benchmarks on the libvirt path.
enum BenchDomains {
    /// The name every benchmark domain starts with.
    static let prefix = EndToEnd.libvirtPrefix + "-bench"

    /// Creates `count` idle domains (a halting boot sector), tracked by `janitor`.
    static func create(count: Int, in directory: String, janitor: DomainJanitor) async throws -> [TestDomain] {
        guard await Virsh.isUp() else { throw TestFailure("libvirtd is not running on qemu:///system: run `make libvirtd`") }
        var domains: [TestDomain] = []
        for index in 0..<count {
            let domain = TestDomain(name: EndToEnd.uniqueDomainName("bench\(index)"), spinning: false)
            janitor.track(domain)
            try await domain.create(in: directory)
            domains.append(domain)
        }
        return domains
    }

    /// The QEMU PIDs of the domains, from libvirt's pid files.
    static func pids(of domains: [TestDomain]) throws -> [Int32] {
        try domains.map { domain in
            let path = "/run/libvirt/qemu/\(domain.name).pid"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw TestFailure("no QEMU pid file for \(domain.name) at \(path)") }
            return pid
        }
    }

    /// The running libvirtd, whose CPU the libvirt-path figures include.
    static func libvirtd() throws -> ProcessMeter {
        guard let pid = ProcessMeter.pids(named: "libvirtd").first else { throw TestFailure("libvirtd is not running") }
        return ProcessMeter(pid: pid)
    }
}
