import CinergyCore
import CinergyLedger

/// The fields `/energy`, `/report` and `cinergy report` share, in JSON and CSV.
enum LedgerFields {
    /// An amount's fields: energy (J, kWh; static, dynamic, unsplit, reconstructed, J), the host
    /// meter's attributed energy beside it (J, the parts the meter measured; null when none) and the
    /// seconds of readings it covers (s), carbon (g:
    /// `carbon_grams` and its synonym `operational_carbon_grams`, embodied, total), the SCI per
    /// VM-hour (g), time counted (s and h), CPU time (s) and mean power (W).
    static func amount(_ amount: PeriodAmount, into json: inout JSONWriter) {
        json.field("energy_joules", amount.energyJoules)
        json.field("energy_kwh", amount.energyJoules / 3.6e6)
        json.field("static_joules", amount.staticJoules)
        json.field("dynamic_joules", amount.dynamicJoules)
        json.field("unsplit_joules", amount.unsplitJoules)
        json.field("reconstructed_joules", amount.reconstructedJoules)
        json.field("attributed_joules", amount.attributedJoules)
        json.field("attributed_seconds", amount.attributedSeconds)
        json.field("carbon_grams", amount.carbonGrams)
        json.field("operational_carbon_grams", amount.carbonGrams)
        json.field("embodied_carbon_grams", amount.embodiedGrams)
        json.field("total_carbon_grams", amount.totalCarbonGrams)
        json.field("sci_grams_per_vm_hour", amount.sciGramsPerVMHour)
        json.field("running_seconds", amount.runningSeconds)
        json.field("hours_running", amount.runningSeconds / 3600)
        json.field("cpu_seconds", amount.cpuSeconds)
        json.field("mean_power_watts", amount.meanPowerWatts)
    }

    /// The CSV columns of ``amount(_:into:)``, in order.
    static let amountColumns = [
        "energy_joules", "energy_kwh", "static_joules", "dynamic_joules", "unsplit_joules", "reconstructed_joules", "attributed_joules",
        "attributed_seconds", "carbon_grams", "operational_carbon_grams", "embodied_carbon_grams", "total_carbon_grams", "sci_grams_per_vm_hour", "running_seconds",
        "hours_running", "cpu_seconds", "mean_power_watts",
    ]

    static func amountCSV(_ amount: PeriodAmount) -> [String] {
        [
            amount.energyJoules, amount.energyJoules / 3.6e6, amount.staticJoules, amount.dynamicJoules, amount.unsplitJoules,
            amount.reconstructedJoules, amount.attributedJoules, amount.attributedSeconds, amount.carbonGrams, amount.carbonGrams, amount.embodiedGrams, amount.totalCarbonGrams,
            amount.sciGramsPerVMHour, amount.runningSeconds, amount.runningSeconds / 3600, amount.cpuSeconds,
            amount.meanPowerWatts,
        ].map(CSVText.number)
    }

    /// The period summed (`from`, `to`), the period asked (`requested_from`, `requested_to`) and
    /// the resolution of its edges (`resolution_seconds`: 60 prorated minute buckets, 3600 widened
    /// to the hour grid).
    static func period(_ plan: PeriodPlan, into json: inout JSONWriter) {
        json.field("from", RFC3339.format(unixSeconds: plan.summed.fromUnixSeconds))
        json.field("to", RFC3339.format(unixSeconds: plan.summed.toUnixSeconds))
        json.field("requested_from", RFC3339.format(unixSeconds: plan.requested.fromUnixSeconds))
        json.field("requested_to", RFC3339.format(unixSeconds: plan.requested.toUnixSeconds))
        json.field("resolution_seconds", Int(plan.resolution.rawValue))
    }

    /// `model_versions`: each version's id, parameters (an object of name to value) and when it
    /// was first and last used.
    static func modelVersions(_ versions: [ModelVersion], into json: inout JSONWriter) {
        json.key("model_versions")
        json.array { json in
            for version in versions {
                json.object { json in
                    json.field("id", Int(version.id))
                    json.key("parameters")
                    json.object { json in
                        for parameter in version.parameters { json.field(parameter.name, parameter.value) }
                    }
                    json.field("first_used", RFC3339.format(unixSeconds: version.firstUsedUnixSeconds))
                    json.field("last_used", RFC3339.format(unixSeconds: version.lastUsedUnixSeconds))
                }
            }
        }
    }

    static func modelVersionIDs(_ ids: [Int64], into json: inout JSONWriter) {
        json.key("model_version_ids")
        json.array { json in
            for id in ids { json.value(Int(id)) }
        }
    }

    /// The CSV cell of a line's model versions: `ID: NAME=value; NAME=value`, versions separated
    /// by ` | `.
    static func modelVersionsCSV(_ ids: [Int64], _ versions: [ModelVersion]) -> String {
        let byID = Dictionary(versions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { id in
            byID[id].map { version in
                "\(id): " + version.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
            }
        }.joined(separator: " | ")
    }
}
