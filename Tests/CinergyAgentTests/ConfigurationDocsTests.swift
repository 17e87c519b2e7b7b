@testable import CinergyAgent
import Foundation
import Testing

/// The README's table, `dotenv` and `deploy/cinergy.env` name exactly the variables of
/// `ConfigurationVariable.all`, with its defaults.
@Suite("Configuration table and its documents")
struct ConfigurationDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOfFile: "\(root)/\(relativePath)", encoding: .utf8)
    }

    @Test("the README's configuration table is the table's (cinergy variables --markdown prints it)")
    func readmeTable() throws {
        let readme = try Self.text("README.md")
        let table = ConfigurationVariable.markdownTable()
        #expect(readme.contains(table), "README.md's configuration table differs from `cinergy variables --markdown` (`make readme-table` rewrites it):\n\(table)")
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("` |") }
        let documented = rows.compactMap { row in row.split(separator: "`").dropFirst().first.map(String.init) }
            .filter { $0.allSatisfy { $0.isUppercase || $0 == "_" } && ConfigurationVariable.named($0) != nil }
        #expect(documented == ConfigurationVariable.all.map(\.name))
    }

    /// `NAME=value` lines of an env file, with `# NAME=value` (a commented example) marked.
    static func assignments(_ contents: String) -> [(name: String, value: String, commented: Bool)] {
        contents.split(separator: "\n").compactMap { line in
            var text = Substring(line)
            let commented = text.hasPrefix("#")
            if commented { text = text.dropFirst().drop { $0 == " " } }
            guard let equals = text.firstIndex(of: "=") else { return nil }
            let name = String(text[..<equals])
            guard !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { return nil }
            return (name, String(text[text.index(after: equals)...]), commented)
        }
    }

    @Test("dotenv and deploy/cinergy.env set or show every variable once, required ones set, with the table's defaults", arguments: ["dotenv", "deploy/cinergy.env"])
    func envFiles(_ path: String) throws {
        let assignments = Self.assignments(try Self.text(path))
        #expect(Set(assignments.map(\.name)) == Set(ConfigurationVariable.all.map(\.name)), "\(path) names other variables than the table")
        for variable in ConfigurationVariable.all {
            let lines = assignments.filter { $0.name == variable.name }
            #expect(lines.count == 1, "\(path): \(variable.name) appears \(lines.count) times")
            guard let line = lines.first else { continue }
            switch variable.defaultValue {
            case .required, .requiredUnlessSet:
                #expect(!line.commented, "\(path): the required \(variable.name) is commented out")
            case .value(let defaultText):
                #expect(line.value == defaultText, "\(path): \(variable.name)=\(line.value), the default is \(defaultText)")
            case .computed, .unset:
                break  // an example value, commented out or set
            }
        }
    }

    @Test("every default parses by its own rule")
    func defaultsParse() throws {
        var values: [String: String] = [:]
        for variable in ConfigurationVariable.all {
            values[variable.name] = ["REG_COEFF": "1", "CINERGY_RATIO": "0.5", "DC_PUE": "1", "EMISSION_FACTOR": "0"][variable.name]
        }
        _ = try AgentConfiguration.validate(onlineCPUs: 2) { values[$0] }
    }

    @Test("each command-line option names one variable")
    func options() {
        #expect(Set(ConfigurationVariable.all.map(\.option)).count == ConfigurationVariable.all.count)
        #expect(ConfigurationVariable.withOption("--reg-coeff")?.name == "REG_COEFF")
    }
}
