import Foundation

/// A stand-in power meter: a small program that every 100 ms reads the machine's real
/// `/proc/stat`, computes the host load over the last period and, from a known curve
/// W(load) = 40 + 0.9·load − 0.002·load² plus uniform noise of ±0.5 W, advances a fixture tree's
/// RAPL `energy_uj` (wrapping at a small `max_energy_range_uj`, so wraps happen within seconds)
/// or rewrites a hwmon `power1_average`. Files are replaced by rename, as a reader must never see
/// half a number. An optional scale file multiplies the curve, so that a test can change it while
/// the meter runs.
public enum StandInMeter {
    /// The known curve, as the tests check it.
    public static func watts(atLoad load: Double) -> Double { 40 + 0.9 * load - 0.002 * load * load }

    /// Where energy_uj wraps in the RAPL fixture: 300 J, a wrap every 3 to 7 s at 40 to 110 W.
    public static let maxEnergyRangeMicrojoules: UInt64 = 300_000_000

    public static let source = #"""
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>

        static int read_cpu(unsigned long long *busy, unsigned long long *total) {
            FILE *f = fopen("/proc/stat", "r");
            if (!f) return -1;
            unsigned long long v[8] = {0};
            int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            fclose(f);
            if (n < 4) return -1;
            *total = 0;
            for (int i = 0; i < 8; i++) *total += v[i];
            *busy = *total - v[3] - v[4];
            return 0;
        }

        static void put(const char *path, const char *text) {
            char temporary[4096];
            snprintf(temporary, sizeof temporary, "%s.tmp", path);
            FILE *f = fopen(temporary, "w");
            if (!f) return;
            fputs(text, f);
            fclose(f);
            rename(temporary, path);
        }

        static double now(void) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            return t.tv_sec + t.tv_nsec / 1e9;
        }

        /* usage: cinergy-e2e-meter rapl|hwmon FILE [MAX_RANGE_UJ [SCALE_FILE]]
           SCALE_FILE, when it exists, holds a factor the curve is multiplied by (re-read every period). */
        int main(int argc, char **argv) {
            if (argc < 3) return 2;
            int rapl = strcmp(argv[1], "rapl") == 0;
            const char *file = argv[2];
            unsigned long long range = argc > 3 ? strtoull(argv[3], 0, 10) : 0;
            srand(12345);
            /* The load is read over the last second (ten 100 ms periods), as a meter that averages
               does: over 100 ms, /proc/stat's 10 ms ticks make the load jump, and the curve (concave)
               of a jumping load averages below the curve of its mean, a bias that flattens it. */
            enum { WINDOW = 10 };
            unsigned long long busy[WINDOW], total[WINDOW], busy1, total1;
            if (read_cpu(&busy1, &total1) != 0) return 1;
            for (int i = 0; i < WINDOW; i++) { busy[i] = busy1; total[i] = total1; }
            int oldest = 0;
            double energy = 0, last = now();
            double load = 0;
            char text[64];
            for (;;) {
                struct timespec pause = {0, 100000000};
                nanosleep(&pause, 0);
                if (read_cpu(&busy1, &total1) != 0) return 1;
                if (total1 > total[oldest]) load = 100.0 * (double)(busy1 - busy[oldest]) / (double)(total1 - total[oldest]);
                busy[oldest] = busy1;
                total[oldest] = total1;
                oldest = (oldest + 1) % WINDOW;
                double scale = 1;
                if (argc > 4) {
                    FILE *s = fopen(argv[4], "r");
                    if (s) {
                        if (fscanf(s, "%lf", &scale) != 1) scale = 1;
                        fclose(s);
                    }
                }
                double watts = scale * (40 + 0.9 * load - 0.002 * load * load) + ((double)rand() / RAND_MAX - 0.5);
                double t = now();
                if (rapl) {
                    energy += watts * (t - last) * 1e6;
                    while (energy >= (double)range) energy -= (double)range;
                    snprintf(text, sizeof text, "%llu\n", (unsigned long long)energy);
                } else {
                    snprintf(text, sizeof text, "%llu\n", (unsigned long long)(watts * 1e6));
                }
                last = t;
                put(file, text);
            }
        }
        """#

    /// Compiles the stand-in meter into `directory`.
    public static func build(in directory: String) throws -> String {
        try CProgram.build(source, named: "cinergy-e2e-meter", in: directory, flags: ["-O2"], what: "the stand-in meter")
    }

    /// Lays out a RAPL tree like the kernel's under `root`: `class/powercap/intel-rapl:0` (package-0)
    /// with a sub-zone `intel-rapl:0:0` (core, never to be added) and the `intel-rapl` control type.
    /// Returns the path of the package's energy_uj.
    public static func makeRAPLTree(at root: String) throws -> String {
        let powercap = root + "/class/powercap"
        let package = powercap + "/intel-rapl:0"
        let core = powercap + "/intel-rapl:0:0"
        for directory in [powercap + "/intel-rapl", package, core] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "package-0\n".write(toFile: package + "/name", atomically: true, encoding: .utf8)
        try "0\n".write(toFile: package + "/energy_uj", atomically: true, encoding: .utf8)
        try "\(maxEnergyRangeMicrojoules)\n".write(toFile: package + "/max_energy_range_uj", atomically: true, encoding: .utf8)
        try "core\n".write(toFile: core + "/name", atomically: true, encoding: .utf8)
        try "123456\n".write(toFile: core + "/energy_uj", atomically: true, encoding: .utf8)
        try "\(maxEnergyRangeMicrojoules)\n".write(toFile: core + "/max_energy_range_uj", atomically: true, encoding: .utf8)
        return package + "/energy_uj"
    }

    /// Lays out a hwmon tree under `root`: `class/hwmon/hwmon0` (coretemp, no power) and
    /// `class/hwmon/hwmon1` (power_meter with power1_average). Returns the power1_average path.
    public static func makeHwmonTree(at root: String) throws -> String {
        let hwmon = root + "/class/hwmon"
        for directory in [hwmon + "/hwmon0", hwmon + "/hwmon1"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "coretemp\n".write(toFile: hwmon + "/hwmon0/name", atomically: true, encoding: .utf8)
        try "45000\n".write(toFile: hwmon + "/hwmon0/temp1_input", atomically: true, encoding: .utf8)
        try "power_meter\n".write(toFile: hwmon + "/hwmon1/name", atomically: true, encoding: .utf8)
        try "40000000\n".write(toFile: hwmon + "/hwmon1/power1_average", atomically: true, encoding: .utf8)
        return hwmon + "/hwmon1/power1_average"
    }
}
