public import CinergyCore

extension ModelVersion {
    /// The parameters of `accounting` under their configuration variables' names, plus the factor
    /// file's path and content hash when one is in force.
    public static func parameters(
        of accounting: EnergyAccounting, factorFile: (path: String, sha256: String)?,
        grid: GridIntensityProvenance? = nil
    ) -> [(name: String, value: String)] {
        let power = accounting.power
        var parameters: [(name: String, value: String)] = [
            ("REG_COEFF", power.polynomial.coefficients.map { "\($0)" }.joined(separator: ",")),
            ("MODEL_INPUT", power.input.rawValue),
            ("MODEL_INPUT_MAX", power.curve.inputMax.map { "\($0)" } ?? "none"),
            ("SERVER_CORES", "\(power.serverCores)"),
            ("DC_PUE", "\(accounting.carbon.pue)"),
            ("STATIC_SHARE", power.staticShare.rawValue),
            ("EMISSION_FACTOR", "\(accounting.carbon.emissionFactorGramsPerKilowattHour)"),
        ]
        if let embodied = accounting.embodied {
            // Grams over seconds: the rate the embodied share accrues at (SERVER_EMBODIED_EMISSIONS, SERVER_LIFETIME).
            parameters.append(("SERVER_EMBODIED_EMISSIONS_GRAMS", "\(embodied.embodiedGrams)"))
            parameters.append(("SERVER_LIFETIME_SECONDS", "\(embodied.lifetimeSeconds)"))
        }
        switch power.ratio {
        case .constant(let ratio): parameters.append(("CINERGY_RATIO", "\(ratio)"))
        case .hostLoadCurve(let curve):
            parameters.append(("CINERGY_RATIO_COEFF", curve.coefficients.map { "\($0)" }.joined(separator: ",")))
        }
        if let factorFile {
            parameters.append(("EMISSION_FACTOR_FILE", factorFile.path))
            parameters.append(("EMISSION_FACTOR_FILE_SHA256", factorFile.sha256))
            // The grid data's provenance (issue 19): provider, zone or region, signal, points.
            if let grid { parameters += grid.parameters }
        }
        return parameters.sorted { $0.name < $1.name }
    }
}
