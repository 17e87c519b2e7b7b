@testable import CinergyCore
import Testing

/// Command lines as QEMU is really started: by libvirt, by hand, by RHEL's qemu-kvm, by Debian's kvm.
struct CommandLineCase: Sendable, CustomTestStringConvertible {
    let label: String
    let arguments: [String]
    let expected: QEMUCommandLine?
    var testDescription: String { label }
}

@Suite("QEMU command lines")
struct QEMUCommandLineTests {
    static let uuid = "f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f"

    static let vms: [CommandLineCase] = [
        CommandLineCase(
            label: "libvirt-style",
            arguments: [
                "/usr/bin/qemu-system-x86_64", "-name", "guest=web-01,debug-threads=on", "-S", "-object",
                "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/lib/libvirt/qemu/domain-1-web-01/master-key.aes\"}",
                "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram", "-accel", "tcg",
                "-cpu", "qemu64", "-m", "64", "-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":67108864}",
                "-overcommit", "mem-lock=off", "-smp", "4,sockets=4,cores=1,threads=1", "-uuid", uuid,
                "-display", "none", "-no-user-config", "-nodefaults", "-chardev", "socket,id=charmonitor,fd=30,server=on,wait=off",
                "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
                "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", "-msg", "timestamp=on",
            ],
            expected: QEMUCommandLine(name: "web-01", uuid: uuid, vcpus: 4)
        ),
        CommandLineCase(
            label: "hand-run with a bare name and process=",
            arguments: ["qemu-system-x86_64", "-enable-kvm", "-m", "2048", "-name", "build box,process=qemu-build", "-smp", "2", "disk.qcow2"],
            expected: QEMUCommandLine(name: "build box", uuid: nil, vcpus: 2)
        ),
        CommandLineCase(
            label: "RHEL/OpenStack qemu-kvm",
            arguments: [
                "/usr/libexec/qemu-kvm", "-name", "guest=instance-0000002a,debug-threads=on", "-smp",
                "8,sockets=8,dies=1,cores=1,threads=1", "-uuid", "A1B2C3D4-0000-4000-8000-00000000002A",
            ],
            expected: QEMUCommandLine(name: "instance-0000002a", uuid: "a1b2c3d4-0000-4000-8000-00000000002a", vcpus: 8)
        ),
        CommandLineCase(
            label: "Debian's kvm wrapper",
            arguments: ["/usr/bin/kvm", "-name", "legacy", "-smp", "cpus=3"],
            expected: QEMUCommandLine(name: "legacy", uuid: nil, vcpus: 3)
        ),
        CommandLineCase(
            label: "doubled commas escape a comma in the name",
            arguments: ["qemu-system-aarch64", "-name", "guest=a,,b,,,,c,debug-threads=on"],
            expected: QEMUCommandLine(name: "a,b,,c", uuid: nil, vcpus: 1)
        ),
        CommandLineCase(
            label: "unicode and spaces in the name",
            arguments: ["qemu-system-x86_64", "-name", "guest=Ünïcødé VM ☃"],
            expected: QEMUCommandLine(name: "Ünïcødé VM ☃", uuid: nil, vcpus: 1)
        ),
        CommandLineCase(
            label: "double-dash options",
            arguments: ["qemu-system-riscv64", "--name", "rv", "--smp", "2", "--uuid", uuid],
            expected: QEMUCommandLine(name: "rv", uuid: uuid, vcpus: 2)
        ),
        CommandLineCase(
            label: "no -name, no -smp",
            arguments: ["qemu-system-x86_64", "-m", "512", "-uuid", uuid],
            expected: QEMUCommandLine(name: nil, uuid: uuid, vcpus: 1)
        ),
        CommandLineCase(
            label: "-smp as a topology product",
            arguments: ["qemu-system-x86_64", "-smp", "sockets=2,cores=4,threads=2"],
            expected: QEMUCommandLine(name: nil, uuid: nil, vcpus: 16)
        ),
        CommandLineCase(
            label: "-smp with maxcpus and no count boots maxcpus",
            arguments: ["qemu-system-x86_64", "-smp", "maxcpus=6,sockets=1,cores=6"],
            expected: QEMUCommandLine(name: nil, uuid: nil, vcpus: 6)
        ),
        CommandLineCase(
            label: "-smp with a count below maxcpus (hot-plug room)",
            arguments: ["qemu-system-x86_64", "-smp", "2,maxcpus=8"],
            expected: QEMUCommandLine(name: nil, uuid: nil, vcpus: 2)
        ),
        CommandLineCase(
            label: "-smp=4 is not QEMU syntax and -name= neither",
            arguments: ["qemu-system-x86_64", "-smp=4", "-name=x"],
            expected: QEMUCommandLine(name: nil, uuid: nil, vcpus: 1)
        ),
        CommandLineCase(
            label: "a malformed -uuid is ignored, a trailing -name without value too",
            arguments: ["qemu-system-x86_64", "-uuid", "not-a-uuid", "-name"],
            expected: QEMUCommandLine(name: nil, uuid: nil, vcpus: 1)
        ),
        CommandLineCase(
            label: "garbage -smp falls back to 1",
            arguments: ["qemu-system-x86_64", "-smp", "lots,cores=zero"],
            expected: QEMUCommandLine(name: nil, uuid: nil, vcpus: 1)
        ),
    ]

    static let notVMs: [CommandLineCase] = [
        ["/usr/sbin/libvirtd", "--timeout", "120"],
        ["/usr/sbin/virtqemud", "--timeout", "120"],
        ["qemu-img", "convert", "-O", "qcow2", "a.raw", "b.qcow2"],
        ["/usr/bin/qemu-nbd", "-c", "/dev/nbd0", "disk.qcow2"],
        ["/usr/bin/qemu-ga", "--method", "virtio-serial"],
        ["/usr/bin/qemu-storage-daemon", "--blockdev", "file"],
        ["/usr/bin/qemu-system-"],
        ["/bin/bash", "-c", "qemu-system-x86_64 -name guest=fake"],
        ["/usr/bin/python3", "/opt/qemu-system-x86_64-monitor.py", "-name", "guest=x"],
        ["/run/libvirt/qemu/driver.pid"],
        ["vim", "qemu-system-x86_64.conf"],
        // libvirt's capability probe: a QEMU that runs no guest.
        [
            "/usr/bin/qemu-system-x86_64", "-S", "-no-user-config", "-nodefaults", "-nographic", "-machine", "none,accel=kvm:tcg",
            "-qmp", "unix:/var/lib/libvirt/qemu/capabilities.monitor.sock,server=on,wait=off", "-pidfile",
            "/var/lib/libvirt/qemu/capabilities.pidfile", "-daemonize",
        ],
        ["qemu-system-aarch64", "-M", "none"],
        ["qemu-system-x86_64", "-machine", "type=none"],
        [],
    ].map { CommandLineCase(label: $0.first ?? "empty", arguments: $0, expected: nil) }

    @Test("VM command lines", arguments: vms)
    func parsesVM(_ testCase: CommandLineCase) {
        #expect(QEMUCommandLine(arguments: testCase.arguments) == testCase.expected)
    }

    @Test("processes that are not VMs", arguments: notVMs)
    func rejectsNonVM(_ testCase: CommandLineCase) {
        #expect(QEMUCommandLine(arguments: testCase.arguments) == nil)
    }

    @Test("option values split at single commas only")
    func splitting() {
        #expect(QEMUCommandLine.splitOptionValue("a,,b,c") == ["a,b", "c"])
        #expect(QEMUCommandLine.splitOptionValue("") == [""])
        #expect(QEMUCommandLine.splitOptionValue("x,") == ["x", ""])
    }
}
