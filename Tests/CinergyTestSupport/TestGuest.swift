import Foundation

/// A small real Linux guest on the real libvirtd, for the guest channel's tests: Debian's cloud
/// kernel and a busybox initramfs (built by `scripts/test-guest`, see ``TestGuestImage``), booted
/// by libvirt's direct kernel boot under TCG (1 vCPU, 160 MiB, no disk). Its init copies every line
/// it reads from the port `org.cinergy.power.0` to its serial console, a file the test reads
/// (``lines()``), as `cinergy-line: LINE`.
public struct TestGuest: Sendable {
    /// What the guest's init does with the port (the kernel command line's `cinergy.mode=`).
    public enum Mode: String, Sendable {
        /// Reads the port line by line and prints each line on the console.
        case read
        /// Never opens the port: a guest that does not read.
        case ignore
        /// Opens the port, never reads it, and writes zeros into it without end: a hostile guest.
        case flood
    }

    /// What the domain's XML carries for the channel.
    public enum Channel: Sendable {
        /// `<channel type='unix'><source mode='bind'/><target type='virtio' name='org.cinergy.power.0'/></channel>`.
        case declared
        /// No channel, but a virtio-serial controller to hot-plug one into.
        case controllerOnly
    }

    public let name: String
    public let uuid: String
    public let mode: Mode
    public let channel: Channel
    /// Where the kernel, initramfs, XML and console file of this guest go.
    public let directory: String

    /// The serial console's file.
    public var consolePath: String { "\(directory)/\(name).console" }

    public init(name: String, mode: Mode = .read, channel: Channel = .declared, directory: String) {
        self.name = name
        self.uuid = UUID().uuidString.lowercased()
        self.mode = mode
        self.channel = channel
        self.directory = directory
    }

    /// The domain's XML. The kernel and initramfs are this guest's own copies (libvirt relabels
    /// them for QEMU while the domain runs).
    public func xml() -> String {
        let channelXML: String
        switch channel {
        case .declared:
            channelXML = "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.cinergy.power.0'/></channel>"
        case .controllerOnly:
            channelXML = "<controller type='virtio-serial'/>"
        }
        return """
            <domain type='qemu'>
              <name>\(name)</name>
              <uuid>\(uuid)</uuid>
              <memory unit='MiB'>160</memory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <kernel>\(directory)/\(name).vmlinuz</kernel>
                <initrd>\(directory)/\(name).initrd.gz</initrd>
                <cmdline>console=ttyS0 quiet rdinit=/init cinergy.mode=\(mode.rawValue)</cmdline>
              </os>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <serial type='file'><source path='\(consolePath)'/><target port='0'/></serial>
                \(channelXML)
                <controller type='usb' model='none'/>
                <memballoon model='none'/>
              </devices>
            </domain>
            """
    }

    /// Copies the guest image into `directory`, writes the XML and `virsh create`s the domain
    /// (transient: it vanishes once destroyed). With `persistent`, `virsh define` then `virsh
    /// start` instead (undefine it afterwards: ``DomainJanitor/track(name:undefine:)``).
    public func create(persistent: Bool = false) async throws {
        let image = try await TestGuestImage.prepare()
        let files = FileManager.default
        for (source, target) in [(image.kernel, "\(directory)/\(name).vmlinuz"), (image.initrd, "\(directory)/\(name).initrd.gz")] {
            try? files.removeItem(atPath: target)
            try files.copyItem(atPath: source, toPath: target)
        }
        let xmlPath = "\(directory)/\(name).xml"
        try xml().write(toFile: xmlPath, atomically: true, encoding: .utf8)
        if persistent {
            try await Virsh.check(["define", xmlPath])
            try await Virsh.check(["start", name])
        } else {
            try await Virsh.check(["create", xmlPath])
        }
    }

    /// The console so far, carriage returns removed.
    public var console: String {
        (Kernel.readProcFile(consolePath) ?? "").replacingOccurrences(of: "\r", with: "")
    }

    /// Whether the guest's init has loaded the virtio modules and started on the port.
    public var isReady: Bool {
        console.contains("cinergy-guest: ready")
    }

    /// The lines the guest read from its port so far, in order (complete console lines only: the
    /// guest may be printing the last one).
    public func lines() -> [String] {
        var complete = console.split(separator: "\n", omittingEmptySubsequences: false)
        complete.removeLast()
        return complete.compactMap { line in
            guard let start = line.range(of: "cinergy-line: ") else { return nil }
            return String(line[start.upperBound...])
        }
    }

    /// The lines read so far, decoded as JSON objects (a line that is not one is left out).
    public func objects() -> [[String: Any]] {
        lines().compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}

/// The guest image: `scripts/test-guest` builds it into `.build/test-guest` of this checkout
/// (`CINERGY_TEST_GUEST_DIR` names another directory) the first time a test needs it; it then
/// stays there for later runs.
public enum TestGuestImage {
    /// The directory the kernel and the initramfs are built into.
    public static var directory: String {
        if let path = ProcessInfo.processInfo.environment["CINERGY_TEST_GUEST_DIR"] { return path }
        return packageRoot + "/.build/test-guest"
    }

    /// The checkout these tests belong to.
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
    }

    /// Builds the image unless it is there (once per test process), and returns its files.
    public static func prepare() async throws -> (kernel: String, initrd: String) {
        try await preparation.run()
    }

    private static let preparation = Preparation()

    private actor Preparation {
        var done = false

        func run() async throws -> (kernel: String, initrd: String) {
            let directory = TestGuestImage.directory
            if !done {
                let (status, output) = try await Command.run(
                    TestGuestImage.packageRoot + "/scripts/test-guest", [directory], seconds: 900)
                guard status == 0 else { throw TestFailure("scripts/test-guest \(directory) failed (\(status)):\n\(output)") }
                done = true
            }
            return ("\(directory)/vmlinuz", "\(directory)/initrd.gz")
        }
    }
}
