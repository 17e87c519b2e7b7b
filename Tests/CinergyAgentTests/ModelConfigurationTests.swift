@testable import CinergyAgent
import CinergyCore
import Testing

/// MODEL_INPUT_MAX, CINERGY_RATIO_COEFF and the start-up check of the model.
@Suite("Configuration: the model as it is fitted")
struct ModelConfigurationTests {
    static let paper: [String: String] = [
        "REG_COEFF": "11.24,6.380,-0.3478,0.009527,-0.0000982", "MODEL_INPUT": "host_percent", "MODEL_INPUT_MAX": "37.5",
        "CINERGY_RATIO_COEFF": "0.6313,-0.01923,2.558e-4,-1.19e-6", "DC_PUE": "1.3", "EMISSION_FACTOR": "50", "SERVER_CORES": "16",
    ]

    static func load(_ values: [String: String]) async throws(ConfigurationErrors) -> (AgentConfiguration, warnings: [String]) {
        try await AgentConfiguration.load(from: .init(environment: values, envFilePath: "/nonexistent/cinergy/.env"), onlineCPUs: 2)
    }

    @Test("the paper's model loads, with a warning naming where it decreases inside its range")
    func paperModel() async throws {
        let (configuration, warnings) = try await Self.load(Self.paper)
        #expect(configuration.modelInputMax == 37.5)
        #expect(configuration.powerModel.curve.inputMax == 37.5)
        #expect(configuration.ratio == .hostLoadCurve(Polynomial(coefficients: [0.6313, -0.01923, 2.558e-4, -1.19e-6])))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("decreases from host_percent 36.3") == true, "\(warnings)")
        #expect(warnings.first?.contains("MODEL_INPUT_MAX=37.5") == true)
    }

    @Test("without MODEL_INPUT_MAX the warning names where f turns negative over the loads a VM can reach")
    func negativeInReach() async throws {
        var values = Self.paper
        values["MODEL_INPUT_MAX"] = nil
        let (_, warnings) = try await Self.load(values)
        #expect(warnings.contains { $0.contains("negative from host_percent 54.6") || $0.contains("negative from host_percent 54.7") }, "\(warnings)")
    }

    @Test("a model negative at 0 is refused, naming REG_COEFF")
    func negativeIdle() async {
        var values = Self.paper
        values["REG_COEFF"] = "-5,1"
        await #expect {
            try await Self.load(values)
        } throws: { error in
            let errors = (error as? ConfigurationErrors)?.errors ?? []
            return errors.count == 1 && errors[0].variable == "REG_COEFF" && errors[0].description.contains("f(0)")
        }
    }

    @Test("CINERGY_RATIO and CINERGY_RATIO_COEFF: exactly one")
    func exclusiveRatio() async throws {
        var both = Self.paper
        both["CINERGY_RATIO"] = "0.5"
        await #expect {
            try await Self.load(both)
        } throws: { error in
            let description = (error as? ConfigurationErrors)?.description ?? ""
            return description.contains("CINERGY_RATIO and CINERGY_RATIO_COEFF") && description.contains("exactly one")
        }
        var neither = Self.paper
        neither["CINERGY_RATIO_COEFF"] = nil
        await #expect {
            try await Self.load(neither)
        } throws: { error in
            let errors = (error as? ConfigurationErrors)?.errors ?? []
            return errors == [.missing(variable: "CINERGY_RATIO", rule: "must be set unless CINERGY_RATIO_COEFF is")]
        }
        var constant = neither
        constant["CINERGY_RATIO"] = "0.75"
        #expect(try await Self.load(constant).0.ratio == .constant(0.75))
    }

    @Test("bad MODEL_INPUT_MAX and CINERGY_RATIO_COEFF values are named with the rule", arguments: [
        ("MODEL_INPUT_MAX", "0"), ("MODEL_INPUT_MAX", "-1"), ("MODEL_INPUT_MAX", "lots"), ("CINERGY_RATIO_COEFF", "0.5,,1"),
        ("CINERGY_RATIO_COEFF", "nan"),
    ])
    func badValues(variable: String, value: String) async {
        var values = Self.paper
        values[variable] = value
        await #expect {
            try await Self.load(values)
        } throws: { error in
            (error as? ConfigurationErrors)?.errors.first?.variable == variable
        }
    }
}
