import CinergyCore

/// The model as the agent's configuration: `REG_COEFF`, `MODEL_INPUT`, `SERVER_CORES` and
/// `MODEL_INPUT_MAX`, with comment lines saying where it comes from.
public struct EnvFragment: Sendable {
    /// The variables, in the order written.
    public let variables: [(name: String, value: String)]
    /// Comment lines (without the `# `).
    public let comments: [String]

    /// The fragment for `report`, measured with `meter` ("rapl: CPU package power (…)") on a host
    /// of `serverCores` online CPUs; `warnings` become comments too.
    public init(report: FitReport, meter: String, serverCores: Int, date: String, warnings: [String] = []) {
        variables = [
            ("REG_COEFF", report.polynomial.coefficients.map(NumberFormat.coefficient).joined(separator: ",")),
            ("MODEL_INPUT", "host_percent"),
            ("SERVER_CORES", String(serverCores)),
            ("MODEL_INPUT_MAX", NumberFormat.short(report.measuredRange.upperBound, 1)),
        ]
        comments =
            [
                "cinergy calibrate, \(date)",
                "meter: \(meter)",
            ] + Self.figures(report).map { $0 } + warnings.map { "warning: \($0)" }
    }

    /// The fit figures as lines of text, for comments, stderr and the plot's caption.
    public static func figures(_ report: FitReport) -> [String] {
        let range = report.measuredRange
        return [
            "fit: degree \(report.degree), non-negative and non-decreasing on 0 % to \(NumberFormat.short(report.inputMax, 1)) % by "
                + "construction, degree chosen on held-out interior levels; \(report.levelCount) load levels, \(report.pointCount) points",
            "in sample: RMSE \(NumberFormat.fixed(report.rmseInSampleWatts, 2)) W, MAPE "
                + "\(NumberFormat.fixed(report.mapeInSamplePercent, 2)) %; held out: RMSE "
                + "\(NumberFormat.fixed(report.rmseHeldOutWatts, 2)) W, MAPE \(NumberFormat.fixed(report.mapeHeldOutPercent, 2)) %",
            "measured host load: \(NumberFormat.fixed(range.lowerBound, 1)) % to \(NumberFormat.fixed(range.upperBound, 1)) %; "
                + "f(0) = \(NumberFormat.fixed(report.polynomial(0), 1)) W, "
                + "f(\(NumberFormat.short(range.upperBound, 1))) = \(NumberFormat.fixed(report.polynomial(range.upperBound), 1)) W",
            "held-out error by degree (RMS, % of watts): "
                + report.candidates.map { candidate in
                    "\(candidate.degree): \(NumberFormat.fixed(candidate.heldOutErrorPercent, 2))"
                        + (candidate.degree == report.degree ? " (chosen)" : "")
                }.joined(separator: ", "),
        ]
    }

    /// The fragment as env-file text: comments first, then `NAME=value` lines.
    public var text: String {
        comments.map { "# \($0)\n" }.joined() + variables.map { "\($0.name)=\($0.value)\n" }.joined()
    }
}
