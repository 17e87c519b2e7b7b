import Foundation

/// Small C programs the end-to-end tests and benchmarks compile on the spot.
public enum CProgram {
    /// Compiles `source` with the first of cc, clang and gcc on PATH into `directory/name` and
    /// returns the binary's path; `what` names the program in errors.
    public static func build(_ source: String, named name: String, in directory: String, flags: [String], what: String) throws -> String {
        guard let compiler = ["cc", "clang", "gcc"].lazy.compactMap(Kernel.which).first else {
            throw TestFailure("no C compiler (cc, clang or gcc) on PATH to build \(what)")
        }
        let sourcePath = "\(directory)/\(name).c"
        let binary = "\(directory)/\(name)"
        let log = "\(directory)/\(name)-cc.log"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let child = try ChildProcess("cc", executable: compiler, arguments: flags + ["-o", binary, sourcePath], logFile: log)
        guard child.waitUntilExit() == 0 else {
            throw TestFailure("\(compiler) failed to build \(what): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        return binary
    }
}
