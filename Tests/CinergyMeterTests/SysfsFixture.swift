import Foundation

/// A fake sysfs tree in a temporary directory, laid out like the kernel's.
final class SysfsFixture {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-sysfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `text` to `relativePath`, creating its directories.
    func write(_ relativePath: String, _ text: String) throws {
        let path = root + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A powercap zone `intel-rapl:INDEX` named `name`.
    func addZone(_ index: String, name: String, energy: UInt64, range: UInt64 = 262_143_328_850) throws {
        try write("class/powercap/intel-rapl:\(index)/name", name + "\n")
        try write("class/powercap/intel-rapl:\(index)/energy_uj", "\(energy)\n")
        try write("class/powercap/intel-rapl:\(index)/max_energy_range_uj", "\(range)\n")
    }

    func setEnergy(_ index: String, _ energy: UInt64) throws {
        try write("class/powercap/intel-rapl:\(index)/energy_uj", "\(energy)\n")
    }
}
