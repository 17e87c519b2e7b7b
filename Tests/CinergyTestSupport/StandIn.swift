import Foundation

/// A stand-in QEMU: a tiny program named `qemu-system-x86_64` that ignores its (real QEMU) arguments
/// and either burns one core or, with `CINERGY_STANDIN_IDLE=1` in its environment, sleeps. With
/// `CINERGY_STANDIN_LIFE_MS=N` it burns for N milliseconds (monotonic) and exits.
public enum StandIn {
    public static let source = """
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        static double now(void) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
        }
        int main(void) {
            if (getenv("CINERGY_STANDIN_IDLE")) { for (;;) pause(); }
            const char *life = getenv("CINERGY_STANDIN_LIFE_MS");
            double end = life ? now() + atof(life) : 0;
            volatile unsigned long spin = 0;
            for (;;) {
                spin++;
                if (life && (spin & 0xFFFFF) == 0 && now() >= end) return 0;
            }
        }
        """

    /// Compiles the stand-in into `directory` and returns its path.
    public static func build(in directory: String) throws -> String {
        try CProgram.build(source, named: "qemu-system-x86_64", in: directory, flags: ["-O0"], what: "the stand-in QEMU")
    }
}
