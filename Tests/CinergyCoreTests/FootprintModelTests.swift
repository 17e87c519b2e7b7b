import CinergyCore
import Testing

/// Static shares that never exceed the host, and embodied carbon per VM (issue 19).
@Suite("Static shares and embodied carbon")
struct FootprintModelTests {
    static let curve = PowerCurve(polynomial: Polynomial(coefficients: [100, 1]))

    @Test("the seed's share is vm_cores / server_cores, whatever runs; running_vcpus divides by the larger of the two")
    func shares() {
        #expect(StaticShare.serverCores.share(vmCores: 4, serverCores: 8, runningVCPUs: 32) == 0.5)
        #expect(StaticShare.runningVCPUs.share(vmCores: 4, serverCores: 8, runningVCPUs: 32) == 0.125)
        // Fewer vCPUs than CPUs: the seed's share.
        #expect(StaticShare.runningVCPUs.share(vmCores: 4, serverCores: 8, runningVCPUs: 6) == 0.5)
        // Unknown total: the VM's own vCPUs at least.
        #expect(StaticShare.runningVCPUs.share(vmCores: 16, serverCores: 8, runningVCPUs: nil) == 1)
    }

    @Test("with running_vcpus the static powers of an overcommitted host add up to f(0), not more")
    func staticPowersSum() {
        let vcpus = [4, 4, 8, 16]  // 32 vCPUs on 8 CPUs
        for (share, expected) in [(StaticShare.serverCores, 400.0), (.runningVCPUs, 100.0)] {
            let model = PowerModel(curve: Self.curve, ratio: .constant(1), serverCores: 8, staticShare: share)
            let sum = vcpus.reduce(0.0) { $0 + model.estimate(cpuUsagePercent: 0, vmCores: $1, runningVCPUs: 32).staticWatts }
            #expect(abs(sum - expected) < 1e-9, "\(share): \(sum) W")
        }
    }

    @Test("embodied rate: TE / EL x share")
    func embodiedRate() {
        // 876.6 kg over 1 year of 365.25 days: 100 g/h for the whole host.
        let model = EmbodiedModel(embodiedKilograms: 876.6, lifetimeYears: 1)
        #expect(abs(model.hostGramsPerHour - 100) < 1e-9)
        #expect(abs(model.gramsPerHour(share: 0.25) - 25) < 1e-9)
        #expect(abs(model.grams(share: 0.25, seconds: 7200) - 50) < 1e-9)
        #expect(model.grams(share: 1, seconds: -5) == 0)
    }

    @Test("the registry accrues embodied grams per VM by its share while it is in the registry, paused too, and keeps them across a restart of the VM")
    func registryAccrues() {
        let power = PowerModel(curve: Self.curve, ratio: .constant(1), serverCores: 4, staticShare: .runningVCPUs)
        let accounting = EnergyAccounting(
            power: power, carbon: CarbonModel(pue: 1, emissionFactorGramsPerKilowattHour: 0),
            embodied: EmbodiedModel(embodiedKilograms: 876.6, lifetimeYears: 1)  // 100 g/h for the host
        )
        let registry = VMRegistry(accounting: accounting)
        let a = VMIdentity(name: "a", uuid: "ua", process: ProcessIdentity(pid: 1, startTimeTicks: 1), vcpus: 2, source: .libvirt)
        var b = VMIdentity(name: "b", uuid: "ub", process: ProcessIdentity(pid: 2, startTimeTicks: 1), vcpus: 6, source: .libvirt)
        b.state = .paused
        registry.upsert(a, nowUnixSeconds: 0)
        registry.upsert(b, nowUnixSeconds: 0)
        #expect(registry.runningVCPUs == 8)
        // One hour in 3600 rounds of 1 s: a has 2/8 of the host, b 6/8.
        for second in 1...3600 {
            let sample = UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: Double(second), intervalSeconds: 1)
            registry.record(
                [(a.process!, sample), (b.process!, sample)],
                statistics: RoundStatistics(finishedAtUnixSeconds: Double(second), durationSeconds: 0, vmCount: 2)
            )
        }
        let records = Dictionary(uniqueKeysWithValues: registry.records().map { ($0.name, $0) })
        #expect(abs((records["a"]?.embodiedGrams ?? 0) - 25) < 1e-6)
        #expect(abs((records["b"]?.embodiedGrams ?? 0) - 75) < 1e-6)
        // Static energy: 100 W x 2/8 for an hour = 90 kJ, plus a's dynamic 50 W x 1 h.
        #expect(abs((records["a"]?.energyJoules ?? 0) - (25 * 3600 + 50 * 3600)) < 1e-3)
        // a stops: its embodied count stays under its key, with the project last seen.
        registry.remove(key: a.key)
        let totals = registry.totals().first { $0.ledgerKey == "ua" }
        #expect(totals?.identity == nil)
        #expect(abs((totals?.embodiedGrams ?? 0) - 25) < 1e-6)
        registry.upsert(VMIdentity(name: "a", uuid: "ua", process: ProcessIdentity(pid: 3, startTimeTicks: 9), vcpus: 2, source: .libvirt), nowUnixSeconds: 4000)
        guard case .found(let again) = registry.lookup("a") else { Issue.record("a not found"); return }
        #expect(abs(again.embodiedGrams - 25) < 1e-6)
    }

    @Test("without embodied emissions nothing accrues")
    func notAccounted() {
        let accounting = EnergyAccounting(power: PowerModel(curve: Self.curve, ratio: .constant(1), serverCores: 4), carbon: CarbonModel(pue: 1, emissionFactorGramsPerKilowattHour: 0))
        #expect(accounting.embodiedGrams(vmCores: 2, seconds: 10) == nil)
    }
}
