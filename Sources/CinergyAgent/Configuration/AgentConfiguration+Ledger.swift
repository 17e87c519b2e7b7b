public import CinergyLedger
import SystemPackage

extension AgentConfiguration {
    /// The ledger's settings (`STATE_DIRECTORY`, `LEDGER_*`).
    public var ledgerConfiguration: LedgerConfiguration {
        LedgerConfiguration(
            stateDirectory: stateDirectory.map { FilePath($0) },
            flushIntervalSeconds: ledgerFlushSeconds,
            minuteRetentionHours: ledgerMinuteRetentionHours,
            hourRetentionDays: ledgerHourRetentionDays,
            procRoot: procRoot,
            writeOutMinutes: ledgerWriteOutMinutes
        )
    }
}
