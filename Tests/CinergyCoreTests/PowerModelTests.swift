import CinergyCore
import Testing

@Suite("Power and carbon model")
struct PowerModelTests {
    @Test("Horner evaluation of f", arguments: [
        ([1.0, 2.0, 3.0], 0.0, 1.0),
        ([1.0, 2.0, 3.0], 2.0, 17.0),
        ([5.0], 123.0, 5.0),
        ([0.0, 0.0, 0.0, 1.0], -2.0, -8.0),
    ])
    func polynomial(coefficients: [Double], x: Double, expected: Double) {
        #expect(Polynomial(coefficients: coefficients)(x) == expected)
    }

    /// The seed README's example: 4 of 16 cores, 1.5 % usage, ratio 0.75 → 2.5 W + 11.25 W.
    @Test("the seed README's example numbers")
    func seedExample() {
        let model = PowerModel(polynomial: Polynomial(coefficients: [10, 10]), cinergyRatio: 0.75, serverCores: 16)
        let estimate = model.estimate(cpuUsagePercent: 1.5, vmCores: 4)
        #expect(estimate.staticWatts == 2.5)
        #expect(estimate.dynamicWatts == 11.25)
        #expect(estimate.totalWatts == 13.75)
        let carbon = CarbonModel(pue: 1.3, emissionFactorGramsPerKilowattHour: 50)
        #expect(abs(carbon.gramsPerHour(powerWatts: estimate.totalWatts) - 0.89375) < 1e-12)
    }

    @Test("static power is the VM's share of f(0); idle VMs draw no dynamic power")
    func staticShare() {
        let model = PowerModel(polynomial: Polynomial(coefficients: [100, 1, 0.01]), cinergyRatio: 0.5, serverCores: 8)
        let idle = model.estimate(cpuUsagePercent: 0, vmCores: 2)
        #expect(idle.staticWatts == 25)
        #expect(idle.dynamicWatts == 0)
        let busy = model.estimate(cpuUsagePercent: 100, vmCores: 2)
        #expect(busy.dynamicWatts == (100 + 100 + 0.01 * 100 * 100 - 100) * 0.5)
    }

    @Test("host_percent evaluates f at the VM's share of the whole host")
    func hostPercentInput() {
        let model = PowerModel(
            polynomial: Polynomial(coefficients: [10, 2]), cinergyRatio: 1, serverCores: 4, input: .hostPercent
        )
        #expect(model.modelInput(cpuUsagePercent: 200) == 50)
        #expect(model.estimate(cpuUsagePercent: 200, vmCores: 1).dynamicWatts == 100)
        let vmPercent = PowerModel(polynomial: Polynomial(coefficients: [10, 2]), cinergyRatio: 1, serverCores: 4)
        #expect(vmPercent.estimate(cpuUsagePercent: 200, vmCores: 1).dynamicWatts == 400)
    }

    @Test("carbon g/h = W / 1000 × PUE × gCO2eq/kWh", arguments: [
        (1000.0, 1.0, 100.0, 100.0),
        (13.75, 1.3, 50.0, 0.89375),
        (0.0, 2.0, 400.0, 0.0),
        (250.0, 1.5, 0.0, 0.0),
    ])
    func carbon(watts: Double, pue: Double, factor: Double, expected: Double) {
        let model = CarbonModel(pue: pue, emissionFactorGramsPerKilowattHour: factor)
        #expect(abs(model.gramsPerHour(powerWatts: watts) - expected) < 1e-12)
    }
}
