import CinergyCore
import GRDB

/// A `vm` row, read by column name into a ``LedgerVM``.
struct VMRow: FetchableRecord {
    /// The columns `init(row:)` reads, for a `SELECT`.
    static let columns = """
        id, key, name, uuid, nova_name, nova_project_id, nova_project_name, nova_user_id, nova_user_name, nova_flavor,
        first_seen, last_seen, energy_joules, carbon_grams
        """

    var vm: LedgerVM

    init(row: Row) throws {
        let displayName: String? = row["nova_name"]
        let projectID: String? = row["nova_project_id"]
        let projectName: String? = row["nova_project_name"]
        let userID: String? = row["nova_user_id"]
        let userName: String? = row["nova_user_name"]
        let flavorName: String? = row["nova_flavor"]
        let novaNames = [displayName, projectID, projectName, userID, userName, flavorName]
        let nova =
            novaNames.allSatisfy({ $0 == nil })
            ? nil
            : NovaInstance(
                displayName: displayName, projectID: projectID, projectName: projectName, userID: userID, userName: userName,
                flavorName: flavorName
            )
        vm = LedgerVM(
            id: row["id"], key: row["key"], name: row["name"], uuid: row["uuid"], nova: nova,
            firstSeenUnixSeconds: row["first_seen"], lastSeenUnixSeconds: row["last_seen"], energyJoules: row["energy_joules"],
            carbonGrams: row["carbon_grams"]
        )
    }
}
