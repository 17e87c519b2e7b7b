public import CinergyCore

/// Energy, carbon, running time and CPU time in one bucket (or one VM's stored account): the
/// accounts' own amount (``AccountAmount``), as the ledger writes and reads it. For buckets written
/// by ledger v1 the static/dynamic split is unknown (NULL): reports count their energy as unsplit
/// (``PeriodAmount/unsplitJoules``).
public typealias BucketAmount = AccountAmount
