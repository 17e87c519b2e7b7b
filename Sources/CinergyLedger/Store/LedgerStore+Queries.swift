import CinergyCore
public import GRDB

extension LedgerStore {
    private static let vmColumns = """
        id, key, name, uuid, nova_name, nova_project_id, nova_project_name, nova_user_id, nova_user_name, nova_flavor,
        first_seen, last_seen, energy_joules, carbon_grams
        """

    private static func vm(_ row: Row, offset: Int = 0) -> LedgerVM {
        let novaNames: [String?] = (4...9).map { row[offset + $0] }
        let nova =
            novaNames.allSatisfy({ $0 == nil })
            ? nil
            : NovaInstance(
                displayName: novaNames[0], projectID: novaNames[1], projectName: novaNames[2], userID: novaNames[3],
                userName: novaNames[4], flavorName: novaNames[5]
            )
        return LedgerVM(
            id: row[offset], key: row[offset + 1], name: row[offset + 2], uuid: row[offset + 3], nova: nova,
            firstSeenUnixSeconds: row[offset + 10], lastSeenUnixSeconds: row[offset + 11], energyJoules: row[offset + 12],
            carbonGrams: row[offset + 13]
        )
    }

    /// The VMs a user means by `text`: its ledger key, its UUID (any case), or its name.
    public static func vms(matching text: String, in db: Database) throws -> [LedgerVM] {
        try Row.fetchAll(
            db,
            sql: "SELECT \(vmColumns) FROM vm WHERE key = ? OR uuid = ? OR name = ? ORDER BY last_seen DESC",
            arguments: [text, text.lowercased(), text]
        ).map { vm($0) }
    }

    /// Every VM the ledger knows.
    public static func allVMs(in db: Database) throws -> [LedgerVM] {
        try Row.fetchAll(db, sql: "SELECT \(vmColumns) FROM vm ORDER BY name, key").map { vm($0) }
    }

    /// The first bucket start a period from `fromUnixSeconds` reads at `resolution`.
    public static func alignedStart(_ fromUnixSeconds: Double, _ resolution: BucketResolution) -> Int64 {
        let seconds = Int64(fromUnixSeconds.rounded(.down))
        let step = resolution.rawValue
        return (seconds >= 0 ? seconds / step : (seconds - step + 1) / step) * step
    }

    /// One VM's buckets that start in [`from`, `to`) (from aligned down to the resolution),
    /// added up by `stepSeconds` from that aligned start: element i covers
    /// [start + i × step, start + (i + 1) × step).
    public static func series(
        vmID: Int64, fromUnixSeconds: Double, toUnixSeconds: Double, stepSeconds: Int64, resolution: BucketResolution,
        in db: Database
    ) throws -> [BucketAmount] {
        let start = alignedStart(fromUnixSeconds, resolution)
        let end = Int64(toUnixSeconds.rounded(.up))
        let count = max(0, Int((end - start + stepSeconds - 1) / stepSeconds))
        var points = [BucketAmount](repeating: BucketAmount(), count: count)
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT (start - ?) / ?, sum(energy_joules), sum(carbon_grams), sum(running_seconds) FROM \(resolution.table)
                WHERE vm_id = ? AND start >= ? AND start < ? GROUP BY 1
                """,
            arguments: [start, stepSeconds, vmID, start, end]
        )
        while let row = try rows.next() {
            let index: Int = row[0]
            guard points.indices.contains(index) else { continue }
            points[index] = BucketAmount(energyJoules: row[1], carbonGrams: row[2], runningSeconds: row[3])
        }
        return points
    }

    /// Every VM with buckets that start in [`from`, `to`) (from aligned down), with their sum.
    public static func amounts(
        fromUnixSeconds: Double, toUnixSeconds: Double, resolution: BucketResolution, in db: Database
    ) throws -> [(vm: LedgerVM, amount: BucketAmount)] {
        let start = alignedStart(fromUnixSeconds, resolution)
        let end = Int64(toUnixSeconds.rounded(.up))
        let columns = vmColumns.split(separator: ",").map { "vm." + $0.trimmingSpaces }.joined(separator: ", ")
        return try Row.fetchAll(
            db,
            sql: """
                SELECT \(columns), sum(b.energy_joules), sum(b.carbon_grams), sum(b.running_seconds)
                FROM vm JOIN \(resolution.table) AS b ON b.vm_id = vm.id AND b.start >= ? AND b.start < ?
                GROUP BY vm.id ORDER BY vm.name, vm.key
                """,
            arguments: [start, end]
        ).map { row in
            (vm(row), BucketAmount(energyJoules: row[14], carbonGrams: row[15], runningSeconds: row[16]))
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\n" }).reversed().drop(while: { $0 == " " || $0 == "\n" }).reversed())
    }
}
