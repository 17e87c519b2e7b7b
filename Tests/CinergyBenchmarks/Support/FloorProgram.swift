import CinergyTestSupport
import Foundation

/// The bare floor of sampling: a small C program that keeps `/proc/PID/stat` of each given process
/// open and, every interval, does one `pread` of each, and nothing else. Its CPU time per read is
/// the least any sampler reading those files can spend.
enum FloorProgram {
    static let source = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>

        /* floor INTERVAL_MS ROUNDS PID...: one untimed round, then ROUNDS rounds INTERVAL_MS apart,
           each one pread of every /proc/PID/stat; prints the CPU time of the timed rounds. */
        int main(int argc, char **argv) {
            if (argc < 4) { fprintf(stderr, "usage: floor INTERVAL_MS ROUNDS PID...\\n"); return 2; }
            long interval = atol(argv[1]), rounds = atol(argv[2]);
            int count = argc - 3;
            int *fds = malloc(sizeof(int) * count);
            char buffer[1024], path[64];
            for (int i = 0; i < count; i++) {
                snprintf(path, sizeof path, "/proc/%s/stat", argv[3 + i]);
                fds[i] = open(path, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) { perror(path); return 1; }
            }
            long reads = 0, failed = 0;
            for (int i = 0; i < count; i++) if (pread(fds[i], buffer, sizeof buffer, 0) <= 0) failed++;
            struct timespec next, start, end;
            clock_gettime(CLOCK_MONOTONIC, &next);
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
            for (long round = 0; round < rounds; round++) {
                next.tv_nsec += (interval % 1000) * 1000000L;
                next.tv_sec += interval / 1000 + next.tv_nsec / 1000000000L;
                next.tv_nsec %= 1000000000L;
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
                for (int i = 0; i < count; i++) {
                    if (pread(fds[i], buffer, sizeof buffer, 0) > 0) reads++; else failed++;
                }
            }
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
            long long ns = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
            printf("reads=%ld failed=%ld cpu_ns=%lld\\n", reads, failed, ns);
            return failed ? 1 : 0;
        }
        """

    /// Compiles the program into `directory` and returns its path.
    static func build(in directory: String) throws -> String {
        try CProgram.build(source, named: "floor", in: directory, flags: ["-O2"], what: "the floor program")
    }

    /// Runs the program over `pids` for `rounds` rounds `intervalSeconds` apart; returns its CPU
    /// time per read, in seconds.
    static func secondsPerRead(binary: String, pids: [Int32], rounds: Int, intervalSeconds: Double, directory: String) async throws -> Double {
        let log = directory + "/floor.log"
        let child = try ChildProcess(
            "floor", executable: binary,
            arguments: [String(Int(intervalSeconds * 1000)), String(rounds)] + pids.map { String($0) }, logFile: log
        )
        let status = await child.waitForExit(seconds: Double(rounds) * intervalSeconds + 60)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestFailure("the floor program failed (\(status.map(String.init) ?? "hung")): \(output)") }
        var values: [String: Double] = [:]
        for field in output.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = field.split(separator: "=")
            if parts.count == 2 { values[String(parts[0])] = Double(parts[1]) }
        }
        guard let reads = values["reads"], reads > 0, let nanoseconds = values["cpu_ns"] else {
            throw TestFailure("unexpected output from the floor program: \(output)")
        }
        return nanoseconds / 1e9 / reads
    }
}
