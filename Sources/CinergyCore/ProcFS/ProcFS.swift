import CinergySystem
import SystemPackage

/// Reads processes from a procfs tree: `/proc` on a host, a fixture directory in tests.
public struct ProcFS: Sendable {
    /// The directory procfs is mounted at.
    public let root: String

    /// Command lines longer than this are cut; what remains is still parsed.
    public static let commandLineLimitBytes = 1 << 20

    public init(root: String = "/proc") {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// The IDs of the processes present now (the numeric entries of the root directory).
    public func processIDs() -> [Int32] {
        guard let directory = opendir(root) else { return [] }
        defer { closedir(directory) }
        var pids: [Int32] = []
        while let entry = readdir(directory) {
            let pid: Int32? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                var value: Int32 = 0
                var digits = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 0x30, byte <= 0x39, digits < 9 else { return nil }
                    value = value * 10 + Int32(byte - 0x30)
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            if let pid { pids.append(pid) }
        }
        return pids
    }

    /// The arguments of process `pid` (`/proc/PID/cmdline`), decoded as UTF-8 with invalid bytes
    /// replaced; nil when the process is gone or has no command line (a kernel thread).
    public func commandLine(of pid: Int32) -> [String]? {
        guard let bytes = readFile("\(root)/\(pid)/cmdline", limit: Self.commandLineLimitBytes), !bytes.isEmpty else {
            return nil
        }
        return Self.arguments(bytes)
    }

    /// The arguments of process `pid`, as `commandLine(of:)` reads them, but only when
    /// `acceptsExecutable` accepts the first one (the executable); nil otherwise. The rest of a
    /// command line that is not accepted is neither read nor decoded: the discovery scan asks this
    /// of every process it does not know yet, every interval, and most are not QEMUs (some, such as
    /// compilers, have command lines of hundreds of kilobytes).
    public func commandLine(of pid: Int32, ifExecutable acceptsExecutable: (String) -> Bool) -> [String]? {
        var checked = false
        var accepted = true
        let bytes = readFile("\(root)/\(pid)/cmdline", limit: Self.commandLineLimitBytes) { bytes in
            guard !checked, let end = bytes.firstIndex(of: 0) else { return true }
            checked = true
            accepted = acceptsExecutable(String(decoding: bytes[..<end], as: UTF8.self))
            return accepted
        }
        guard let bytes, !bytes.isEmpty, accepted else { return nil }
        // No NUL at all (a process that rewrote its arguments as one string): all of it is argument 0.
        if !checked, !acceptsExecutable(String(decoding: bytes, as: UTF8.self)) { return nil }
        return Self.arguments(bytes)
    }

    /// Splits a NUL-separated command line into arguments, decoded as UTF-8 with invalid bytes replaced.
    static func arguments(_ bytes: [UInt8]) -> [String] {
        var arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        if bytes.last == 0 { arguments.removeLast() }
        return arguments
    }

    /// The CPU times and start time of process `pid` (`/proc/PID/stat`); nil when it is gone.
    public func stat(of pid: Int32) -> ProcessStat? {
        guard let bytes = readFile("\(root)/\(pid)/stat", limit: 4096) else { return nil }
        return bytes.withUnsafeBytes { ProcessStat(statLine: $0) }
    }

    /// Opens `/proc/PID/stat` for repeated reads; nil when the process is gone.
    public func openStat(of pid: Int32) -> ProcStatFile? {
        ProcStatFile(path: "\(root)/\(pid)/stat")
    }

    /// The whole file, at most `limit` bytes; nil when it cannot be opened or read. After each
    /// chunk, `readOn` sees what was read so far and may stop the reading early by returning false.
    func readFile(_ path: String, limit: Int, readOn: ([UInt8]) -> Bool = { _ in true }) -> [UInt8]? {
        try? SystemFile.read(FilePath(path), limit: limit, readOn: readOn)
    }
}
