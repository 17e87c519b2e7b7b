import CinergyMeter
import CinergySystem
import Foundation
import Testing

@Suite("Meter discovery")
struct MeterDiscoveryTests {
    @Test("auto takes RAPL before hwmon")
    func autoOrder() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/hwmon/hwmon0/power1_average", "1000000\n")
        #expect(try MeterDiscovery.open(.auto, sysfsRoot: fixture.root)?.kind == .hwmon)
        try fixture.addZone("0", name: "package-0", energy: 1)
        #expect(try MeterDiscovery.open(.auto, sysfsRoot: fixture.root)?.kind == .rapl)
        #expect(try MeterDiscovery.open(.hwmon, sysfsRoot: fixture.root)?.kind == .hwmon)
        #expect(try MeterDiscovery.open(.none, sysfsRoot: fixture.root) == nil)
    }

    @Test("none found: the error lists what was looked for")
    func notFound() throws {
        let fixture = try SysfsFixture()
        #expect {
            try MeterDiscovery.open(.rapl, sysfsRoot: fixture.root)
        } throws: { error in
            guard case .notFound(let looked) = error as? MeterError else { return false }
            return looked.count == 1 && looked[0].contains(fixture.root + "/class/powercap")
        }
    }

    /// auto also looks for ipmitool on PATH; on a machine that has one, auto would find it.
    @Test(
        "none found by auto: the error lists sysfs and ipmitool",
        .enabled(if: SpawnedProcess.which("ipmitool") == nil, "ipmitool is on PATH: auto would open it")
    )
    func autoNotFound() throws {
        let fixture = try SysfsFixture()
        #expect {
            try MeterDiscovery.open(.auto, sysfsRoot: fixture.root)
        } throws: { error in
            guard case .notFound(let looked) = error as? MeterError else { return false }
            let text = (error as? MeterError)?.description ?? ""
            return looked.count == 3 && text.contains("class/hwmon") && text.contains("ipmitool")
        }
    }
}
