import CinergySystem
import Foundation

/// The real libvirtd on `qemu:///system`, driven with `virsh` as an operator would.
public enum Virsh {
    public static let uri = "qemu:///system"

    /// Runs `virsh -c qemu:///system ARGS`; returns its exit status and output.
    @discardableResult
    public static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-virsh-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        guard let virsh = Kernel.which("virsh") else { throw TestFailure("virsh is not installed: run `make test`") }
        let child = try ChildProcess("virsh", executable: virsh, arguments: ["-c", uri] + arguments, logFile: log)
        guard let status = await child.waitForExit(seconds: 120) else { throw TestFailure("virsh \(arguments) hung") }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Like `run`, but a non-zero status is an error.
    @discardableResult
    public static func check(_ arguments: [String]) async throws -> String {
        let (status, output) = try await run(arguments)
        guard status == 0 else { throw TestFailure("virsh \(arguments.joined(separator: " ")) failed (\(status)): \(output)") }
        return output
    }

    /// Names of the running domains that start with `prefix`.
    public static func runningDomains(prefix: String) async throws -> Set<String> {
        let output = try await check(["list", "--name"])
        return Set(output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix(prefix) })
    }

    /// libvirt's own `cpu.time` of a domain, in nanoseconds.
    public static func cpuTimeNanoseconds(_ name: String) async throws -> Double {
        let output = try await check(["domstats", name, "--cpu-total"])
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("cpu.time="), let value = Double(trimmed.dropFirst("cpu.time=".count)) { return value }
        }
        throw TestFailure("no cpu.time for \(name) in: \(output)")
    }

    /// Is libvirtd answering?
    public static func isUp() async -> Bool {
        (try? await run(["version"]))?.status == 0
    }
}

/// A tiny transient libvirt domain: `<domain type='qemu'>` (TCG), 32 MiB, booting a floppy whose
/// boot sector spins (`jmp $`, one host core busy) or halts (idle).
public struct TestDomain: Sendable {
    public let name: String
    public let uuid: String
    public let vcpus: Int
    public let maximumVcpus: Int
    public let spinning: Bool
    /// Elements for the domain's `<metadata>`, such as Nova's `<nova:instance>`.
    public let metadata: String?

    public init(name: String, vcpus: Int = 1, maximumVcpus: Int? = nil, spinning: Bool = true, metadata: String? = nil) {
        self.name = name
        self.uuid = UUID().uuidString.lowercased()
        self.vcpus = vcpus
        self.maximumVcpus = maximumVcpus ?? vcpus
        self.spinning = spinning
        self.metadata = metadata
    }

    /// Writes the boot image and the XML into `directory`, then `virsh create`s the domain.
    public func create(in directory: String) async throws {
        var sector = [UInt8](repeating: 0, count: 512)
        let code: [UInt8] = spinning ? [0xEB, 0xFE] : [0xF4, 0xEB, 0xFD]
        sector.replaceSubrange(0..<code.count, with: code)
        sector[510] = 0x55
        sector[511] = 0xAA
        let image = "\(directory)/\(name).img"
        try Data(sector).write(to: URL(fileURLWithPath: image))
        let xml = """
            <domain type='qemu'>
              <name>\(name)</name>
              <uuid>\(uuid)</uuid>
              \(metadata.map { "<metadata>\($0)</metadata>" } ?? "")
              <memory unit='MiB'>32</memory>
              <vcpu placement='static' current='\(vcpus)'>\(maximumVcpus)</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='fd'/></os>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='file' device='floppy'>
                  <driver name='qemu' type='raw'/><source file='\(image)'/><target dev='fda' bus='fdc'/>
                </disk>
                <controller type='usb' model='none'/>
                <memballoon model='none'/>
              </devices>
            </domain>
            """
        let xmlPath = "\(directory)/\(name).xml"
        try xml.write(toFile: xmlPath, atomically: true, encoding: .utf8)
        try await Virsh.check(["create", xmlPath])
    }

    /// Destroys the domain if it still runs (transient domains then vanish).
    public func destroy() async {
        _ = try? await Virsh.run(["destroy", name])
    }
}

/// Domains a test created, destroyed when the test ends however it ends.
public final class DomainJanitor: @unchecked Sendable {
    private var names: [(name: String, undefine: Bool)] = []
    private let lock = NSLock()

    public init() {}

    public func track(_ domain: TestDomain) {
        track(name: domain.name)
    }

    /// Destroys the domain `name` at the end, and with `undefine` removes its persistent
    /// definition too.
    public func track(name: String, undefine: Bool = false) {
        lock.lock()
        names.append((name, undefine))
        lock.unlock()
    }

    deinit {
        // Synchronous on purpose: runs even when the test threw.
        for (name, undefine) in names {
            for command in undefine ? ["destroy", "undefine"] : ["destroy"] {
                guard let virsh = Kernel.which("virsh"),
                    let child = try? ChildProcess("virsh", executable: virsh, arguments: ["-c", Virsh.uri, command, name])
                else { continue }
                child.waitUntilExit()
            }
        }
    }
}
