import CinergyCore
import CinergySystem
import SystemPackage

/// The files a calibration writes, all at the end of a run that succeeded: the points as CSV,
/// the plot as SVG, and the env file updated. Each is written atomically (`SystemFile.replace`).
public struct CalibrationOutputs: Sendable {
    public var savePointsPath: String?
    public var plotPath: String?
    public var envFilePath: String?

    public init(savePointsPath: String? = nil, plotPath: String? = nil, envFilePath: String? = nil) {
        self.savePointsPath = savePointsPath
        self.plotPath = plotPath
        self.envFilePath = envFilePath
    }

    /// Writes the files asked for.
    public func write(
        points: [CalibrationPoint], report: FitReport, fragment: EnvFragment, meter: String
    ) throws(CalibrationError) {
        if let savePointsPath {
            try Self.replace(savePointsPath, with: PointsCSV.render(points))
        }
        if let plotPath {
            let svg = SVGPlot.render(
                points: points, report: report, title: "cinergy calibrate: host power model",
                caption: ["meter: \(meter)", "f(x) = \(Self.formula(report))"] + EnvFragment.figures(report)
            )
            try Self.replace(plotPath, with: svg)
        }
        if let envFilePath {
            try EnvFileUpdater.update(
                file: envFilePath, setting: fragment.variables, note: fragment.comments.first
            )
        }
    }

    /// The polynomial as a formula with 4 significant digits: "40.01 + 0.8993x - 0.001998x^2".
    public static func formula(_ report: FitReport) -> String {
        var text = ""
        for (power, coefficient) in report.polynomial.coefficients.enumerated() {
            let magnitude = significant(abs(coefficient), 4)
            let term = power == 0 ? magnitude : power == 1 ? "\(magnitude)x" : "\(magnitude)x^\(power)"
            if text.isEmpty {
                text = (coefficient < 0 ? "-" : "") + term
            } else {
                text += (coefficient < 0 ? " - " : " + ") + term
            }
        }
        return text
    }

    static func significant(_ value: Double, _ digits: Int) -> String {
        guard value > 0, value.isFinite else { return "0" }
        var exponent = 0
        var probe = value
        while probe >= 10 { probe /= 10; exponent += 1 }
        while probe < 1 { probe *= 10; exponent -= 1 }
        if exponent < -3 || exponent > 6 {
            return NumberFormat.short(probe, digits - 1) + "e" + String(exponent)
        }
        return NumberFormat.short(value, max(0, digits - 1 - exponent))
    }

    static func replace(_ path: String, with text: String) throws(CalibrationError) {
        do {
            try SystemFile.replace(FilePath(path), with: Array(text.utf8))
        } catch {
            throw .file(path: path, reason: "cannot write it: \(error)")
        }
    }
}
