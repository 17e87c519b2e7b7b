import CinergySystem
import CinergyTestSupport
import Foundation

/// nginx (Debian package `nginx`) serving fixed bodies as static files on a free loopback port:
/// one process (`master_process off`, one worker's worth), no access log, keep-alive connections,
/// everything under a directory of the benchmark's own. Stopped when the value goes away.
final class Nginx {
    let port: Int
    let child: ChildProcess

    /// Serves `files[path]` at each URL path (query strings are ignored, as they are by a static
    /// file server), with `Content-Type: application/json; charset=utf-8`.
    init(files: [String: [UInt8]], directory: String) throws {
        guard let nginx = Kernel.which("nginx") ?? ["/usr/sbin/nginx"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw TestFailure("nginx is not installed: run `make bench`")
        }
        let root = directory + "/nginx"
        self.root = root
        for subdirectory in ["", "/html", "/tmp", "/logs"] {
            try FileManager.default.createDirectory(atPath: root + subdirectory, withIntermediateDirectories: true)
        }
        var locations = ""
        for (index, (path, body)) in files.sorted(by: { $0.key < $1.key }).enumerated() {
            try Data(body).write(to: URL(fileURLWithPath: "\(root)/html/body\(index).json"))
            locations += "        location = \(path) { try_files /body\(index).json =404; }\n"
        }
        port = Kernel.freeLoopbackPort()
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(root)/nginx.pid;
            error_log \(root)/logs/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                keepalive_timeout 65;
                keepalive_requests 1000000;
                server_tokens off;
                default_type "application/json; charset=utf-8";
                types {}
                client_body_temp_path \(root)/tmp/body;
                proxy_temp_path \(root)/tmp/proxy;
                fastcgi_temp_path \(root)/tmp/fastcgi;
                uwsgi_temp_path \(root)/tmp/uwsgi;
                scgi_temp_path \(root)/tmp/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root)/html;
            \(locations)    }
            }
            """
        try configuration.write(toFile: root + "/nginx.conf", atomically: true, encoding: .utf8)
        child = try ChildProcess(
            "nginx", executable: nginx, arguments: ["-p", root, "-e", root + "/logs/error.log", "-c", root + "/nginx.conf"],
            logFile: root + "/logs/stderr.log"
        )
    }

    private let root: String

    /// nginx's error log and standard error.
    var log: String {
        ["/logs/error.log", "/logs/stderr.log"].map { (try? String(contentsOfFile: root + $0, encoding: .utf8)) ?? "" }.joined()
    }

    /// Waits until nginx answers `path` with 200.
    func waitUntilServing(_ path: String) async throws {
        for _ in 0..<200 {
            if let response = try? HTTPProbe.get(port: port, path: path), response.status == 200 { return }
            guard child.isRunning else { throw TestFailure("nginx exited at start-up: \(log)") }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("nginx did not answer \(path) on port \(port): \(log)")
    }

    deinit {
        child.signal(SIGTERM)
        if child.isRunning {
            let deadline = Date().addingTimeInterval(5)
            while child.isRunning && Date() < deadline { usleep(10_000) }
        }
    }
}
