import CinergyCalibration
import CinergyCore
import Foundation
import Testing

@Suite("Env fragment and env-file update")
struct EnvFileTests {
    static func report() throws -> FitReport {
        try PolynomialFitter().fit(samples({ 40 + 0.9 * $0 - 0.002 * $0 * $0 }, levels: [0, 25, 50, 75, 99.5]))
    }

    @Test("the fragment: comments, then REG_COEFF (constant first), MODEL_INPUT, SERVER_CORES, MODEL_INPUT_MAX")
    func fragment() throws {
        let fragment = EnvFragment(
            report: try Self.report(), meter: "rapl: CPU package power", serverCores: 32, date: "2026-12-01T07:00:00Z",
            warnings: ["the host was not idle"]
        )
        let lines = fragment.text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "# cinergy calibrate, 2026-12-01T07:00:00Z")
        #expect(lines[1] == "# meter: rapl: CPU package power")
        #expect(lines.contains { $0.hasPrefix("# fit: degree 2") })
        #expect(lines.contains("# warning: the host was not idle"))
        let assignments = lines.filter { !$0.hasPrefix("#") }
        #expect(assignments.count == 4)
        let coefficients = try #require(assignments.first?.split(separator: "=").last)
            .split(separator: ",").compactMap { Double($0) }
        #expect(coefficients.count == 3 && abs(coefficients[0] - 40) < 1e-6 && abs(coefficients[2] + 0.002) < 1e-9)
        #expect(Array(assignments.dropFirst()) == ["MODEL_INPUT=host_percent", "SERVER_CORES=32", "MODEL_INPUT_MAX=99.5"])
    }

    static let original = """
        # Cinergy agent configuration
        REG_COEFF=1,2,3   
        CINERGY_RATIO=0.5
        # the datacenter
        DC_PUE=1.2
        export SERVER_CORES=4
        EMISSION_FACTOR=50
        REG_COEFFICIENT_NOTE=keep me
        """

    @Test("existing lines are replaced, missing ones appended, every other line and comment kept")
    func update() {
        let updated = EnvFileUpdater.update(
            Self.original,
            setting: [("REG_COEFF", "10,0.5"), ("MODEL_INPUT", "host_percent"), ("SERVER_CORES", "2"), ("MODEL_INPUT_MAX", "98.7")],
            note: "cinergy calibrate, today"
        )
        #expect(
            updated == """
                # Cinergy agent configuration
                REG_COEFF=10,0.5
                CINERGY_RATIO=0.5
                # the datacenter
                DC_PUE=1.2
                SERVER_CORES=2
                EMISSION_FACTOR=50
                REG_COEFFICIENT_NOTE=keep me

                # cinergy calibrate, today
                MODEL_INPUT=host_percent
                MODEL_INPUT_MAX=98.7

                """)
    }

    @Test("the file: a backup first, then the new contents in place with the same permissions")
    func updateFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-env-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cinergy.env"
        try Self.original.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o640)
        try EnvFileUpdater.update(file: path, setting: [("REG_COEFF", "7")], note: nil)
        #expect(try String(contentsOfFile: path + ".bak", encoding: .utf8) == Self.original)
        let updated = try String(contentsOfFile: path, encoding: .utf8)
        #expect(updated.contains("\nREG_COEFF=7\n") && updated.contains("# the datacenter\nDC_PUE=1.2\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["cinergy.env", "cinergy.env.bak"])
    }
}
