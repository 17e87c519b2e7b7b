import CinergyCore
import Foundation
import Testing

@Suite("Host CPU load from /proc/stat")
struct HostCPUStatTests {
    static let first = """
        cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
        cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
        cpu1 1335243 22738 536930 13400491 4101 0 1948 0 23234 0
        intr 199292212 18 9 0 0 0 0 0 0 1 0 0 0 155 0
        ctxt 265356327
        """
    static let second = """
        cpu  10132353 290696 3084819 46828583 16783 0 25195 0 175728 0
        cpu0 1393380 32966 572106 13343342 6180 0 17875 0 23983 0
        intr 199292300
        """

    @Test("busy is everything but idle and iowait; guest is not counted twice")
    func parse() throws {
        let stat = try #require(HostCPUStat(procStatText: Self.first))
        #expect(stat.totalTicks == 10132153 + 290696 + 3084719 + 46828483 + 16683 + 0 + 25195 + 0)
        #expect(stat.busyTicks == 10132153 + 290696 + 3084719 + 25195)
    }

    @Test("load between two readings is Δbusy / Δtotal of all CPUs")
    func load() throws {
        let first = try #require(HostCPUStat(procStatText: Self.first))
        let second = try #require(HostCPUStat(procStatText: Self.second))
        // Δbusy = 200 + 100 = 300; Δtotal = 300 + 100 idle + 100 iowait = 500.
        #expect(second.loadPercent(since: first) == 60)
        #expect(first.loadPercent(since: first) == nil)
        #expect(first.loadPercent(since: second) == nil)
    }

    @Test("malformed text: nil; a fixture proc root is read; a missing one is an error")
    func malformedAndRoot() throws {
        #expect(HostCPUStat(procStatText: "cpu0 1 2 3 4\n") == nil)
        #expect(HostCPUStat(procStatText: "cpu  1 2 x 4\n") == nil)
        #expect(HostCPUStat(procStatText: "cpu  1 2 3 4\n")?.totalTicks == 10)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-stat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.first.write(toFile: root + "/stat", atomically: true, encoding: .utf8)
        #expect(try HostCPUStat.read(procRoot: root) == HostCPUStat(procStatText: Self.first))
        #expect(throws: HostCPUStatError.self) { try HostCPUStat.read(procRoot: root + "/missing") }
        #expect(HostCPUs.onlineCount() >= 1)
    }
}
