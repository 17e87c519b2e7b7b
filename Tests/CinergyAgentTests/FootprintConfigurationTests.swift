@testable import CinergyAgent
import CinergyCore
import Testing

/// The variables of the whole carbon footprint (issue 19): defaults, valid forms, the models they build.
@Suite("Footprint configuration")
struct FootprintConfigurationTests {
    static func validate(_ extra: [String: String]) throws(ConfigurationErrors) -> AgentConfiguration {
        let values = ConfigurationTests.valid.merging(extra) { _, new in new }
        return try AgentConfiguration.validate(onlineCPUs: 8) { values[$0] }
    }

    @Test("defaults: the seed's share, embodied emissions not accounted, five years, empty labels")
    func defaults() throws {
        let configuration = try Self.validate([:])
        #expect(configuration.staticShare == .serverCores)
        #expect(configuration.powerModel.staticShare == .serverCores)
        #expect(configuration.embodiedEmissionsKilograms == nil)
        #expect(configuration.embodiedModel == nil)
        #expect(configuration.accounting.embodied == nil)
        #expect(configuration.serverLifetimeYears == 5)
        #expect(configuration.sustainabilityDatacenter == nil)
        #expect(configuration.sustainabilityComponent == nil)
    }

    @Test("valid forms reach the models")
    func validForms() throws {
        let configuration = try Self.validate([
            "STATIC_SHARE": "RUNNING_VCPUS", "SERVER_EMBODIED_EMISSIONS": "970.5", "SERVER_LIFETIME": "4",
            "SUSTAINABILITY_DATACENTER": "dc 1 \"north\"", "SUSTAINABILITY_COMPONENT": "compute-01",
        ])
        #expect(configuration.powerModel.staticShare == .runningVCPUs)
        #expect(configuration.embodiedModel == EmbodiedModel(embodiedGrams: 970_500, lifetimeSeconds: 4 * 365.25 * 86400))
        #expect(configuration.accounting.embodied == configuration.embodiedModel)
        #expect(configuration.sustainabilityDatacenter == "dc 1 \"north\"")
        #expect(configuration.sustainabilityComponent == "compute-01")
        #expect(try Self.validate(["SERVER_EMBODIED_EMISSIONS": "0"]).embodiedModel?.embodiedGrams == 0)
    }
}
