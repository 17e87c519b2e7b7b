import CinergyCore
import Testing

/// The model as it is fitted: its range, the straight continuation beyond it, never negative
/// dynamic power, and the load-aware cinergy ratio. The worked example is the cinergy paper's
/// model for its Xeon E5-2620 v4 host, fitted on host loads up to 37.5 %.
@Suite("Power model: fitted range and load-aware ratio")
struct PowerCurveTests {
    static let paper = Polynomial(coefficients: [11.24, 6.380, -0.3478, 0.009527, -0.0000982])
    static let paperRatio = Polynomial(coefficients: [0.6313, -0.01923, 2.558e-4, -1.19e-6])

    static func paperModel(inputMax: Double? = 37.5, ratio: CinergyRatio = .constant(1)) -> PowerModel {
        PowerModel(curve: PowerCurve(polynomial: paper, inputMax: inputMax), ratio: ratio, serverCores: 16, input: .hostPercent)
    }

    @Test("without MODEL_INPUT_MAX the paper's polynomial is used as it is, and goes negative")
    func unbounded() {
        let model = Self.paperModel(inputMax: nil)
        // A VM using half the host: f(50) − f(0) = +26.6 W; 60 %: f would be 84 W below idle.
        #expect(abs(model.estimate(cpuUsagePercent: 50 * 16, vmCores: 16).dynamicWatts - 26.625) < 1e-9)
        #expect(Self.paper(60) - Self.paper(0) < -84)
        #expect(model.estimate(cpuUsagePercent: 60 * 16, vmCores: 16).dynamicWatts == 0, "dynamic power is never negative")
        #expect(model.estimate(cpuUsagePercent: 60 * 16, vmCores: 16).extrapolated == false)
    }

    @Test("beyond 37.5 % f continues as a straight line with the fitted range's mean slope", arguments: [40.0, 50, 60, 75, 100])
    func continuation(hostPercent: Double) {
        let curve = PowerCurve(polynomial: Self.paper, inputMax: 37.5)
        let slope = (Self.paper(37.5) - Self.paper(0)) / 37.5
        #expect(abs(curve.continuationSlope - slope) < 1e-12)
        let (watts, extrapolated) = curve.evaluate(hostPercent)
        #expect(abs(watts - (Self.paper(37.5) + slope * (hostPercent - 37.5))) < 1e-9)
        #expect(extrapolated)
        let estimate = Self.paperModel().estimate(cpuUsagePercent: hostPercent * 16, vmCores: 4)
        #expect(estimate.extrapolated)
        #expect(abs(estimate.dynamicWatts - (watts - Self.paper(0))) < 1e-9)
    }

    @Test("no negative figure anywhere, continuous at the range's end, never decreasing past it")
    func noNegativeFigure() {
        let model = Self.paperModel()
        var previousBeyond = -Double.infinity
        for step in 0...1000 {
            let hostPercent = Double(step) / 10
            let estimate = model.estimate(cpuUsagePercent: hostPercent * 16, vmCores: 4)
            #expect(estimate.staticWatts >= 0 && estimate.dynamicWatts >= 0 && estimate.totalWatts >= 0)
            #expect(estimate.extrapolated == (hostPercent > 37.5))
            if hostPercent >= 37.5 {
                #expect(estimate.totalWatts >= previousBeyond)
                previousBeyond = estimate.totalWatts
            }
        }
        let curve = model.curve
        #expect(abs(curve.evaluate(37.5).watts - curve.evaluate(37.5 + 1e-9).watts) < 1e-6, "continuous at the range's end")
        #expect(!curve.evaluate(37.5).extrapolated)
    }

    @Test("a model whose range's mean slope is negative continues flat, never down")
    func flatContinuation() {
        let falling = PowerCurve(polynomial: Polynomial(coefficients: [100, -1]), inputMax: 10)
        #expect(falling.continuationSlope == 0)
        #expect(falling.evaluate(50).watts == 90)
    }

    @Test("problems inside the fitted range: where f decreases and where it turns negative")
    func problems() {
        // The paper's curve turns down at 36.3 %, inside its fitted range.
        let problems = PowerCurve(polynomial: Self.paper, inputMax: 37.5).problems(reach: 100)
        #expect(problems.count == 1)
        guard case .decreasing(let from)? = problems.first else {
            Issue.record("expected a decreasing problem, got \(problems)")
            return
        }
        #expect(abs(from - 36.31) < 0.05)
        // Without a range, the whole reach is checked: negative from 54.7 %.
        let unbounded = PowerCurve(polynomial: Self.paper).problems(reach: 100)
        #expect(unbounded.contains { if case .negative(let x) = $0 { abs(x - 54.67) < 0.1 } else { false } })
        #expect(PowerCurve(polynomial: Polynomial(coefficients: [50, 0.5, 0.001])).problems(reach: 1600).isEmpty)
    }

    @Test("the paper's ratio curve falls from 0.63 idle to 0.16 at half load, clamped to 0…1")
    func ratioCurve() {
        let ratio = CinergyRatio.hostLoadCurve(Self.paperRatio)
        #expect(abs(ratio.value(hostLoadPercent: 0) - 0.6313) < 1e-12)
        #expect(abs(ratio.value(hostLoadPercent: 50) - 0.16055) < 1e-9)
        #expect(ratio.value(hostLoadPercent: nil) == ratio.value(hostLoadPercent: 0))
        #expect(CinergyRatio.hostLoadCurve(Polynomial(coefficients: [2])).value(hostLoadPercent: 10) == 1)
        #expect(CinergyRatio.hostLoadCurve(Polynomial(coefficients: [0, -1])).value(hostLoadPercent: 10) == 0)
        #expect(CinergyRatio.constant(0.75).value(hostLoadPercent: 99) == 0.75)
        let model = Self.paperModel(ratio: ratio)
        let estimate = model.estimate(cpuUsagePercent: 100, vmCores: 1, hostLoadPercent: 50)
        #expect(estimate.cinergyRatio == ratio.value(hostLoadPercent: 50))
        #expect(abs(estimate.dynamicWatts - (Self.paper(100.0 / 16) - Self.paper(0)) * estimate.cinergyRatio) < 1e-9)
    }

    @Test("energy integrates with the ratio in force at each sample")
    func energyWithRatio() {
        let accounting = EnergyAccounting(
            power: Self.paperModel(ratio: .hostLoadCurve(Self.paperRatio)),
            carbon: CarbonModel(pue: 1, emissionFactorGramsPerKilowattHour: 1000)
        )
        let idleHost = accounting.increments(cpuUsagePercent: 100, vmCores: 1, seconds: 1, hostLoadPercent: 0)
        let busyHost = accounting.increments(cpuUsagePercent: 100, vmCores: 1, seconds: 1, hostLoadPercent: 50)
        #expect(idleHost.joules > busyHost.joules)
    }

    @Test("f(host load) for the whole host, in either input unit")
    func hostWatts() {
        #expect(Self.paperModel().hostWatts(hostLoadPercent: 20) == Self.paper(20))
        let vmPercent = PowerModel(polynomial: Polynomial(coefficients: [10, 1]), cinergyRatio: 1, serverCores: 4)
        #expect(vmPercent.hostWatts(hostLoadPercent: 50) == 210)
    }
}
