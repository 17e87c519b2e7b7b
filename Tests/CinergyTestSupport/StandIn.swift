import Foundation

/// A stand-in QEMU: a tiny program named `qemu-system-x86_64` that ignores its (real QEMU) arguments
/// and either burns one core or, with `CINERGY_STANDIN_IDLE=1` in its environment, sleeps.
public enum StandIn {
    public static let source = """
        #include <stdlib.h>
        #include <unistd.h>
        int main(void) {
            if (getenv("CINERGY_STANDIN_IDLE")) { for (;;) pause(); }
            volatile unsigned long spin = 0;
            for (;;) spin++;
        }
        """

    /// Compiles the stand-in into `directory` and returns its path.
    public static func build(in directory: String) throws -> String {
        try CProgram.build(source, named: "qemu-system-x86_64", in: directory, flags: ["-O0"], what: "the stand-in QEMU")
    }
}
