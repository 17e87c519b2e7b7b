import Foundation
import Testing

/// docs/DESIGN.md's layout table against Package.swift: one row per module of the product (every
/// target outside Tests/), and its "Depends on" column naming exactly that target's dependencies
/// (targets by name, products by their package's name). A system library, which Package.swift does
/// not name, is marked "(system ...)".
@Suite("docs/DESIGN.md's layout table is Package.swift's")
struct LayoutDocsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized

    struct Target {
        var name: String
        var path: String?
        var isTest: Bool
        var dependencies: Set<String>
    }

    /// The targets of Package.swift, read from its text: `.target(name:`, `.executableTarget(name:`
    /// and `.testTarget(name:` with their `dependencies: [...]`.
    static func targets(_ manifest: String) throws -> [Target] {
        let declaration = /\.(target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"/
        let matches = manifest.matches(of: declaration)
        return matches.enumerated().map { index, match in
            let end = index + 1 < matches.count ? matches[index + 1].range.lowerBound : manifest.endIndex
            let body = manifest[match.range.upperBound..<end]
            var dependencies: Set<String> = []
            if let list = body.firstMatch(of: /dependencies:\s*\[/) {
                var depth = 1
                var position = list.range.upperBound
                while depth > 0, position < body.endIndex {
                    if body[position] == "[" { depth += 1 } else if body[position] == "]" { depth -= 1 }
                    position = body.index(after: position)
                }
                var text = String(body[list.range.upperBound..<position])
                text = text.split(separator: "\n").map { $0.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false)[0] }
                    .joined(separator: "\n")
                for product in text.matches(of: /\.product\(\s*name:\s*"[^"]+",\s*package:\s*"([^"]+)"[^)]*\)/) {
                    dependencies.insert(String(product.output.1))
                }
                let withoutProducts = text.replacing(/\.product\([^)]*\)/, with: "")
                for name in withoutProducts.matches(of: /"([^"]+)"/) { dependencies.insert(String(name.output.1)) }
            }
            let ownPath = body.firstMatch(of: /\n\s*path:\s*"([^"]+)"/).map { String($0.output.1) }
            return Target(name: String(match.output.2), path: ownPath, isTest: match.output.1 == "testTarget", dependencies: dependencies)
        }
    }

    /// The layout table's rows: module (the first `code` span of the first cell) to the names of
    /// its "Depends on" cell, each with its parenthetical note.
    static func table(_ design: String) throws -> [String: [(name: String, note: String)]] {
        let lines = design.split(separator: "\n", omittingEmptySubsequences: false)
        let header = try #require(lines.firstIndex { $0.hasPrefix("| Module |") && $0.contains("Depends on") }, "no layout table")
        var rows: [String: [(name: String, note: String)]] = [:]
        for line in lines[(header + 2)...] {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let module = try #require(cells[1].firstMatch(of: /`([^`]+)`/)?.output.1, "no module in \(line)")
            let dependsOn = cells[cells.count - 2]
            // Split at the commas outside parentheses.
            var entries: [String] = []
            var current = ""
            var depth = 0
            for character in dependsOn {
                if character == "(" { depth += 1 } else if character == ")" { depth -= 1 }
                if character == ",", depth == 0 {
                    entries.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            entries.append(current)
            rows[String(module)] = entries.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "none" }.map { entry in
                let name = entry.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "")
                let note = entry.firstIndex(of: "(").map { String(entry[$0...]) } ?? ""
                return (name, note)
            }
        }
        return rows
    }

    @Test("one row per module, naming exactly its dependencies in Package.swift")
    func layoutTable() throws {
        let manifest = try String(contentsOf: Self.repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        let design = try String(contentsOf: Self.repository.appendingPathComponent("docs/DESIGN.md"), encoding: .utf8)
        let targets = try Self.targets(manifest)
        #expect(targets.count > 8, "Package.swift's targets should be found: \(targets.map(\.name))")
        let packages = Set(manifest.matches(of: /\.product\(\s*name:\s*"[^"]+",\s*package:\s*"([^"]+)"/).map { String($0.output.1) })
        let known = Set(targets.map(\.name)).union(packages)
        let modules = targets.filter { !$0.isTest && !($0.path ?? "").hasPrefix("Tests/") }
        let rows = try Self.table(design)
        #expect(Set(rows.keys) == Set(modules.map(\.name)), "table rows vs Package.swift's modules")
        for module in modules {
            guard let row = rows[module.name] else { continue }
            let named = Set(row.map(\.name).filter(known.contains))
            #expect(named == module.dependencies, "\(module.name): the table says \(named.sorted()), Package.swift \(module.dependencies.sorted())")
            for entry in row where !known.contains(entry.name) {
                #expect(entry.note.hasPrefix("(system"), "\(module.name): \(entry.name) is neither a target nor a package of Package.swift")
            }
        }
    }

    /// `make check` runs the test targets named after a module (scripts/unit-test-targets): a unit
    /// test target named otherwise would silently drop out of it.
    @Test("every test target is a module's unit tests (<Module>Tests), the end-to-end suite or the benchmarks")
    func testTargetNames() throws {
        let manifest = try String(contentsOf: Self.repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = try Self.targets(manifest)
        let modules = Set(targets.filter { !$0.isTest }.map(\.name))
        let others = targets.filter(\.isTest).map(\.name).filter { name in
            !(name.hasSuffix("Tests") && modules.contains(String(name.dropLast("Tests".count))))
        }
        #expect(others.sorted() == ["CinergyBenchmarks", "EndToEndTests"], "test targets that make check would not run: \(others)")
    }
}
