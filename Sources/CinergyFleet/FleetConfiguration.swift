/// How this agent replicates its ledger to the fleet's central database.
public struct FleetConfiguration: Sendable {
    /// The central database (`FLEET_DATABASE_URL`).
    public var url: FleetDatabaseURL
    /// The password, read from `FLEET_DATABASE_PASSWORD_FILE`; nil when the server asks none.
    public var password: FleetPassword?
    /// The name of this agent's rows in the central database (`FLEET_HOST_IDENTITY`).
    public var hostIdentity: String
    /// Seconds between two rounds while all goes well (the ledger's flush interval).
    public var intervalSeconds: Double
    /// Rows per statement sent (each statement is one multi-row upsert).
    public var batchRows: Int
    /// The longest wait between two attempts after a failure, seconds (from 1 s, doubling).
    public var maximumBackoffSeconds: Double
    /// How long one round (connect, schema check, every page, the watermark) may take, seconds:
    /// a database that answers slower is a failure of the round.
    public var roundTimeoutSeconds: Double
    /// How long the last round at shutdown (after the ledger's final flush) may take, seconds: a
    /// database that is down or slow delays the agent's exit by no more than this (about), and
    /// what the round could not send goes at the next start.
    public var finalRoundTimeoutSeconds: Double

    public init(
        url: FleetDatabaseURL, password: FleetPassword?, hostIdentity: String, intervalSeconds: Double = 10, batchRows: Int = 500,
        maximumBackoffSeconds: Double = 60, roundTimeoutSeconds: Double = 120, finalRoundTimeoutSeconds: Double = 5
    ) {
        self.url = url
        self.password = password
        self.hostIdentity = hostIdentity
        self.intervalSeconds = intervalSeconds
        self.batchRows = batchRows
        self.maximumBackoffSeconds = maximumBackoffSeconds
        self.roundTimeoutSeconds = roundTimeoutSeconds
        self.finalRoundTimeoutSeconds = finalRoundTimeoutSeconds
    }

    /// What the ledger's watermark is for: the database and the host identity (a new database
    /// or identity starts from the beginning of the ledger).
    public var target: String { "\(url) as \(hostIdentity)" }
}
