import CinergyCore
import CinergySystem
import SystemPackage

/// An env file: one `NAME=value` per line, `#` starting a comment line. Read once, parsed as
/// swift-configuration's `EnvironmentVariablesProvider` parses one (lines split at the first `=`,
/// both sides trimmed), so that the names it sets can be checked against the table too.
enum EnvFile {
    /// Files larger than this are refused: an env file is a few kilobytes.
    static let sizeLimitBytes = 1 << 20

    /// The file's text, nil when it is absent and not `required`, or why it cannot be used.
    static func read(_ path: String, required: Bool) -> Result<String?, ConfigurationError> {
        let info: Stat
        do {
            info = try Stat(FilePath(path))
        } catch {
            if error == .noSuchFileOrDirectory && !required { return .success(nil) }
            return .failure(.unreadableFile(path: path, reason: error.description))
        }
        guard info.type == .regular else {
            return .failure(.unreadableFile(path: path, reason: "not a regular file"))
        }
        let bytes: [UInt8]
        do {
            bytes = try SystemFile.read(FilePath(path), limit: sizeLimitBytes + 1)
        } catch {
            return .failure(.unreadableFile(path: path, reason: error.description))
        }
        guard bytes.count <= sizeLimitBytes else {
            return .failure(.unreadableFile(path: path, reason: "larger than 1 MiB"))
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// The variables the file's text sets, in file order (a name set twice keeps its last value).
    static func parse(_ contents: String) -> [(name: String, value: String)] {
        var variables: [(name: String, value: String)] = []
        for line in contents.split(separator: "\n") {
            let parts = line.trimmingWhitespace().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingWhitespace()
            guard !name.isEmpty, !name.hasPrefix("#") else { continue }
            let value = parts[1].trimmingWhitespace()
            if let existing = variables.firstIndex(where: { $0.name == name }) { variables.remove(at: existing) }
            variables.append((name, value))
        }
        return variables
    }
}
