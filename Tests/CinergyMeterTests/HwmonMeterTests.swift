import CinergyMeter
import Foundation
import Testing

@Suite("hwmon meter")
struct HwmonMeterTests {
    @Test("power1_average in microwatts, from the first device that has a power sensor")
    func powerAverage() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/hwmon/hwmon0/name", "coretemp\n")
        try fixture.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        try fixture.write("class/hwmon/hwmon2/name", "power_meter\n")
        try fixture.write("class/hwmon/hwmon2/power1_average", "187500000\n")
        try fixture.write("class/hwmon/hwmon2/power1_input", "1\n")
        try fixture.write("class/hwmon/hwmon10/name", "other\n")
        try fixture.write("class/hwmon/hwmon10/power1_input", "1\n")
        let meter = try #require(HwmonMeter.open(sysfsRoot: fixture.root))
        #expect(meter.attribute == "power1_average")
        #expect(meter.driverName == "power_meter")
        #expect(meter.measures.contains("BMC") && meter.measures.contains("hwmon2 power1_average"))
        #expect(!meter.isEnergyCounter)
        #expect(try meter.read().powerWatts == 187.5)
    }

    @Test("power1_input when there is no power1_average; a graphics card is skipped")
    func powerInput() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/hwmon/hwmon0/name", "amdgpu\n")
        try fixture.write("class/hwmon/hwmon0/power1_average", "30000000\n")
        try fixture.write("class/hwmon/hwmon1/name", "acpi_power\n")
        try fixture.write("class/hwmon/hwmon1/power1_input", "95250000\n")
        let meter = try #require(HwmonMeter.open(sysfsRoot: fixture.root))
        #expect(meter.attribute == "power1_input")
        #expect(try meter.read().powerWatts == 95.25)
    }

    @Test("energy1_input in microjoules is an energy counter")
    func energyInput() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/hwmon/hwmon3/name", "energy\n")
        try fixture.write("class/hwmon/hwmon3/energy1_input", "5000000\n")
        let meter = try #require(HwmonMeter.open(sysfsRoot: fixture.root))
        #expect(meter.isEnergyCounter)
        #expect(try meter.read().energyJoules == 0)
        try fixture.write("class/hwmon/hwmon3/energy1_input", "7500000\n")
        #expect(try meter.read().energyJoules == 2.5)
    }

    @Test("attributes in the device directory of older drivers are found")
    func deviceDirectory() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/hwmon/hwmon0/device/power1_average", "1000000\n")
        let meter = try #require(HwmonMeter.open(sysfsRoot: fixture.root))
        #expect(try meter.read().powerWatts == 1)
    }

    @Test("a sensor file that is not a number is an error naming it")
    func badValue() throws {
        let fixture = try SysfsFixture()
        try fixture.write("class/hwmon/hwmon0/power1_average", "n/a\n")
        let meter = try #require(HwmonMeter.open(sysfsRoot: fixture.root))
        #expect {
            try meter.read()
        } throws: { error in
            (error as? MeterError)?.description.contains("power1_average") == true
        }
        #expect(HwmonMeter.open(sysfsRoot: fixture.root + "/missing") == nil)
    }
}
