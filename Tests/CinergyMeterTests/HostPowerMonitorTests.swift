import CinergyCore
import CinergyMeter
import Testing

@Suite("Host power monitor: model error and drift")
struct HostPowerMonitorTests {
    static func comparison(at time: Double, measured: Double, predicted: Double) -> HostPowerMonitor.Comparison {
        .init(atUnixSeconds: time, hostLoadPercent: 10, measuredWatts: measured, predictedWatts: predicted)
    }

    @Test("error now and the mean absolute percent error over the window")
    func errors() {
        let monitor = HostPowerMonitor(configuration: .init(windowSeconds: 10, driftThresholdPercent: 15, minimumComparisons: 1))
        monitor.record(Self.comparison(at: 1, measured: 100, predicted: 110), energyJoules: 100)
        monitor.record(Self.comparison(at: 2, measured: 100, predicted: 95), energyJoules: 100)
        let snapshot = monitor.snapshot()
        #expect(snapshot.latest?.errorPercent == -5)
        #expect(snapshot.meanAbsolutePercentError == 7.5)
        #expect(snapshot.energyJoules == 200)
        #expect(!snapshot.drifting)
        // Comparisons older than the window leave it.
        monitor.record(Self.comparison(at: 11.5, measured: 100, predicted: 100), energyJoules: 0)
        #expect(monitor.snapshot().window.map(\.atUnixSeconds) == [2, 11.5])
    }

    @Test("drift is flagged once past the threshold, and cleared once when the error returns")
    func drift() {
        let monitor = HostPowerMonitor(configuration: .init(windowSeconds: 5, driftThresholdPercent: 15, minimumComparisons: 3))
        var changes: [HostPowerMonitor.DriftChange] = []
        var time = 0.0
        func feed(_ predicted: Double, count: Int) {
            for _ in 0..<count {
                time += 1
                if let change = monitor.record(Self.comparison(at: time, measured: 100, predicted: predicted), energyJoules: 100) {
                    changes.append(change)
                }
            }
        }
        feed(104, count: 2)
        #expect(changes.isEmpty, "too few comparisons to judge")
        feed(104, count: 3)
        feed(150, count: 6)
        #expect(monitor.snapshot().drifting)
        feed(101, count: 6)
        #expect(!monitor.snapshot().drifting)
        guard changes.count == 2, case .startedDrifting(let high) = changes[0], case .recovered(let low) = changes[1] else {
            Issue.record("expected one start and one recovery, got \(changes)")
            return
        }
        #expect(high > 15 && low <= 15)
    }

    @Test("a meter error is shown until the next reading; a 0 W reading has no error figure")
    func meterError() {
        let monitor = HostPowerMonitor()
        monitor.setMeter(.init(kind: .rapl, measures: "CPU package power"))
        monitor.setMeterError("energy_uj: permission denied")
        #expect(monitor.snapshot().meterError == "energy_uj: permission denied")
        monitor.record(Self.comparison(at: 1, measured: 0, predicted: 10), energyJoules: 0)
        #expect(monitor.snapshot().meterError == nil)
        #expect(monitor.snapshot().meanAbsolutePercentError == nil)
    }
}

@Suite("Host power monitor: the metered share and the observed ratio")
struct HostPowerMonitorShareTests {
    static func share(attributedDynamic: Double, isolatedDynamic: Double) -> MeteredShare {
        MeteredShare.attribute(
            measuredWatts: 100 + attributedDynamic, idleWatts: 100, hostBusyCPUPercent: 100, serverCores: 4,
            vms: [.init(key: .domain(uuid: "a"), name: "a", uuid: "a", vcpus: 1, cpuUsagePercent: 100, isolatedDynamicWatts: isolatedDynamic)]
        )
    }

    @Test("the observed ratio is attributed over isolated dynamic power, summed over the window; the newest share per VM")
    func observedRatio() {
        let monitor = HostPowerMonitor(configuration: .init(windowSeconds: 10, driftThresholdPercent: 15, minimumComparisons: 1))
        let comparison = { (time: Double) in
            HostPowerMonitor.Comparison(atUnixSeconds: time, hostLoadPercent: 25, measuredWatts: 110, predictedWatts: 110)
        }
        monitor.record(comparison(1), energyJoules: 1, share: Self.share(attributedDynamic: 10, isolatedDynamic: 40))
        monitor.record(comparison(2), energyJoules: 1, share: Self.share(attributedDynamic: 30, isolatedDynamic: 40))
        let snapshot = monitor.snapshot()
        #expect(snapshot.observedRatio.ratio == 0.5)
        #expect(snapshot.observedRatioByVM[.domain(uuid: "a")]?.ratio == 0.5)
        #expect(monitor.attributedShare(of: .domain(uuid: "a"))?.dynamicWatts == 30)
        #expect(monitor.attributedShare(of: .domain(uuid: "b")) == nil)
        // The first reading leaves the window: 30 / 40.
        monitor.record(comparison(11.5), energyJoules: 1, share: Self.share(attributedDynamic: 30, isolatedDynamic: 40))
        #expect(monitor.snapshot().observedRatio.ratio == 0.75)
        #expect(monitor.snapshot().configuredRatio == nil, "no configured ratio given")
    }

    @Test("the configured ratio over the window: a curve taken at each reading's host load, weighed by isolated dynamic power")
    func configuredRatio() {
        // r(h) = 1 − 0.01 h: 0.8 at 20 %, 0.4 at 60 %.
        let curve = CinergyRatio.hostLoadCurve(Polynomial(coefficients: [1, -0.01]))
        let monitor = HostPowerMonitor(configuration: .init(windowSeconds: 10, minimumComparisons: 1, cinergyRatio: curve))
        #expect(monitor.snapshot().configuredRatio == nil, "no reading yet")
        let reading = { (time: Double, load: Double) in
            HostPowerMonitor.Comparison(atUnixSeconds: time, hostLoadPercent: load, measuredWatts: 110, predictedWatts: 110)
        }
        monitor.record(reading(1, 20), energyJoules: 1, share: Self.share(attributedDynamic: 10, isolatedDynamic: 40))
        monitor.record(reading(2, 60), energyJoules: 1, share: Self.share(attributedDynamic: 10, isolatedDynamic: 10))
        // (0.8 × 40 + 0.4 × 10) / 50, beside the observed 20 / 50.
        let snapshot = monitor.snapshot()
        #expect(abs((snapshot.configuredRatio ?? 0) - 0.72) < 1e-12)
        #expect(snapshot.observedRatio.ratio == 0.4)
        // A constant ratio is itself.
        let constant = HostPowerMonitor(configuration: .init(cinergyRatio: .constant(0.75)))
        constant.record(reading(1, 20), energyJoules: 1, share: Self.share(attributedDynamic: 10, isolatedDynamic: 40))
        #expect(constant.snapshot().configuredRatio == 0.75)
    }
}
