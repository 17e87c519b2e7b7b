import CinergyCore
import CinergySystem
import SystemPackage

/// Updates variables in an env file in place: each existing `NAME=…` line (also `export NAME=…`)
/// of a variable is replaced, missing variables are appended, every other line and comment is kept.
public enum EnvFileUpdater {
    /// `text` with `variables` set.
    public static func update(_ text: String, setting variables: [(name: String, value: String)], note: String? = nil) -> String {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var written: Set<String> = []
        for index in lines.indices {
            guard let name = variableName(of: lines[index]),
                let variable = variables.first(where: { $0.name == name })
            else { continue }
            lines[index] = "\(variable.name)=\(variable.value)"
            written.insert(name)
        }
        let missing = variables.filter { !written.contains($0.name) }
        if !missing.isEmpty {
            if let last = lines.last, !last.trimmingWhitespace().isEmpty { lines.append("") }
            if let note { lines.append("# \(note)") }
            lines += missing.map { "\($0.name)=\($0.value)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The variable a line assigns, or nil for a comment, a blank or anything else.
    static func variableName(of line: String) -> String? {
        var rest = Substring(line.trimmingWhitespace())
        if rest.hasPrefix("export ") { rest = rest.dropFirst(7).drop { $0 == " " || $0 == "\t" } }
        guard let equals = rest.firstIndex(of: "=") else { return nil }
        let name = rest[..<equals].trimmingWhitespace()
        guard let first = name.first, first == "_" || first.isLetter,
            name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
        else { return nil }
        return name
    }

    /// Updates the file at `path`: saves its old contents as `path.bak` first, then writes the new
    /// contents atomically (`SystemFile.replace`), keeping the file's permissions. A file that does
    /// not exist yet is created with the variables alone.
    public static func update(file path: String, setting variables: [(name: String, value: String)], note: String?) throws(CalibrationError) {
        var permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
        var old = ""
        if let status = try? Stat(FilePath(path)) {
            permissions = status.permissions
            do {
                let bytes = try SystemFile.read(FilePath(path), limit: 16 << 20)
                old = String(decoding: bytes, as: UTF8.self)
                try SystemFile.replace(FilePath(path + ".bak"), with: bytes, permissions: permissions)
            } catch {
                throw .file(path: path, reason: "cannot back it up to \(path).bak: \(error)")
            }
        }
        let new = update(old, setting: variables, note: note)
        do {
            try SystemFile.replace(FilePath(path), with: Array(new.utf8), permissions: permissions)
        } catch {
            throw .file(path: path, reason: "cannot write it: \(error)")
        }
    }
}
