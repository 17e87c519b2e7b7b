import CinergyTestSupport
import Foundation
import Testing

/// HTTPS and the bearer token, against the built binary, with `openssl` and `curl` as clients.
@Suite("End to end: TLS and bearer token", .serialized)
struct TLSAuthEndToEndTests {
    /// Runs a command to completion; returns its status and output.
    static func run(_ executable: String, _ arguments: [String], in directory: String) async throws -> (Int32, String) {
        let log = directory + "/\(UUID().uuidString).out"
        let child = try ChildProcess(executable, executable: executable, arguments: arguments, logFile: log)
        let status = await child.waitForExit(seconds: 60) ?? -1
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test("HTTPS with the configured certificate; the token is required everywhere but /health, and never logged")
    func httpsWithToken() async throws {
        let directory = try TemporaryDirectory()
        let openssl = try #require(Kernel.which("openssl"), "openssl is not installed: run `make test`")
        let curl = try #require(Kernel.which("curl"), "curl is not installed: run `make test`")
        let certificate = directory.path + "/cert.pem"
        let key = directory.path + "/key.pem"
        let (status, output) = try await Self.run(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ],
            in: directory.path
        )
        try #require(status == 0, "openssl: \(output)")
        let token = "e2e-token-\(UUID().uuidString)"
        let tokenFile = directory.path + "/token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)

        var env = EndToEnd.env
        env["TLS_CERTIFICATE_FILE"] = certificate
        env["TLS_KEY_FILE"] = key
        env["AUTH_TOKEN_FILE"] = tokenFile
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        let base = "https://127.0.0.1:\(agent.port)"
        func curlStatus(_ path: String, _ extra: [String] = []) async throws -> String {
            let (_, out) = try await Self.run(
                curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificate] + extra + [base + path], in: directory.path
            )
            return out
        }
        try await agent.waitFor("HTTPS /health") { (try? await curlStatus("/health")) == "200" }
        #expect(try await curlStatus("/vms") == "401")
        #expect(try await curlStatus("/vms", ["-H", "Authorization: Bearer wrong-\(token)"]) == "401")
        #expect(try await curlStatus("/vms", ["-H", "Authorization: Bearer \(token)"]) == "200")
        #expect(try await curlStatus("/metrics", ["-H", "Authorization: Bearer \(token)"]) == "200")
        // Plain HTTP on the TLS port gets no answer, and a client that does not trust the certificate fails.
        let (_, plain) = try await Self.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(agent.port)/health"], in: directory.path)
        #expect(plain != "200")
        let (untrusted, _) = try await Self.run(curl, ["-s", "-o", "/dev/null", base + "/health"], in: directory.path)
        #expect(untrusted != 0)
        #expect(!agent.log.contains(token), "the token must never be logged")
    }
}
