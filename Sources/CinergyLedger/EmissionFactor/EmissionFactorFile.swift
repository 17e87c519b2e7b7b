public import CinergyCore
import CinergySystem
import Crypto
import Synchronization
public import SystemPackage

/// `EMISSION_FACTOR_FILE`: the grid factor over time, re-read when the file changes (its size,
/// modification time or inode). The file is a CSV, or the JSON of Electricity Maps' or WattTime's
/// API, recognised by content (`EmissionFactorTable.read`); a file that is none of them is a
/// warning naming it, and the table last read stays in force. Where it has no row, `EMISSION_FACTOR` applies (the registry and
/// the routes fall back to it when this returns nil).
public final class EmissionFactorFile: EmissionFactorSchedule {
    public let path: FilePath
    /// How long the last row stays in force after its start, in seconds.
    public let lastRowMaxAgeSeconds: Double

    private struct Loaded {
        var table = EmissionFactorTable(rows: [])
        var signature: [Int64]?
        var lastError: String?
        /// Hex SHA-256 of the content the rows were read from; nil before a first read.
        var sha256: String?
    }

    private let loaded = Mutex(Loaded())

    public init(path: FilePath, lastRowMaxAgeSeconds: Double) {
        self.path = path
        self.lastRowMaxAgeSeconds = lastRowMaxAgeSeconds
    }

    public func gramsPerKilowattHour(atUnixSeconds unixSeconds: Double) -> Double? {
        loaded.withLock { $0.table }.factor(atUnixSeconds: unixSeconds, lastRowMaxAgeSeconds: lastRowMaxAgeSeconds)
    }

    /// The hex SHA-256 of the content the rows in use were read from; nil before a first read.
    public var contentSHA256: String? { loaded.withLock { $0.sha256 } }

    /// The rows in use.
    public var table: EmissionFactorTable { loaded.withLock { $0.table } }

    /// Reads the file again if it changed since the last read; returns what to log: each bad
    /// row's warning, or why the file cannot be read (once, until it can). A file that cannot be
    /// read keeps the rows last read. Blocks on file I/O: call it off Swift's cooperative pool.
    @discardableResult
    public func reload() -> [String] {
        let info: Stat
        do {
            info = try Stat(path)
        } catch {
            let message = "EMISSION_FACTOR_FILE \(path): \(error); using the rows last read (or EMISSION_FACTOR)"
            return loaded.withLock { state in
                defer { state.lastError = message }
                state.signature = nil
                return state.lastError == message ? [] : [message]
            }
        }
        let signature = [info.size, Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.inode.rawValue)]
        if loaded.withLock({ $0.signature == signature }) { return [] }
        let text: String
        do {
            text = try SystemFile.readText(path, limit: 64 << 20)
        } catch {
            let message = "EMISSION_FACTOR_FILE \(path): \(error); using the rows last read (or EMISSION_FACTOR)"
            return loaded.withLock { state in
                defer { state.lastError = message }
                return state.lastError == message ? [] : [message]
            }
        }
        switch EmissionFactorTable.read(text, source: path.string) {
        case .table(let table, let warnings):
            let digest = SHA256.hash(data: Array(text.utf8)).map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
            loaded.withLock { state in
                state.table = table
                state.sha256 = digest
                state.signature = signature
                state.lastError = nil
            }
            return warnings
        case .unrecognised(let reason):
            // Not read again until it changes; the table last read stays in force.
            let message = "EMISSION_FACTOR_FILE \(reason); using the rows last read (or EMISSION_FACTOR)"
            return loaded.withLock { state in
                state.signature = signature
                defer { state.lastError = message }
                return state.lastError == message ? [] : [message]
            }
        }
    }

    public var provenance: GridIntensityProvenance? { loaded.withLock { $0.table.provenance } }

    public func isEstimated(atUnixSeconds unixSeconds: Double) -> Bool? {
        loaded.withLock { $0.table }.row(atUnixSeconds: unixSeconds, lastRowMaxAgeSeconds: lastRowMaxAgeSeconds)?.isEstimated
    }
}
