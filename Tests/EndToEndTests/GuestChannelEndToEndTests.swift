import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The guest channel (README, "Inside the VM") with real Linux guests: Debian's cloud kernel and a
/// busybox initramfs (``TestGuest``) on the real libvirtd under TCG, whose init copies what it reads
/// from the port `org.cinergy.power.0` to a serial console file. Guests carry the run's prefix and
/// are destroyed when each test ends. `libvirtdRestart` kills and restarts the shared libvirtd.
@Suite("End to end: the guest channel, with real Linux guests", .serialized)
struct GuestChannelEndToEndTests {
    /// The agent's settings: libvirt on, the channel on, one sample a second.
    static func env(_ extra: [String: String] = [:]) -> [String: String] {
        EndToEnd.libvirtEnv.merging(["GUEST_CHANNEL": "true", "SAMPLE_INTERVAL": "1"]) { $1 }.merging(extra) { $1 }
    }

    /// Polls `condition` every 100 ms until it holds, or fails after `seconds`.
    static func until(_ what: String, seconds: Double, _ condition: () async -> Bool) async throws {
        let deadline = Kernel.monotonicSeconds() + seconds
        while Kernel.monotonicSeconds() < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("timed out after \(Int(seconds)) s waiting for \(what)")
    }

    /// Starts `guests` and waits until each one's init runs; prints what the boot cost.
    static func boot(_ guests: [TestGuest], janitor: DomainJanitor, persistent: Bool = false) async throws {
        for guest in guests { janitor.track(name: guest.name, undefine: persistent) }
        _ = try await TestGuestImage.prepare()
        let started = Kernel.monotonicSeconds()
        for guest in guests { try await guest.create(persistent: persistent) }
        try await until("\(guests.map(\.name)) to boot", seconds: 240) { guests.allSatisfy(\.isReady) }
        let seconds = Kernel.monotonicSeconds() - started
        print("guest boot: \(guests.count) guest(s) ready \(String(format: "%.1f", seconds)) s after the first `virsh create`")
    }

    /// `sampled_at` of a line's or a response's object, as a date.
    static func date(_ object: [String: Any]?) -> Date? {
        guard let text = object?["sampled_at"] as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// The agent's log lines that carry `message` and name `vm`.
    static func logLines(_ agent: AgentUnderTest, _ message: String, vm: String) -> [Substring] {
        agent.log.split(separator: "\n").filter { $0.contains(message) && $0.contains("vm=\(vm)") }
    }

    /// Two JSON values are the same (numbers as numbers, whatever their Swift type).
    static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a as NSObject, let b as NSObject): return a.isEqual(b)
        default: return false
        }
    }

    /// Waits until the guest has read the line of the very sample `/power` (and `/carbon`) shows,
    /// then checks that the line's `power` and `carbon` objects are those responses, field by field
    /// (`power` without `host_cpu_usage`).
    static func checkMatchesHTTP(_ guest: TestGuest, agent: AgentUnderTest) async throws {
        for (route, key) in [("/power", "power"), ("/carbon", "carbon")] {
            var matched: (http: [String: Any], line: [String: Any])?
            try await agent.waitFor("\(guest.name): a line of the sample \(route) shows", seconds: 60) {
                guard let (status, json) = try? await agent.get("\(route)?vm=\(guest.name)"), status == 200,
                    let http = json as? [String: Any], let sampledAt = http["sampled_at"] as? String
                else { return false }
                guard let line = guest.objects().last(where: { ($0[key] as? [String: Any])?["sampled_at"] as? String == sampledAt })
                else { return false }
                matched = (http, line[key] as? [String: Any] ?? [:])
                return true
            }
            let (http, line) = try #require(matched)
            var expected = http
            if key == "power" { expected["host_cpu_usage"] = nil }
            #expect(Set(line.keys) == Set(expected.keys), "\(route) fields against the line's \(key)")
            for (field, value) in expected {
                #expect(same(line[field], value), "\(guest.name): \(key).\(field) is \(line[field] ?? "missing") in the guest, \(value) in \(route)")
            }
        }
    }

    /// The value of the series `name` for `vm` in `/metrics`; nil when it has none.
    static func metric(_ agent: AgentUnderTest, _ name: String, vm: String) async -> Double? {
        guard let (_, text) = try? await agent.getText("/metrics") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("\(name){vm=\"\(vm)\",") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    @Test("each guest reads its own figures, the same as /power and /carbon for the same sample; lines again after an agent restart; let go when the domain stops")
    func ownFigures() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let first = TestGuest(name: EndToEnd.uniqueDomainName("guest-a"), directory: directory.path)
        let second = TestGuest(name: EndToEnd.uniqueDomainName("guest-b"), directory: directory.path)
        let agent = try AgentUnderTest(env: Self.env(), directory: directory.path)
        // Started after the agent: the channel is connected when the domain starts.
        try await Self.boot([first, second], janitor: janitor)

        for guest in [first, second] {
            try await agent.waitFor("\(guest.name) to read two lines", seconds: 60) { guest.objects().count >= 2 }
        }
        for guest in [first, second] {
            // Its own figures only, in the documented format.
            let objects = guest.objects()
            #expect(objects.count == guest.lines().count, "every line is one JSON object")
            for object in objects {
                let power = object["power"] as? [String: Any]
                let carbon = object["carbon"] as? [String: Any]
                #expect(object["format_version"] as? Int == 1)
                #expect(power?["uuid"] as? String == guest.uuid && carbon?["uuid"] as? String == guest.uuid, "\(object)")
                #expect(power?["vm"] as? String == guest.name && carbon?["vm"] as? String == guest.name)
                #expect(power?["host_cpu_usage"] == nil, "the host's load is not the guest's to know")
                #expect(object["sampled_at"] as? String == power?["sampled_at"] as? String)
            }
            try await Self.checkMatchesHTTP(guest, agent: agent)
            #expect(await Self.metric(agent, "cinergy_guest_channel_connected", vm: guest.name) == 1)
            #expect((await Self.metric(agent, "cinergy_guest_channel_lines_total", vm: guest.name) ?? 0) >= 2)
            #expect(await Self.metric(agent, "cinergy_guest_channel_lines_dropped_total", vm: guest.name) == 0)
            #expect(Self.logLines(agent, "guest channel connected", vm: guest.name).count == 1, "one log line per change:\n\(agent.log)")
        }
        // One sample's line each, not one per tick: sampled_at never repeats.
        for guest in [first, second] {
            let times = guest.objects().compactMap { $0["sampled_at"] as? String }
            #expect(Set(times).count == times.count, "\(guest.name) got a sample twice: \(times)")
        }

        // The guest-side script turns a line the guest read into node-exporter metrics promtool accepts.
        let lineFile = directory.path + "/line.txt"
        let textfile = directory.path + "/cinergy.prom"
        let lastLine = try #require(first.lines().last)
        try (lastLine + "\n").write(toFile: lineFile, atomically: true, encoding: .utf8)
        let script = try ChildProcess(
            "textfile", executable: "/bin/sh",
            arguments: [TestGuestImage.packageRoot + "/deploy/guest/cinergy-guest-textfile.sh", textfile, lineFile])
        try await Self.until("the textfile", seconds: 30) { FileManager.default.fileExists(atPath: textfile) }
        script.signal(SIGKILL)
        let promtool = try #require(Kernel.which("promtool"), "promtool (Debian's prometheus) is missing: run `make test`")
        let (checked, complaints) = try await Command.run("/bin/sh", ["-c", "\(promtool) check metrics < \(textfile)"])
        #expect(checked == 0, "\(complaints)")
        let metrics = try String(contentsOfFile: textfile, encoding: .utf8)
        // The number as the line writes it, character for character.
        let watts = try #require(lastLine.firstRange(of: "\"total_power_watts\":").map { lastLine[$0.upperBound...].prefix { $0 != "," } })
        #expect(metrics.contains("\ncinergy_guest_power_watts \(watts)\n"), "\(metrics)")
        #expect(metrics.contains("cinergy_guest_energy_joules_total "))

        // The agent restarts: its successor finds the domains and connects again.
        agent.child.signal(SIGTERM)
        #expect(await agent.child.waitForExit(seconds: 30) == 0, "agent log:\n\(agent.log)")
        #expect(Self.logLines(agent, "guest channel released", vm: first.name).count == 1)
        let restarted = Date()
        let successorDirectory = try TemporaryDirectory()
        let successor = try AgentUnderTest(env: Self.env(), directory: successorDirectory.path)
        for guest in [first, second] {
            try await successor.waitFor("\(guest.name) to read lines from the restarted agent", seconds: 60) {
                guest.objects().contains { (Self.date($0) ?? .distantPast) > restarted }
            }
            #expect(Self.logLines(successor, "guest channel connected", vm: guest.name).count == 1)
        }

        // The second domain stops: the agent lets its channel go (once); the first one's goes on.
        try await Virsh.check(["destroy", second.name])
        try await successor.waitFor("\(second.name)'s channel released") {
            !Self.logLines(successor, "guest channel released", vm: second.name).isEmpty
        }
        let linesBefore = first.lines().count
        try await successor.waitFor("\(first.name) to read on") { first.lines().count >= linesBefore + 2 }
        #expect(Self.logLines(successor, "guest channel released", vm: second.name).count == 1)
        #expect(Self.logLines(successor, "guest channel unreachable", vm: second.name).isEmpty, "\(successor.log)")
        #expect(await Self.metric(successor, "cinergy_guest_channel_connected", vm: second.name) == nil)
        // Nothing logged per line: a few lines per VM in all, however many lines were written.
        let channelLines = successor.log.split(separator: "\n").filter { $0.contains("guest channel") }
        #expect(channelLines.count <= 6, "\(channelLines.joined(separator: "\n"))")
    }

    @Test("a domain without the channel is looked up once and produces no warning, no error and no channel series")
    func domainWithoutChannel() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: Self.env(), directory: directory.path)
        let domain = TestDomain(name: EndToEnd.uniqueDomainName("no-channel"), spinning: false)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        try await agent.waitFor("\(domain.name) looked up") {
            !Self.logLines(agent, "no guest channel declared", vm: domain.name).isEmpty
        }
        // A few samples later: still one lookup, nothing else said about it.
        let sampled = await agent.vms().first { $0["name"] as? String == domain.name }?["sampled_at"] as? String
        try await agent.waitFor("two more samples of \(domain.name)") {
            let now = await agent.vms().first { $0["name"] as? String == domain.name }?["sampled_at"] as? String
            return now != nil && now != sampled
        }
        #expect(Self.logLines(agent, "no guest channel declared", vm: domain.name).count == 1)
        let loud = agent.log.split(separator: "\n").filter { $0.contains(" warning ") || $0.contains(" error ") || $0.contains(" critical ") }
        #expect(loud.isEmpty, "\(loud.joined(separator: "\n"))")
        #expect(await Self.metric(agent, "cinergy_guest_channel_connected", vm: domain.name) == nil)
        let (_, metrics) = try await agent.getText("/metrics")
        #expect(metrics.contains("# TYPE cinergy_guest_channel_lines_dropped_total counter"))
    }

    @Test("hot-plug: a running domain without the channel gets it, live only, and its guest reads its figures; one without a virtio-serial controller is refused once")
    func hotplug() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let guest = TestGuest(name: EndToEnd.uniqueDomainName("hotplug"), channel: .controllerOnly, directory: directory.path)
        // Persistent, so that its definition can be checked to stay without the channel.
        try await Self.boot([guest], janitor: janitor, persistent: true)
        let bare = TestDomain(name: EndToEnd.uniqueDomainName("no-controller"), spinning: false)
        janitor.track(bare)
        try await bare.create(in: directory.path)

        let agent = try AgentUnderTest(env: Self.env(["GUEST_CHANNEL_HOTPLUG": "true"]), directory: directory.path)
        try await agent.waitFor("\(guest.name) to read lines through the hot-plugged channel", seconds: 90) {
            guest.objects().count >= 2
        }
        #expect(guest.objects().allSatisfy { ($0["power"] as? [String: Any])?["uuid"] as? String == guest.uuid })
        #expect(Self.logLines(agent, "guest channel hot-plugged", vm: guest.name).count == 1)
        let live = try await Virsh.check(["dumpxml", guest.name])
        let persistent = try await Virsh.check(["dumpxml", "--inactive", guest.name])
        #expect(live.contains("org.cinergy.power.0"))
        #expect(!persistent.contains("org.cinergy.power.0"), "the hot-plug must not touch the persistent definition")

        try await agent.waitFor("\(bare.name) refused") {
            !Self.logLines(agent, "guest channel hot-plug refused", vm: bare.name).isEmpty
        }
        let refusal = Self.logLines(agent, "guest channel hot-plug refused", vm: bare.name)
        #expect(refusal.count == 1)
        #expect(refusal.first?.contains("virtio-serial controller") == true, "\(refusal)")
    }

    @Test("guests that never read (one silent, one writing without end) do not slow the agent: lines dropped and counted, CPU and memory flat")
    func nonReadingGuests() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let window = Double(ProcessInfo.processInfo.environment["CINERGY_GUEST_IDLE_SECONDS"] ?? "") ?? 60
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let silent = TestGuest(name: EndToEnd.uniqueDomainName("silent"), mode: .ignore, directory: directory.path)
        let flooding = TestGuest(name: EndToEnd.uniqueDomainName("flood"), mode: .flood, directory: directory.path)
        // No procfs scan: on a busy machine it reads every process's command line each second,
        // which would swamp what is measured here (the guest channel's cost).
        let agent = try AgentUnderTest(env: Self.env(["PROCFS_DISCOVERY": "false"]), directory: directory.path)
        try await Self.boot([silent, flooding], janitor: janitor)
        // The buffers fill (a few dozen lines), then lines are dropped.
        for guest in [silent, flooding] {
            try await agent.waitFor("lines dropped for \(guest.name)", seconds: 180) {
                (await Self.metric(agent, "cinergy_guest_channel_lines_dropped_total", vm: guest.name) ?? 0) > 0
            }
        }
        let pid = agent.child.pid
        func counts() async -> [Double] {
            var values: [Double] = []
            for guest in [silent, flooding] {
                values.append(await Self.metric(agent, "cinergy_guest_channel_lines_total", vm: guest.name) ?? -1)
                values.append(await Self.metric(agent, "cinergy_guest_channel_lines_dropped_total", vm: guest.name) ?? -1)
            }
            return values
        }
        /// CPU ticks of the guest channel's own threads: its NIO event loop and its libvirt worker.
        func channelTicks() -> Double {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.reduce(0) { sum, task in
                let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
                guard comm.hasPrefix("NIO-ELT") || comm.hasPrefix("cinergy-channel"),
                    let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { return sum }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return sum + (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
            }
        }
        let channelBefore = channelTicks()
        let before = (ticks: try #require(Kernel.cpuTicks(pid: pid)), rss: try #require(ProcessResources.residentKiB(pid)), counts: await counts())
        let started = Kernel.monotonicSeconds()
        try await Task.sleep(for: .seconds(window))
        let after = (ticks: try #require(Kernel.cpuTicks(pid: pid)), rss: try #require(ProcessResources.residentKiB(pid)), counts: await counts())
        let elapsed = Kernel.monotonicSeconds() - started
        let cpuPercent = (after.ticks - before.ticks) / Kernel.ticksPerSecond / elapsed * 100
        let channelPercent = (channelTicks() - channelBefore) / Kernel.ticksPerSecond / elapsed * 100
        print(
            "guest channel, 2 guests not reading (one flooding) for \(Int(elapsed)) s at SAMPLE_INTERVAL=1: agent CPU "
                + "\(String(format: "%.2f", cpuPercent)) % of a core (the channel's threads \(String(format: "%.2f", channelPercent)) %), "
                + "RSS \(before.rss) -> \(after.rss) KiB; "
                + "written/dropped silent \(before.counts[0])/\(before.counts[1]) -> \(after.counts[0])/\(after.counts[1]), "
                + "flooding \(before.counts[2])/\(before.counts[3]) -> \(after.counts[2])/\(after.counts[3])"
        )
        // Every sample's line is dropped (none queued once the buffers are full), one per second each.
        for index in [0, 2] {
            #expect(after.counts[index] - before.counts[index] <= 1, "lines still queued while the buffer is full")
            let dropped = after.counts[index + 1] - before.counts[index + 1]
            #expect(dropped >= elapsed - 5 && dropped <= elapsed + 2, "dropped \(dropped) lines in \(elapsed) s")
        }
        #expect(cpuPercent > 0 && cpuPercent < 10, "agent CPU \(cpuPercent) % of a core")
        #expect(channelPercent < 2, "the guest channel's threads: \(channelPercent) % of a core")
        #expect(after.rss - before.rss < 4 * 1024, "agent RSS grew \(after.rss - before.rss) KiB")
        // Sampling and the API keep their pace.
        let (status, health) = try await agent.get("/health")
        #expect(status == 200)
        let lastSample = Self.date((health as? [String: Any]).map { ["sampled_at": $0["last_sample_at"] as Any] })
        #expect(lastSample.map { Date().timeIntervalSince($0) < 3 } == true, "\(health)")
        #expect(agent.child.isRunning)
    }

    @Test("libvirtd killed and restarted: lines go on for a running guest, and a guest started afterwards gets its channel")
    func libvirtdRestart() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let before = TestGuest(name: EndToEnd.uniqueDomainName("before"), directory: directory.path)
        let agent = try AgentUnderTest(env: Self.env(), directory: directory.path)
        try await Self.boot([before], janitor: janitor)
        try await agent.waitFor("\(before.name) to read lines", seconds: 60) { before.objects().count >= 2 }

        let daemons = try #require(LibvirtDaemon.pids(), "no libvirtd process")
        let arguments = LibvirtDaemon.arguments(of: daemons[0])
        for pid in daemons { kill(pid, SIGKILL) }
        let killed = Date()
        try await agent.waitFor("libvirt reported unavailable") {
            guard let (_, json) = try? await agent.get("/health"), let health = json as? [String: Any],
                let sources = health["sources"] as? [String: Any], let libvirt = sources["libvirt"] as? [String: Any]
            else { return false }
            return libvirt["available"] as? Bool == false
        }
        // The channel is QEMU's socket, not libvirtd's: lines go on while libvirtd is away.
        try await agent.waitFor("\(before.name) to read lines while libvirtd is down") {
            before.objects().contains { (Self.date($0) ?? .distantPast) > killed }
        }
        try await LibvirtDaemon.start(arguments: arguments)
        let after = TestGuest(name: EndToEnd.uniqueDomainName("after"), directory: directory.path)
        try await Self.boot([after], janitor: janitor)
        let restarted = Date()
        for guest in [before, after] {
            try await agent.waitFor("\(guest.name) to read lines after libvirtd came back", seconds: 90) {
                guest.objects().contains { (Self.date($0) ?? .distantPast) > restarted }
            }
        }
        #expect(Self.logLines(agent, "guest channel connected", vm: after.name).count == 1)
        #expect(Self.logLines(agent, "guest channel connected", vm: before.name).count == 1, "the channel was never lost:\n\(agent.log)")
    }
}
