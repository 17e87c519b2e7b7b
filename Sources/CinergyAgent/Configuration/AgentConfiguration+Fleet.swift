public import CinergyFleet

extension AgentConfiguration {
    /// The replication's settings (`FLEET_*`); nil when `FLEET_DATABASE_URL` is not set. A round
    /// every `LEDGER_FLUSH_SECONDS`.
    public var fleetConfiguration: FleetConfiguration? {
        fleetDatabaseURL.map { url in
            FleetConfiguration(
                url: url, password: fleetDatabasePassword, hostIdentity: fleetHostIdentity, intervalSeconds: ledgerFlushSeconds
            )
        }
    }
}
