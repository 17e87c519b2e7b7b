import CinergyCalibration
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("SVG plot")
struct SVGPlotTests {
    /// Counts elements by name while checking the document parses.
    final class Counter: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    @Test("well-formed, with axes, units, ticks, every point, the curve and the figures")
    func plot() throws {
        let points = samples({ 40 + 0.9 * $0 - 0.002 * $0 * $0 }, levels: [0, 25, 50, 75, 100], perLevel: 4, loadJitter: 1, noise: 0.5)
        let report = try PolynomialFitter().fit(points)
        let svg = SVGPlot.render(points: points, report: report, title: "test <plot> & co", caption: ["meter: rapl & co"])
        let counter = Counter()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map(String.init(describing:)) ?? "")")
        #expect(counter.elements["svg"] == 1)
        #expect(counter.elements["circle"] == points.count + 1)  // + the legend's
        #expect(counter.elements["path"] == 1)
        #expect(counter.text.contains("host CPU load (%)") && counter.text.contains("power (W)"))
        #expect(counter.text.contains("test <plot> & co") && counter.text.contains("meter: rapl & co"))
        for tick in ["0", "20", "40", "60", "80", "100"] { #expect(svg.contains(">\(tick)</text>")) }
        #expect(svg.contains("id=\"x-axis\"") && svg.contains("id=\"y-axis\"") && svg.contains("<path id=\"curve\" d=\"M"))
    }
}
