public import CinergyCore

/// How far a VM's account has been counted: its QEMU process, that process's cumulative CPU ticks
/// (`/proc/PID/stat` utime + stime) and the Unix time of that reading. Stored with each flush in
/// the same transaction as the buckets; an agent that starts (or takes the lock over) counts the
/// VM from here, so nothing before it is counted twice and, for a QEMU that kept running, nothing
/// after it is lost.
public typealias LedgerCheckpoint = ProcessReading
