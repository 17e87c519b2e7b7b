import CinergyCore
import CinergySystem
import GRDB
public import SystemPackage

extension LedgerStore {
    /// Opens the database at `path` for reading only (`cinergy report`): no lock taken, no
    /// migration, nothing written; a database an agent is writing is read in its last committed
    /// state (WAL). Throws ``LedgerError/failed(path:reason:)`` when there is no file, or when its
    /// schema is not the one this build reads (an older one: start the agent once to migrate it).
    public convenience init(readingOnly path: FilePath) throws(LedgerError) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "cinergy.ledger.read-only"
        // The agent's flush holds the write lock briefly; a WAL reader never waits on it, but a
        // checkpoint may: wait a little.
        configuration.busyMode = .timeout(5)
        let queue: DatabaseQueue
        do {
            guard SystemFile.exists(path) else {
                throw LedgerError.failed(path: path.string, reason: "there is no ledger database there")
            }
            queue = try DatabaseQueue(path: path.string, configuration: configuration)
            let state = try queue.read { db -> (complete: Bool, superseded: Bool) in
                (try LedgerSchema.migrator.hasCompletedMigrations(db), try LedgerSchema.migrator.hasBeenSuperseded(db))
            }
            if state.superseded {
                throw LedgerError.failed(path: path.string, reason: "its schema is newer than this cinergy reads: use the newer cinergy")
            }
            if !state.complete {
                throw LedgerError.failed(
                    path: path.string, reason: "its schema is older than this cinergy reads: start the agent once to bring it up to date"
                )
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
        self.init(path: path, queue: queue)
    }
}
