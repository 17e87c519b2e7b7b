import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Debian package as an operator gets it: lintian passes it, `dpkg -i` installs it, the
/// installed agent runs with the installed env file against the test libvirtd, and `dpkg --purge`
/// leaves only what Debian policy keeps. Installs on this machine, so it needs root; it purges the
/// package however it ends.
@Suite("Debian package: lintian, install, run, purge", .serialized)
struct DebPackageEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized.path

    /// The VERSION file's content: the one place the version comes from.
    static func version() throws -> String {
        try String(contentsOfFile: repository + "/VERSION", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The package under test: `CINERGY_DEB` (set by `make test`, which builds it with `make deb`),
    /// else what `make deb` left in .build/deb.
    static func package() async throws -> String {
        if let path = ProcessInfo.processInfo.environment["CINERGY_DEB"] {
            guard FileManager.default.fileExists(atPath: path) else { throw TestFailure("CINERGY_DEB=\(path): no such file") }
            return path
        }
        let architecture = try await Command.run("/usr/bin/dpkg", ["--print-architecture"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let path = "\(repository)/.build/deb/cinergy_\(try version())_\(architecture).deb"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestFailure("no package at \(path): run `make deb` first (or `make test`, which sets CINERGY_DEB)")
        }
        return path
    }

    /// Where the package puts its files; each must be gone after a purge.
    static let packagedFiles = [
        "/usr/bin/cinergy",
        "/lib/systemd/system/cinergy.service",
        "/etc/cinergy/cinergy.env",
        "/usr/share/man/man1/cinergy.1.gz",
        "/usr/share/cinergy/grafana-dashboard.json",
        "/usr/share/cinergy/cinergy-rules.yml",
        "/usr/share/doc/cinergy/copyright",
        "/usr/share/doc/cinergy/changelog.gz",
    ]

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// `dpkg-query`'s status of cinergy ("install ok installed", "deinstall ok config-files"), or
    /// nil when dpkg does not know it.
    static func packageStatus() async throws -> String? {
        let result = try await Command.run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "cinergy"])
        let status = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.status == 0 && !status.isEmpty && !status.hasSuffix("not-installed") ? status : nil
    }

    static func dpkg(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Command.run("/usr/bin/dpkg", arguments, environment: ["DEBIAN_FRONTEND": "noninteractive"])
    }

    /// `getent passwd cinergy` split into its fields, or nil.
    static func user() async throws -> [String]? {
        let result = try await Command.run("/usr/bin/getent", ["passwd", "cinergy"])
        guard result.status == 0 else { return nil }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("cinergy --version prints the VERSION file's content")
    func versionMatches() async throws {
        let result = try await Command.run(AgentUnderTest.binary, ["--version"])
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == (try Self.version()))
    }

    @Test("lintian reports no error on the package")
    func lintian() async throws {
        let lintian = try #require(Kernel.which("lintian"), "lintian is not installed: run `make deb-tools`")
        let deb = try await Self.package()
        let result = try await Command.run(lintian, ["--fail-on", "error", deb])
        let errors = result.output.split(separator: "\n").filter { $0.hasPrefix("E:") }
        #expect(errors.isEmpty, "lintian errors:\n\(result.output)")
        #expect(result.status == 0, "lintian (exit \(result.status)):\n\(result.output)")
    }

    @Test("dpkg -i installs the files, the user and a disabled unit; the installed agent runs; --remove keeps the config; --purge leaves only the user")
    func installRunPurge() async throws {
        try #require(getuid() == 0, "installing a package needs root")
        let deb = try await Self.package()
        // A package left by a crashed run goes first; a source install (make install) is not ours to remove.
        if try await Self.packageStatus() != nil {
            _ = try await Self.dpkg(["--purge", "cinergy"])
        }
        for path in ["/usr/bin/cinergy", "/etc/cinergy"] where Self.exists(path) {
            throw TestFailure("\(path) exists outside the package (a source install?): run `make uninstall` and remove /etc/cinergy first")
        }
        let userExisted = try await Self.user() != nil
        // Leave the machine as it was: the user stays after a purge (checked), but this test created it.
        func removeUserIfCreated() async {
            guard !userExisted, (try? await Self.user()) != nil else { return }
            _ = try? await Command.run("/usr/sbin/deluser", ["--system", "--quiet", "cinergy"])
            _ = try? await Command.run("/usr/sbin/delgroup", ["--system", "--quiet", "--only-if-empty", "cinergy"])
        }
        do {
            try await Self.installRunPurge(deb)
        } catch {
            _ = try? await Self.dpkg(["--purge", "cinergy"])
            await removeUserIfCreated()
            throw error
        }
        await removeUserIfCreated()
    }

    static func installRunPurge(_ deb: String) async throws {
        // --- Install.
        let install = try await dpkg(["-i", deb])
        try #require(install.status == 0, "dpkg -i:\n\(install.output)")
        #expect(install.output.contains("systemctl enable --now cinergy"), "postinst says how to enable the agent:\n\(install.output)")
        #expect(try await packageStatus() == "install ok installed")

        // The files, where Debian puts them, and what dpkg knows of them.
        for path in packagedFiles {
            #expect(exists(path), "\(path) is missing")
        }
        #expect(access("/usr/bin/cinergy", X_OK) == 0)
        let unit = try String(contentsOfFile: "/lib/systemd/system/cinergy.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/usr/bin/cinergy --env-file /etc/cinergy/cinergy.env\n"), "\(unit)")
        let listed = try await Command.run("/usr/bin/dpkg", ["-L", "cinergy"]).output.split(separator: "\n").map(String.init)
        for path in packagedFiles {
            #expect(listed.contains(path), "dpkg -L cinergy does not list \(path)")
        }
        let conffiles = try await Command.run("/usr/bin/dpkg-query", ["-W", "-f=${Conffiles}", "cinergy"]).output
        #expect(conffiles.contains("/etc/cinergy/cinergy.env"), "cinergy.env is not a conffile: \(conffiles)")
        // Stripped: no symbol table left.
        let sections = try await Command.run("/usr/bin/objdump", ["-h", "/usr/bin/cinergy"]).output
        #expect(!sections.contains(".symtab") && !sections.contains(".debug_info"), "the binary is not stripped")

        // Nothing enabled or started without being asked.
        #expect(!exists("/etc/systemd/system/multi-user.target.wants/cinergy.service"), "the unit was enabled")

        // The system user: its own group, no home, no login.
        let user = try #require(try await user(), "postinst did not create the user cinergy")
        let uid = try #require(Int(user[2]))
        #expect(uid < 1000, "cinergy is not a system user: \(user)")
        #expect(user[5] == "/nonexistent")
        #expect(user[6] == "/usr/sbin/nologin")
        let group = try await Command.run("/usr/bin/getent", ["group", "cinergy"])
        #expect(group.status == 0, "no group cinergy")

        // The version, and the man page.
        let version = try await Command.run("/usr/bin/cinergy", ["--version"])
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == (try Self.version()))
        // `man` finds the page where an operator would look (Debian package man-db, in `make test`'s packages).
        let man = try #require(Kernel.which("man"), "man is not installed (Debian package man-db): run `make test-deps`")
        let located = try await Command.run(man, ["-w", "cinergy"])
        #expect(located.output.trimmingCharacters(in: .whitespacesAndNewlines) == "/usr/share/man/man1/cinergy.1.gz", "man -w cinergy: \(located.output)")
        let page = try await Command.run("/bin/sh", ["-c", "zcat /usr/share/man/man1/cinergy.1.gz"]).output
        #expect(page.contains("--env-file"), "the man page does not show the command's options")

        // Installing again (a reinstall, like an upgrade) keeps the user and the operator's edit of the conffile.
        let edited = "# edited by the operator (DebPackageEndToEndTests)\n"
        let handle = try #require(FileHandle(forWritingAtPath: "/etc/cinergy/cinergy.env"))
        handle.seekToEndOfFile()
        handle.write(Data(edited.utf8))
        handle.closeFile()
        let reinstall = try await dpkg(["-i", deb])
        #expect(reinstall.status == 0, "dpkg -i again:\n\(reinstall.output)")
        #expect(try String(contentsOfFile: "/etc/cinergy/cinergy.env", encoding: .utf8).hasSuffix(edited), "the reinstall overwrote the edited conffile")
        #expect(try await Self.user()?[2] == user[2], "the reinstall changed the user")

        // --- Run: the installed binary with the installed env file, as the user cinergy, on a free
        // loopback port, against the test libvirtd (the env file's LIBVIRT_URI=qemu:///system).
        try await runInstalledAgent()

        // --- Remove: the program goes, the configuration and the agent's state stay (a ledger
        // file stands in for the state), the unit is masked until a purge or a reinstall.
        try FileManager.default.createDirectory(atPath: "/var/lib/cinergy", withIntermediateDirectories: true)
        try "state".write(toFile: "/var/lib/cinergy/ledger.sqlite", atomically: true, encoding: .utf8)
        let remove = try await dpkg(["--remove", "cinergy"])
        #expect(remove.status == 0, "dpkg --remove:\n\(remove.output)")
        #expect(try await packageStatus() == "deinstall ok config-files")
        for path in ["/usr/bin/cinergy", "/lib/systemd/system/cinergy.service", "/usr/share/man/man1/cinergy.1.gz"] {
            #expect(!exists(path), "\(path) is left after dpkg --remove")
        }
        #expect(try String(contentsOfFile: "/etc/cinergy/cinergy.env", encoding: .utf8).hasSuffix(edited), "dpkg --remove took the configuration")
        #expect(exists("/var/lib/cinergy/ledger.sqlite"), "dpkg --remove took the agent's state")

        // --- Purge: everything but the user.
        let purge = try await dpkg(["--purge", "cinergy"])
        #expect(purge.status == 0, "dpkg --purge:\n\(purge.output)")
        #expect(try await packageStatus() == nil, "dpkg still knows cinergy after the purge")
        for path in packagedFiles + [
            "/etc/cinergy", "/usr/share/cinergy", "/usr/share/doc/cinergy", "/var/lib/cinergy",
            "/etc/systemd/system/cinergy.service", // the mask a removal leaves
            "/var/lib/systemd/deb-systemd-helper-enabled/cinergy.service.dsh-also",
            "/var/lib/systemd/deb-systemd-helper-masked/cinergy.service",
        ] {
            #expect(!exists(path), "\(path) is left after the purge")
        }
        // What stays, as Debian policy has it: the system user and its group (files it owned
        // elsewhere would otherwise pass to the next user given its ID).
        #expect(try await Self.user() != nil, "the purge removed the user cinergy")
    }

    static func runInstalledAgent() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let setpriv = try #require(Kernel.which("setpriv"), "setpriv (util-linux) is missing")
        let directory = try TemporaryDirectory()
        let port = Kernel.freeLoopbackPort()
        let log = directory.path + "/agent.log"
        let agent = try ChildProcess(
            "cinergy", executable: setpriv,
            arguments: [
                "--reuid=cinergy", "--regid=cinergy", "--init-groups", "--no-new-privs",
                "/usr/bin/cinergy", "--env-file", "/etc/cinergy/cinergy.env", "--port", String(port), "--bind-address", "127.0.0.1",
            ],
            logFile: log
        )
        defer { agent.signal(SIGKILL) }
        func agentLog() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        var health: [String: Any] = [:]
        var libvirtAvailable = false
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !libvirtAvailable {
            try #require(agent.isRunning, "the installed agent exited:\n\(agentLog())")
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health")!)
            request.timeoutInterval = 5
            if let (data, response) = try? await URLSession.shared.data(for: request),
                (response as? HTTPURLResponse)?.statusCode == 200,
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                health = object
                let libvirt = (object["sources"] as? [String: Any])?["libvirt"] as? [String: Any]
                libvirtAvailable = libvirt?["available"] as? Bool == true
            }
            if !libvirtAvailable { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(health["status"] as? String == "ok", "no 200 from /health of the installed agent:\n\(agentLog())")
        #expect(libvirtAvailable, "the installed agent did not connect to qemu:///system: \(health)\n\(agentLog())")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(seconds: 20) == 0, "the installed agent did not stop cleanly:\n\(agentLog())")
    }
}
