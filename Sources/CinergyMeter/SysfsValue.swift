import CinergyCore
import CinergySystem
import SystemPackage

/// Reads the one-value files of sysfs (`energy_uj`, `power1_average`, `name`).
enum SysfsValue {
    /// The file's text without surrounding white space.
    static func text(_ path: String, permissionHint: String = "") throws(MeterError) -> String {
        do {
            let text = try SystemFile.readText(FilePath(path), limit: 4096)
            return text.trimmingWhitespace()
        } catch {
            throw MeterError(readingFailure: error, path: path, permissionHint: permissionHint)
        }
    }

    /// The file's value as a whole number (such as microjoules or microwatts).
    static func integer(_ path: String, permissionHint: String = "") throws(MeterError) -> UInt64 {
        let value = try text(path, permissionHint: permissionHint)
        guard let number = UInt64(value) else {
            throw .unreadable(path: path, reason: "\"\(value.prefix(40))\" is not a whole number")
        }
        return number
    }

    /// The file's text, or nil when it cannot be read.
    static func optionalText(_ path: String) -> String? {
        try? text(path)
    }
}

extension MeterError {
    /// The error for a failed read of `path`: EACCES and EPERM are `permissionDenied` with `permissionHint`.
    public init(readingFailure errno: Errno, path: String, permissionHint: String = "") {
        if errno == .permissionDenied || errno == .notPermitted {
            self = .permissionDenied(path: path, hint: permissionHint)
        } else {
            self = .unreadable(path: path, reason: String(describing: errno))
        }
    }
}
