import CinergyCore

/// The Sovereign Cloud Stack's sustainability gauges (draft standard SCS-0414, "sustainability
/// monitoring data formats"): `sustainability_{subject}_{phase}_gwp_kg` and
/// `sustainability_{subject}_energy_kwh`, written into `/metrics`.
///
/// What each value covers (all totals since the ledger began counting the VMs; since the agent
/// started without a ledger):
/// - `tenant`, by `project_id` and `project_name` (the OpenStack project of the VMs with Nova
///   metadata, including those that stopped while the agent ran):
///   - `energy_kwh`: the VMs' isolated energy (static + dynamic) times `DC_PUE`, in kWh: the SCI's
///     `E` (`cinergy_vm_energy_joules_total` is the same energy without the PUE);
///   - `operational_gwp_kg`: `E × I` with the grid factor in force at each sample, in kgCO2eq;
///   - `embodied_gwp_kg`: the server's embodied emissions shared like idle power (the SCI's `M`),
///     counted since the agent started (the ledger does not keep it yet);
///   - `total_gwp_kg`: operational + embodied.
///   Without `SERVER_EMBODIED_EMISSIONS` the embodied and total gauges are not written (not 0).
/// - `provider`, by `datacenter` and `component` (`SUSTAINABILITY_DATACENTER`,
///   `SUSTAINABILITY_COMPONENT`): the same four over every VM on the host, with or without Nova
///   metadata. Idle power and embodied emissions that no VM's share covers (a host with fewer
///   vCPUs than CPUs) are not in them.
struct SustainabilityMetrics {
    /// Every VM's totals by ledger key (`VMRegistry.totals()`).
    var totals: [VMTotals]
    var pue: Double
    /// Whether embodied emissions are accounted (`SERVER_EMBODIED_EMISSIONS` set).
    var embodiedAccounted: Bool
    var datacenter: String
    var component: String

    /// The four figures of one subject.
    struct Figures {
        var energyKilowattHours = 0.0
        var operationalKilograms = 0.0
        var embodiedKilograms = 0.0

        mutating func add(_ totals: VMTotals, pue: Double) {
            energyKilowattHours += totals.energyJoules / 3.6e6 * pue
            operationalKilograms += totals.carbonGrams / 1000
            embodiedKilograms += (totals.embodiedGrams ?? 0) / 1000
        }
    }

    /// The tenant figures by project (id, name), sorted; VMs without a Nova project are left out.
    var tenants: [(projectID: String, projectName: String, figures: Figures)] {
        var byProject: [String: (name: String, figures: Figures)] = [:]
        for vm in totals {
            guard let projectID = vm.nova?.projectID, !projectID.isEmpty else { continue }
            var entry = byProject[projectID] ?? (name: vm.nova?.projectName ?? "", figures: Figures())
            entry.figures.add(vm, pue: pue)
            byProject[projectID] = entry
        }
        return byProject.sorted { $0.key < $1.key }.map { (projectID: $0.key, projectName: $0.value.name, figures: $0.value.figures) }
    }

    /// The provider figures: every VM on the host.
    var provider: Figures {
        var figures = Figures()
        for vm in totals { figures.add(vm, pue: pue) }
        return figures
    }

    /// Writes the gauge families (tenant ones only when a VM has a project).
    func write(to out: inout PrometheusText) {
        let tenants = tenants
        let provider = provider
        let providerLabels = [("datacenter", datacenter), ("component", component)]
        func families(subject: String, help: String, rows: [([(String, String)], Figures)]) {
            var gauges: [(String, String, (Figures) -> Double)] = [
                ("energy_kwh", "Energy \(help), including DC_PUE, in kWh.", { $0.energyKilowattHours }),
                ("operational_gwp_kg", "Operational carbon (energy x grid intensity) \(help), in kgCO2eq.", { $0.operationalKilograms }),
            ]
            if embodiedAccounted {
                gauges += [
                    ("embodied_gwp_kg", "The server's embodied emissions shared like idle power \(help) (since the agent started), in kgCO2eq.", { $0.embodiedKilograms }),
                    ("total_gwp_kg", "Operational + embodied carbon \(help), in kgCO2eq.", { $0.operationalKilograms + $0.embodiedKilograms }),
                ]
            }
            for (suffix, text, value) in gauges {
                let name = "sustainability_\(subject)_\(suffix)"
                out.family(name, type: "gauge", help: text)
                for (labels, figures) in rows { out.sample(name, labels: labels, value(figures)) }
            }
        }
        if !tenants.isEmpty {
            families(
                subject: "tenant", help: "of the project's VMs since the ledger began (SCS-0414)",
                rows: tenants.map { ([("project_id", $0.projectID), ("project_name", $0.projectName)], $0.figures) }
            )
        }
        families(subject: "provider", help: "of every VM on this host since the ledger began (SCS-0414)", rows: [(providerLabels, provider)])
    }
}
