import CinergySystem

/// A source of host power readings: RAPL, hwmon or IPMI.
///
/// `read()` may block (IPMI spawns `ipmitool`, which takes a good fraction of a second): call it
/// from a thread of its own (`SystemThread`), never from Swift's cooperative pool.
public protocol PowerMeter: Sendable {
    /// The kind of meter.
    var kind: MeterKind { get }
    /// What it measures, for people: "CPU package power (RAPL package-0+package-1)".
    var measures: String { get }
    /// Whether readings carry `energyJoules` (true) or `powerWatts` (false).
    var isEnergyCounter: Bool { get }
    /// How often to read it to follow the power: an energy counter needs a read per interval
    /// only, a power sensor is sampled through the interval at this spacing.
    var sampleIntervalSeconds: Double { get }
    /// Takes a reading.
    func read() throws(MeterError) -> MeterReading
}
