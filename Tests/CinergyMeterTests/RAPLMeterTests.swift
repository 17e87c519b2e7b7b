import CinergyMeter
import Foundation
import SystemPackage
import Testing

@Suite("RAPL meter")
struct RAPLMeterTests {
    @Test("package zones are summed; sub-zones and the control type are ignored")
    func packagesSummed() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/powercap/intel-rapl/enabled", "1\n")
        try fixture.addZone("0", name: "package-0", energy: 1_000_000)
        try fixture.addZone("0:0", name: "core", energy: 5_000_000)
        try fixture.addZone("0:1", name: "dram", energy: 7_000_000)
        try fixture.addZone("1", name: "package-1", energy: 2_000_000)
        let meter = try #require(try RAPLMeter.open(sysfsRoot: fixture.root))
        #expect(meter.domains.map(\.name) == ["package-0", "package-1"])
        #expect(meter.measures.contains("CPU package power (RAPL package-0+package-1"))
        #expect(meter.isEnergyCounter)
        #expect(try meter.read().energyJoules == 0)
        try fixture.setEnergy("0", 3_000_000)
        try fixture.setEnergy("1", 2_500_000)
        try fixture.setEnergy("0:0", 90_000_000)
        #expect(try meter.read().energyJoules == 2.5)
    }

    /// On a real host the class directory holds symbolic links into devices/, and each sub-zone is
    /// both a directory inside its package and a link of its own in the class directory.
    @Test("the kernel's layout of symbolic links into devices/virtual/powercap")
    func kernelSymlinks() throws {
        let fixture = try SysfsFixture()
        let device = "devices/virtual/powercap/intel-rapl"
        try fixture.write("\(device)/enabled", "1\n")
        for (zone, name, energy) in [("intel-rapl:0", "package-0", "1000000"), ("intel-rapl:0/intel-rapl:0:0", "core", "400000")] {
            try fixture.write("\(device)/\(zone)/name", name + "\n")
            try fixture.write("\(device)/\(zone)/energy_uj", energy + "\n")
            try fixture.write("\(device)/\(zone)/max_energy_range_uj", "262143328850\n")
        }
        try FileManager.default.createDirectory(atPath: fixture.root + "/class/powercap", withIntermediateDirectories: true)
        for (link, target) in [
            ("intel-rapl", "intel-rapl"), ("intel-rapl:0", "intel-rapl/intel-rapl:0"),
            ("intel-rapl:0:0", "intel-rapl/intel-rapl:0/intel-rapl:0:0"),
        ] {
            try FileManager.default.createSymbolicLink(
                atPath: fixture.root + "/class/powercap/" + link, withDestinationPath: "../../devices/virtual/powercap/" + target
            )
        }
        let meter = try #require(try RAPLMeter.open(sysfsRoot: fixture.root))
        #expect(meter.domains.map(\.name) == ["package-0"])
        _ = try meter.read()
        try fixture.write("\(device)/intel-rapl:0/energy_uj", "4000000\n")
        #expect(try meter.read().energyJoules == 3)
    }

    @Test("psys is preferred to the packages when present")
    func psysPreferred() throws {
        let fixture = try SysfsFixture()
        try fixture.addZone("0", name: "package-0", energy: 10)
        try fixture.addZone("1", name: "psys", energy: 20)
        let meter = try #require(try RAPLMeter.open(sysfsRoot: fixture.root))
        #expect(meter.domains.map(\.name) == ["psys"])
        #expect(meter.measures.hasPrefix("platform power (RAPL psys"))
    }

    @Test("a counter that wraps at max_energy_range_uj is unfolded")
    func wrapAround() throws {
        let fixture = try SysfsFixture()
        try fixture.addZone("0", name: "package-0", energy: 9_000_000, range: 10_000_000)
        let meter = try #require(try RAPLMeter.open(sysfsRoot: fixture.root))
        _ = try meter.read()
        Thread.sleep(forTimeInterval: 0.01)
        try fixture.setEnergy("0", 500_000)  // 1 J to the wrap, then 0.5 J
        #expect(abs(try #require(try meter.read().energyJoules) - 1.5) < 1e-9)
        try fixture.setEnergy("0", 2_500_000)
        #expect(abs(try #require(try meter.read().energyJoules) - 3.5) < 1e-9)
        #expect(RAPLMeter.delta(from: 9, to: 2, range: 10) == 3)
        #expect(RAPLMeter.delta(from: 2, to: 9, range: 10) == 7)
    }

    @Test("a jump no CPU could draw is an error naming the zone")
    func implausibleJump() throws {
        let fixture = try SysfsFixture()
        try fixture.addZone("0", name: "package-0", energy: 0)
        let meter = try #require(try RAPLMeter.open(sysfsRoot: fixture.root))
        _ = try meter.read()
        try fixture.setEnergy("0", 200_000_000_000)  // 200 kJ at once
        #expect {
            try meter.read()
        } throws: { error in
            guard case .implausible(let name, _) = error as? MeterError else { return false }
            return name.contains("RAPL package-0") && name.contains("energy_uj")
        }
    }

    @Test("no zone: nil; a zone without energy_uj or with another name is not used")
    func noZones() throws {
        let fixture = try SysfsFixture()
        #expect(try RAPLMeter.open(sysfsRoot: fixture.root) == nil)
        try fixture.write("class/powercap/intel-rapl:0/name", "package-0\n")
        try fixture.write("class/powercap/intel-rapl-mmio:0/name", "package-0\n")
        try fixture.write("class/powercap/intel-rapl:0:0/name", "core\n")
        #expect(try RAPLMeter.open(sysfsRoot: fixture.root) == nil)
    }

    @Test("EACCES and EPERM read as permission denied, with the root-only hint for energy_uj")
    func permissionMapping() {
        let error = MeterError(readingFailure: .permissionDenied, path: "/sys/x/energy_uj", permissionHint: "root only")
        #expect(error == .permissionDenied(path: "/sys/x/energy_uj", hint: "root only"))
        #expect(MeterError(readingFailure: .notPermitted, path: "p") == .permissionDenied(path: "p", hint: ""))
        #expect(MeterError(readingFailure: .noSuchFileOrDirectory, path: "p") != .permissionDenied(path: "p", hint: ""))
        #expect(error.description.contains("permission denied reading /sys/x/energy_uj: root only"))
    }

    /// Root reads a mode-000 file anyway, so this one runs as another user only; as root the
    /// end-to-end test drops to `nobody` with setpriv to exercise the same path.
    @Test("energy_uj readable by root only: permission denied, saying so", .enabled(if: getuid() != 0))
    func permissionDenied() throws {
        let fixture = try SysfsFixture()
        try fixture.addZone("0", name: "package-0", energy: 1)
        chmod(fixture.root + "/class/powercap/intel-rapl:0/energy_uj", 0)
        let meter = try #require(try RAPLMeter.open(sysfsRoot: fixture.root))
        #expect {
            try meter.read()
        } throws: { error in
            guard case .permissionDenied(_, let hint) = error as? MeterError else { return false }
            return hint.contains("root")
        }
    }
}
