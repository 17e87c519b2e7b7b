import CinergyCore
import CinergyMeter
import Testing

@Suite("Metered share: the measured power split among the VMs and the host")
struct MeteredShareTests {
    static func use(_ name: String, vcpus: Int, cpu: Double, isolated: Double = 0) -> MeteredShare.VMUse {
        .init(key: .domain(uuid: name), name: name, uuid: name, vcpus: vcpus, cpuUsagePercent: cpu, isolatedDynamicWatts: isolated)
    }

    @Test("static by vCPUs, dynamic by CPU time among all busy time; VMs + host own = measured")
    func split() {
        // 8 CPUs, 2.5 CPUs busy of which the VMs use 1.5 and 0.5; 100 W idle, 180 W measured.
        let share = MeteredShare.attribute(
            measuredWatts: 180, idleWatts: 100, hostBusyCPUPercent: 250, serverCores: 8,
            vms: [Self.use("a", vcpus: 2, cpu: 150), Self.use("b", vcpus: 4, cpu: 50)]
        )
        #expect(share.vms[0].staticWatts == 25 && share.vms[1].staticWatts == 50)
        #expect(share.vms[0].dynamicWatts == 48 && share.vms[1].dynamicWatts == 16)
        #expect(abs(share.hostOwnWatts - (180 - 25 - 50 - 48 - 16)) < 1e-12)
        #expect(abs(share.vmsWatts + share.hostOwnWatts - 180) < 1e-12)
    }

    @Test("bounds: idle above the reading, VMs busier than the host, more vCPUs than CPUs: never more than measured")
    func bounds() {
        let share = MeteredShare.attribute(
            measuredWatts: 90, idleWatts: 100, hostBusyCPUPercent: 50, serverCores: 2,
            vms: [Self.use("a", vcpus: 2, cpu: 80), Self.use("b", vcpus: 2, cpu: 40)]
        )
        #expect(share.idleWatts == 90)
        #expect(share.vms.allSatisfy { $0.dynamicWatts == 0 })
        #expect(abs(share.vmsWatts - 90) < 1e-12 && share.hostOwnWatts == 0)
        let busier = MeteredShare.attribute(
            measuredWatts: 150, idleWatts: 50, hostBusyCPUPercent: 60, serverCores: 4,
            vms: [Self.use("a", vcpus: 1, cpu: 80), Self.use("b", vcpus: 1, cpu: 40)]
        )
        #expect(abs(busier.vms[0].dynamicWatts - 100 * 80 / 120) < 1e-12)
        #expect(abs(busier.vmsWatts + busier.hostOwnWatts - 150) < 1e-12)
    }

    @Test("no VMs: all of it is the host's own")
    func noVMs() {
        let share = MeteredShare.attribute(measuredWatts: 70, idleWatts: 40, hostBusyCPUPercent: 10, serverCores: 4, vms: [])
        #expect(share.hostOwnWatts == 70 && share.vmsWatts == 0)
    }
}
