import CinergySystem
import CinergyTestSupport
import Foundation

/// `prometheus-libvirt-exporter` (Debian package of the same name) on a free loopback port against
/// `qemu:///system`. Stopped when the value goes away.
final class LibvirtExporter {
    let port: Int
    let child: ChildProcess
    private let logFile: String

    init(directory: String) throws {
        guard let exporter = Kernel.which("prometheus-libvirt-exporter") else {
            throw TestFailure("prometheus-libvirt-exporter is not installed: run `make bench`")
        }
        port = Kernel.freeLoopbackPort()
        logFile = directory + "/libvirt-exporter.log"
        child = try ChildProcess(
            "prometheus-libvirt-exporter", executable: exporter,
            arguments: ["--web.listen-address=127.0.0.1:\(port)", "--libvirt.uri=\(Virsh.uri)"], logFile: logFile
        )
    }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Waits until `/metrics` answers 200.
    func waitUntilServing() async throws {
        for _ in 0..<400 {
            if let response = try? HTTPProbe.get(port: port, path: "/metrics"), response.status == 200 { return }
            guard child.isRunning else { throw TestFailure("prometheus-libvirt-exporter exited at start-up: \(log)") }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("prometheus-libvirt-exporter did not answer on port \(port): \(log)")
    }

    deinit {
        child.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while child.isRunning && Date() < deadline { usleep(10_000) }
    }
}
