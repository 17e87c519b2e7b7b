import CinergyCore

/// A report from each VM's amounts: the one grouping (by VM, by project) of the local report
/// (``LedgerStore``) and the fleet's (from the central database), so both print alike.
extension LedgerReport {
    /// One VM's amounts over the period, and the model versions of its buckets.
    public struct VMAmount: Sendable {
        public var vm: LedgerVM
        public var amount: PeriodAmount
        public var modelVersionIDs: Set<Int64>

        public init(vm: LedgerVM, amount: PeriodAmount, modelVersionIDs: Set<Int64>) {
            self.vm = vm
            self.amount = amount
            self.modelVersionIDs = modelVersionIDs
        }
    }

    /// The report of `vms` (in any order): one row per VM by name then key, or one per Nova
    /// project by project name (a VM without Nova metadata a row of its own, after them).
    /// `modelVersions` are the versions the amounts name.
    public init(plan: PeriodPlan, grouping: ReportGrouping, vms: [VMAmount], modelVersions: [ModelVersion]) {
        let sorted = vms.sorted { ($0.vm.name, $0.vm.key) < ($1.vm.name, $1.vm.key) }
        let rows: [Row]
        switch grouping {
        case .vm:
            rows = sorted.map { entry in
                Row(
                    vm: entry.vm.name, uuid: entry.vm.uuid, projectID: entry.vm.nova?.projectID, projectName: entry.vm.nova?.projectName,
                    vmCount: 1, amount: entry.amount, modelVersionIDs: entry.modelVersionIDs.sorted()
                )
            }
        case .project:
            rows = Self.byProject(sorted)
        }
        self.init(plan: plan, grouping: grouping, rows: rows, modelVersions: modelVersions)
    }

    /// One row per Nova project (by project ID), by project name; a VM without Nova metadata
    /// has its own row, after them.
    static func byProject(_ perVM: [VMAmount]) -> [Row] {
        var projects: [String: (row: Row, versions: Set<Int64>)] = [:]
        var loose: [Row] = []
        for entry in perVM {
            let vm = entry.vm
            guard let projectID = vm.nova?.projectID else {
                loose.append(
                    Row(
                        vm: vm.name, uuid: vm.uuid, projectID: nil, projectName: nil, vmCount: 1, amount: entry.amount,
                        modelVersionIDs: entry.modelVersionIDs.sorted()
                    )
                )
                continue
            }
            var project =
                projects[projectID]
                ?? (Row(projectID: projectID, projectName: vm.nova?.projectName, vmCount: 0, amount: PeriodAmount(), modelVersionIDs: []), [])
            project.row.vmCount += 1
            project.row.amount += entry.amount
            project.versions.formUnion(entry.modelVersionIDs)
            projects[projectID] = project
        }
        let grouped = projects.values.map { project in
            var row = project.row
            row.modelVersionIDs = project.versions.sorted()
            return row
        }
        return grouped.sorted { ($0.projectName ?? "", $0.projectID ?? "") < ($1.projectName ?? "", $1.projectID ?? "") } + loose
    }
}
