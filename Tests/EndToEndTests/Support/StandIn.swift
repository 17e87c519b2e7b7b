import Foundation

/// A stand-in QEMU: a tiny program named `qemu-system-x86_64` that ignores its (real QEMU) arguments
/// and either burns one core or, with `CINERGY_STANDIN_IDLE=1` in its environment, sleeps.
enum StandIn {
    static let source = """
        #include <stdlib.h>
        #include <unistd.h>
        int main(void) {
            if (getenv("CINERGY_STANDIN_IDLE")) { for (;;) pause(); }
            volatile unsigned long spin = 0;
            for (;;) spin++;
        }
        """

    /// Compiles the stand-in into `directory` and returns its path.
    static func build(in directory: String) throws -> String {
        guard let compiler = ["cc", "clang", "gcc"].lazy.compactMap(Kernel.which).first else {
            throw TestFailure("no C compiler (cc, clang or gcc) on PATH to build the stand-in QEMU")
        }
        let sourcePath = directory + "/standin.c"
        let binary = directory + "/qemu-system-x86_64"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-O0", "-o", binary, sourcePath]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("\(compiler) failed to build the stand-in") }
        return binary
    }
}
