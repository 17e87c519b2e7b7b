import CinergyTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The dashboard at `GET /`, served by the real binary and rendered by a real headless Chromium.
@Suite("End to end: the dashboard in headless Chromium", .serialized)
struct DashboardBrowserTests {
    /// Where the test leaves a 1280x800 screenshot of the page, for a human to look at.
    static let screenshotPath = "/tmp/cinergy-dashboard.png"

    @Test("GET / shows every VM (names as text, never markup) with its power, and a chart line per VM")
    func dashboardRendersVMs() async throws {
        let chromium = try #require(Kernel.which("chromium"), "chromium is not installed: run `make test`")
        let directory = try TemporaryDirectory()

        // Two stand-in QEMUs: one busy, one idle whose name is full of HTML-special characters.
        let busyName = "\(EndToEnd.prefix)-dash"
        let trickyName = "\(EndToEnd.prefix)-<b>&\"x\"-é"
        let executable = try StandIn.build(in: directory.path)
        let busy = try ChildProcess(busyName, executable: executable, arguments: Self.qemuArguments(name: busyName))
        let tricky = try ChildProcess(
            trickyName, executable: executable, arguments: Self.qemuArguments(name: trickyName),
            environment: ["CINERGY_STANDIN_IDLE": "1"]
        )
        // The ledger on, flushing every second, for the page's ledger table.
        var env = EndToEnd.env
        env["STATE_DIRECTORY"] = directory.path + "/state"
        env["LEDGER_FLUSH_SECONDS"] = "1"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitFor("both stand-ins with a usage in /vms") {
            let vms = await agent.vms()
            return [busyName, trickyName].allSatisfy { name in
                vms.contains { $0["name"] as? String == name && $0["cpu_usage"] is Double }
            }
        }
        try await agent.waitFor("the busy stand-in in the ledger's report") {
            (try? await agent.getText("/report"))?.body.contains(busyName) == true
        }
        #expect(busy.isRunning && tricky.isRunning)

        // The page itself: HTML under a CSP that lets it load nothing from elsewhere.
        let (status, headers, page) = try await Self.fetch(URL(string: "http://127.0.0.1:\(agent.port)/")!)
        #expect(status == 200)
        #expect(headers["content-type"] == "text/html; charset=utf-8")
        let policy = headers["content-security-policy"] ?? ""
        for directive in ["default-src 'none'", "connect-src 'self'", "script-src 'nonce-"] {
            #expect(policy.contains(directive), "CSP: \(policy)")
        }
        #expect(!page.contains("https://") && !page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))

        // What the browser made of it after a few polls.
        let dom = try await Self.runChromium(
            chromium, directory: directory.path, url: "http://127.0.0.1:\(agent.port)/", mode: ["--dump-dom"]
        )
        #expect(!dom.contains("<b>"), "a VM name was inserted as markup:\n\(dom)")
        #expect(dom.contains(#"<p id="error" role="alert" hidden="#), "the page says the agent is unreachable:\n\(dom)")
        let rows = Self.elements("tr", in: dom)
        let paths = Self.elements("path", in: dom)
        for name in [busyName, trickyName] {
            let row = try #require(rows.first { $0.vm == name }, "no <tr data-vm> for \(name) in:\n\(dom)")
            let power = Self.cellText("total_power_watts", in: row.html)
            #expect(power.wholeMatch(of: /\d+\.\d W/) != nil, "\(name): power cell '\(power)'")
            #expect(Self.cellText("cpu_usage", in: row.html).hasSuffix(" %"))
            #expect(row.html.contains("</span>\(Self.escapedText(name))</td>"), "\(name) not shown as text: \(row.html)")
            let path = try #require(paths.first { $0.vm == name }, "no <path data-vm> for \(name) in:\n\(dom)")
            #expect(path.html.contains(#" d="M"#), "\(name): empty chart line \(path.html)")
        }

        // The ledger table (last 24 h): the busy stand-in with its energy, as text.
        let ledgerTable = try #require(dom.range(of: #"<table id="ledger">"#).map { String(dom[$0.lowerBound...]) })
        let ledgerRow = try #require(Self.elements("tr", in: ledgerTable).first { $0.vm == busyName }, "no ledger row:\n\(ledgerTable)")
        #expect(Self.cellText("energy_joules", in: ledgerRow.html).hasSuffix("Wh"), "\(ledgerRow.html)")
        #expect(dom.contains(#"data-period="30d""#))

        // Once, a screenshot at the size the page is made for.
        try? FileManager.default.removeItem(atPath: Self.screenshotPath)
        _ = try await Self.runChromium(
            chromium, directory: directory.path, url: "http://127.0.0.1:\(agent.port)/",
            mode: ["--screenshot=\(Self.screenshotPath)", "--window-size=1280,800", "--hide-scrollbars"]
        )
        let png = try Data(contentsOf: URL(fileURLWithPath: Self.screenshotPath))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "screenshot of \(png.count) bytes")

        // The same page with no agent behind it (opened from a file, its fetches fail) says so.
        let file = directory.path + "/dashboard.html"
        try page.write(toFile: file, atomically: true, encoding: .utf8)
        let offline = try await Self.runChromium(chromium, directory: directory.path, url: "file://\(file)", mode: ["--dump-dom"])
        #expect(offline.contains(#"<p id="error" role="alert">Agent unreachable"#), "\(offline)")
    }

    @Test("with a token required, the page asks for it instead of showing VMs or calling the agent unreachable")
    func dashboardAsksForToken() async throws {
        let chromium = try #require(Kernel.which("chromium"), "chromium is not installed: run `make test`")
        let directory = try TemporaryDirectory()
        try "dashboard-test-token-\(UUID().uuidString)".write(toFile: directory.path + "/token", atomically: true, encoding: .utf8)
        var env = EndToEnd.env
        env["AUTH_TOKEN_FILE"] = directory.path + "/token"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitFor("/health to answer") { (try? await agent.get("/health"))?.status == 200 }
        #expect(await agent.vms().isEmpty, "/vms answered without the token")

        let dom = try await Self.runChromium(
            chromium, directory: directory.path, url: "http://127.0.0.1:\(agent.port)/", mode: ["--dump-dom"]
        )
        #expect(dom.contains(#"<form id="auth">"#), "no token form shown:\n\(dom)")
        #expect(dom.contains(#"<p id="error" role="alert" hidden="#), "the page says the agent is unreachable:\n\(dom)")
        #expect(!dom.contains("<tr data-vm="))
        #expect(dom.contains(#"<span id="status">"#) && !dom.contains("connecting…"), "/health, open, was not shown:\n\(dom)")
    }

    /// A QEMU command line the agent's discovery recognises, with `-name guest=NAME`.
    static func qemuArguments(name: String) -> [String] {
        [
            "-name", "guest=\(name),debug-threads=on", "-machine", "pc-i440fx-7.2,usb=off", "-accel", "tcg", "-m", "64",
            "-smp", "2", "-display", "none", "-no-user-config", "-nodefaults",
        ]
    }

    /// GETs `url` and returns the status, the headers (names lowercased) and the body as text.
    static func fetch(_ url: URL) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return (http?.statusCode ?? 0, headers, String(decoding: data, as: UTF8.self))
    }

    /// Runs headless Chromium on `url` with its own profile, lets the page run 10 s of (virtual)
    /// time, and returns what it wrote. Output and logs share one file, so the DOM is cut out of it.
    static func runChromium(_ chromium: String, directory: String, url: String, mode: [String]) async throws -> String {
        let log = directory + "/chromium-\(UUID().uuidString.prefix(8)).log"
        let child = try ChildProcess(
            "chromium", executable: chromium,
            arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=\(directory)/chromium-profile", "--virtual-time-budget=10000",
            ] + mode + [url],
            logFile: log
        )
        let status = await child.waitForExit(seconds: 120)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestFailure("chromium \(mode) exited with \(status.map(String.init) ?? "nothing, still running"):\n\(output)") }
        guard let start = output.range(of: "<html"), let end = output.range(of: "</html>", options: .backwards) else { return output }
        return String(output[start.lowerBound..<end.upperBound])
    }

    /// Every `<TAG … data-vm="…">` element of a serialized DOM: its VM name (entities decoded)
    /// and its markup up to the closing tag.
    static func elements(_ tag: String, in dom: String) -> [(vm: String, html: String)] {
        var found: [(vm: String, html: String)] = []
        var rest = dom[...]
        while let open = rest.range(of: "<\(tag) ") {
            let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex)?.upperBound ?? rest.endIndex
            let html = String(rest[open.lowerBound..<close])
            if let match = html.firstMatch(of: /^<[a-z]+ [^>]*?data-vm="([^"]*)"/) {
                found.append((unescaped(String(match.1)), html))
            }
            rest = rest[close...]
        }
        return found
    }

    /// The text of the `data-field="FIELD"` cell in a row's markup.
    static func cellText(_ field: String, in row: String) -> String {
        guard let start = row.range(of: #"data-field="\#(field)""#),
            let open = row.range(of: ">", range: start.upperBound..<row.endIndex),
            let close = row.range(of: "</td>", range: open.upperBound..<row.endIndex)
        else { return "" }
        return String(row[open.upperBound..<close.lowerBound])
    }

    /// `text` as a browser serializes a text node.
    static func escapedText(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\u{A0}", with: "&nbsp;")
    }

    /// An attribute value as written in serialized HTML, decoded.
    static func unescaped(_ value: String) -> String {
        value.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&nbsp;", with: "\u{A0}")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
