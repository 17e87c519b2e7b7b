import CinergyCore

/// The points and the fitted curve as a self-contained SVG: axes with ticks and units, the
/// measured points, the curve over the measured range, and the fit figures in a caption.
public enum SVGPlot {
    static let width = 760.0
    static let height = 570.0
    static let left = 70.0
    static let right = 24.0
    static let top = 40.0
    static let plotBottom = 400.0

    /// The SVG document.
    public static func render(points: [CalibrationPoint], report: FitReport, title: String, caption: [String]) -> String {
        let polynomial = report.polynomial
        let range = report.measuredRange
        let curve = (0...200).map { step -> (Double, Double) in
            let x = range.lowerBound + (range.upperBound - range.lowerBound) * Double(step) / 200
            return (x, polynomial(x))
        }
        let xMax = max(10, (range.upperBound / 10).rounded(.up) * 10)
        let xTicks = ticks(from: 0, to: xMax)
        let allWatts = points.map(\.watts) + curve.map(\.1)
        let (yLow, yHigh) = (allWatts.min() ?? 0, allWatts.max() ?? 1)
        let yPad = max((yHigh - yLow) * 0.08, 0.5)
        let yTicks = ticks(from: max(0, yLow - yPad), to: yHigh + yPad)
        let (y0, y1) = (yTicks.first ?? 0, yTicks.last ?? 1)
        let plotRight = width - right
        func px(_ x: Double) -> Double { left + (x - 0) / xMax * (plotRight - left) }
        func py(_ y: Double) -> Double { plotBottom - (y - y0) / max(y1 - y0, 1e-9) * (plotBottom - top) }
        func n(_ value: Double) -> String { NumberFormat.short(value, 1) }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" \
            viewBox="0 0 \(n(width)) \(n(height))" font-family="sans-serif" font-size="13">
            <title>\(escape(title))</title>
            <rect x="0" y="0" width="\(n(width))" height="\(n(height))" fill="#ffffff"/>
            <text x="\(n(width / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

            """
        svg += "<g id=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n"
        for tick in xTicks { svg += "<line x1=\"\(n(px(tick)))\" y1=\"\(n(top))\" x2=\"\(n(px(tick)))\" y2=\"\(n(plotBottom))\"/>\n" }
        for tick in yTicks { svg += "<line x1=\"\(n(left))\" y1=\"\(n(py(tick)))\" x2=\"\(n(plotRight))\" y2=\"\(n(py(tick)))\"/>\n" }
        svg += "</g>\n"
        svg += """
            <g id="x-axis">
            <line x1="\(n(left))" y1="\(n(plotBottom))" x2="\(n(plotRight))" y2="\(n(plotBottom))" stroke="#000000"/>

            """
        for tick in xTicks {
            svg += "<line x1=\"\(n(px(tick)))\" y1=\"\(n(plotBottom))\" x2=\"\(n(px(tick)))\" y2=\"\(n(plotBottom + 5))\" stroke=\"#000000\"/>"
            svg += "<text x=\"\(n(px(tick)))\" y=\"\(n(plotBottom + 19))\" text-anchor=\"middle\">\(NumberFormat.short(tick, 2))</text>\n"
        }
        svg += "<text x=\"\(n((left + plotRight) / 2))\" y=\"\(n(plotBottom + 40))\" text-anchor=\"middle\">host CPU load (%)</text>\n</g>\n"
        svg += """
            <g id="y-axis">
            <line x1="\(n(left))" y1="\(n(top))" x2="\(n(left))" y2="\(n(plotBottom))" stroke="#000000"/>

            """
        for tick in yTicks {
            svg += "<line x1=\"\(n(left - 5))\" y1=\"\(n(py(tick)))\" x2=\"\(n(left))\" y2=\"\(n(py(tick)))\" stroke=\"#000000\"/>"
            svg += "<text x=\"\(n(left - 8))\" y=\"\(n(py(tick) + 4))\" text-anchor=\"end\">\(NumberFormat.short(tick, 2))</text>\n"
        }
        let middle = (top + plotBottom) / 2
        svg += "<text x=\"18\" y=\"\(n(middle))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(n(middle)))\">power (W)</text>\n</g>\n"
        svg += "<g id=\"points\" fill=\"#1f77b4\" fill-opacity=\"0.55\">\n"
        for point in points {
            svg += "<circle cx=\"\(NumberFormat.short(px(point.loadPercent), 2))\" cy=\"\(NumberFormat.short(py(point.watts), 2))\" r=\"3\"/>\n"
        }
        svg += "</g>\n"
        let path = curve.enumerated().map { index, point in
            (index == 0 ? "M" : "L") + NumberFormat.short(px(point.0), 2) + " " + NumberFormat.short(py(point.1), 2)
        }.joined(separator: " ")
        svg += "<path id=\"curve\" d=\"\(path)\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2.5\"/>\n"
        // Legend.
        svg += """
            <g id="legend">
            <circle cx="\(n(left + 18))" cy="\(n(top + 14))" r="4" fill="#1f77b4"/>
            <text x="\(n(left + 28))" y="\(n(top + 18))">measured points</text>
            <line x1="\(n(left + 10))" y1="\(n(top + 34))" x2="\(n(left + 26))" y2="\(n(top + 34))" stroke="#d62728" stroke-width="2.5"/>
            <text x="\(n(left + 28))" y="\(n(top + 38))">fitted f(load), degree \(report.degree)</text>
            </g>
            <g id="caption" font-size="12">

            """
        for (index, line) in caption.enumerated() {
            svg += "<text x=\"\(n(left - 50))\" y=\"\(n(plotBottom + 66 + Double(index) * 16))\">\(escape(line))</text>\n"
        }
        svg += "</g>\n</svg>\n"
        return svg
    }

    /// Round tick values covering `low`…`high`: steps of 1, 2 or 5 × 10ⁿ, about 5 to 10 of them.
    static func ticks(from low: Double, to high: Double) -> [Double] {
        let span = max(high - low, 1e-9)
        var step = 1.0
        while span / step > 10 { step *= 10 }
        while span / step < 1 { step /= 10 }
        if span / step < 2.5 { step /= 5 } else if span / step < 5 { step /= 2 }
        let first = (low / step).rounded(.down) * step
        let last = (high / step).rounded(.up) * step
        var values: [Double] = []
        var value = first
        while value <= last + step / 2, values.count < 40 {
            values.append((value / step).rounded() * step)
            value += step
        }
        return values
    }

    /// Text with `&`, `<`, `>` and `"` escaped for XML.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
