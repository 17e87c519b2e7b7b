#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// The whole file, at most `limit` bytes; nil when it cannot be opened or read.
    func readFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, limit - result.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }
}
