import CinergyCore
import CinergyLedger
import Foundation
import Logging
import SystemPackage

/// A fresh directory under /tmp for one test, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "cinergy-ledger-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var filePath: FilePath { FilePath(path) }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A clock a test sets by hand.
final class ManualClock: Sendable {
    private let value: Mutex<Double>
    init(_ start: Double) { value = Mutex(start) }
    var now: Double { value.withLock { $0 } }
    func set(_ seconds: Double) { value.withLock { $0 = seconds } }
    func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
}

import Synchronization

enum Fixtures {
    /// 1 W at any usage, 100 g/kWh: 1 J per second of sample, 1/36,000 g per joule.
    static let accounting = EnergyAccounting(
        power: PowerModel(polynomial: Polynomial(coefficients: [1]), cinergyRatio: 1, serverCores: 1, input: .vmPercent),
        carbon: CarbonModel(pue: 1, emissionFactorGramsPerKilowattHour: 100)
    )

    static func vm(_ name: String, pid: Int32, uuid: String? = nil, start: UInt64 = 1) -> VMIdentity {
        VMIdentity(name: name, uuid: uuid, process: ProcessIdentity(pid: pid, startTimeTicks: start), vcpus: 1, source: .procfs)
    }

    /// Records one sample of `seconds` for every VM in `registry`, at `atUnixSeconds` (with the
    /// processes' cumulative CPU ticks when given, as the agent's sampler does).
    static func sample(_ registry: VMRegistry, seconds: Double, atUnixSeconds: Double, cpuUsagePercent: Double = 50, cpuTicks: UInt64? = nil) {
        let samples = registry.versionedProcesses().processes.map {
            ($0, UsageSample(cpuUsagePercent: cpuUsagePercent, sampledAtUnixSeconds: atUnixSeconds, intervalSeconds: seconds, cpuTicks: cpuTicks))
        }
        registry.record(samples, statistics: RoundStatistics(finishedAtUnixSeconds: atUnixSeconds, durationSeconds: 0, vmCount: samples.count))
    }

    static let logger = Logger(label: "test")
}
