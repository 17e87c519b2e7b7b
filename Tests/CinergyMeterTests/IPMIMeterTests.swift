import CinergyMeter
import CinergySystem
import Foundation
import SystemPackage
import Testing

@Suite("IPMI DCMI meter")
struct IPMIMeterTests {
    static let output = """

            Instantaneous power reading:                   174 Watts
            Minimum during sampling period:                 92 Watts
            Maximum during sampling period:                312 Watts
            Average power reading over sample period:      171 Watts
            IPMI timestamp:                           Tue Dec  1 07:10:42 2026
            Sampling period:                          00000005 Seconds.
            Power reading state is:                   activated


        """

    @Test("the instantaneous reading of ipmitool's output")
    func parse() {
        #expect(DCMIPowerReading.instantaneousWatts(in: Self.output) == 174)
        #expect(DCMIPowerReading.instantaneousWatts(in: "Instantaneous power reading: 98.5 Watts\n") == 98.5)
        #expect(DCMIPowerReading.instantaneousWatts(in: "Power reading state is: deactivated\n") == nil)
        #expect(DCMIPowerReading.instantaneousWatts(in: "Instantaneous power reading: n/a Watts\n") == nil)
        #expect(DCMIPowerReading.instantaneousWatts(in: "") == nil)
    }

    /// A shell script standing in for ipmitool.
    static func script(_ body: String) throws -> (directory: String, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-ipmi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/ipmitool"
        // Written through a close-on-exec descriptor: a descriptor open for writing that a process
        // spawned meanwhile by another test inherited would make the script "Text file busy"
        // (ETXTBSY) for as long as that process lives.
        try SystemFile.replace(FilePath(path), with: Array(("#!/bin/sh\n" + body + "\n").utf8), permissions: [.ownerReadWriteExecute, .groupReadExecute, .otherReadExecute])
        return (directory, path)
    }

    @Test("a reading spawns ipmitool dcmi power reading and parses it")
    func reading() throws {
        let (directory, path) = try Self.script(
            """
            [ "$1 $2 $3" = "dcmi power reading" ] || { echo "bad arguments: $*" >&2; exit 1; }
            printf '    Instantaneous power reading:                   212 Watts\\n'
            """
        )
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let meter = IPMIMeter(executable: path)
        #expect(meter.measures.contains("whole server wall power"))
        #expect(try meter.read().powerWatts == 212)
    }

    @Test("a failing ipmitool, a permission error, a hang and unparsable output are errors")
    func failures() throws {
        let cases: [(String, (MeterError) -> Bool)] = [
            ("echo 'Could not open device at /dev/ipmi0: No such file or directory' >&2; exit 1", {
                if case .commandFailed(_, let detail) = $0 { return detail.contains("/dev/ipmi0") } else { return false }
            }),
            ("echo 'Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: Permission denied' >&2; exit 1", {
                if case .permissionDenied = $0 { return true } else { return false }
            }),
            ("echo 'nothing useful'", {
                if case .commandFailed(_, let detail) = $0 { return detail.contains("Instantaneous") } else { return false }
            }),
            ("exec sleep 30", {
                if case .commandFailed(_, let detail) = $0 { return detail.contains("no answer") } else { return false }
            }),
        ]
        for (body, check) in cases {
            let (directory, path) = try Self.script(body)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let meter = IPMIMeter(executable: path, timeoutSeconds: 1)
            #expect {
                try meter.read()
            } throws: { error in
                guard let error = error as? MeterError else { return false }
                return check(error)
            }
        }
    }
}
