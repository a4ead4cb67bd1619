import BBFProcess
import Foundation

/// The dump programs: `bbf_dump` / `bbf_dumpall` (the engine's pg_dump built
/// for Babelfish), or for a plain PostgreSQL source `pg_dump` / `pg_dumpall`.
public struct DumpTools: Sendable {
    public var dump: String
    public var dumpall: String
    public var dumpVersion: String
    public var dumpallVersion: String

    /// Finds them in `binDirectory`, else on PATH, and asks their versions.
    public static func locate(binDirectory: String?, plain: Bool, environment: [String: String]) throws(PipelineError) -> DumpTools {
        let names = plain ? ("pg_dump", "pg_dumpall") : ("bbf_dump", "bbf_dumpall")
        let searchPath = binDirectory ?? environment["PATH"]
        func find(_ name: String) throws(PipelineError) -> String {
            guard let path = ToolProcess.find(name, path: searchPath) else {
                let place = binDirectory.map { "in \($0)" } ?? "on PATH"
                let fix =
                    plain
                    ? "install PostgreSQL's client tools of the server's version"
                    : "use the pipeline image (it ships them), or put the bin directory of a Babelfish build that has them first on PATH or pass --bin DIR"
                throw PipelineError(.tool, "\(name) was not found \(place): \(fix).")
            }
            return path
        }
        let dump = try find(names.0)
        let dumpall = try find(names.1)
        return DumpTools(dump: dump, dumpall: dumpall, dumpVersion: try version(of: dump), dumpallVersion: try version(of: dumpall))
    }

    static func version(of tool: String) throws(PipelineError) -> String {
        let result: ToolResult
        do {
            result = try ToolProcess.run(tool, ["--version"])
        } catch {
            throw PipelineError(.tool, "cannot run \(tool): \(error)")
        }
        guard result.succeeded else {
            throw PipelineError(.tool, "\(tool) --version \(result.statusDescription): \(result.errorTail())")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// "bbf_dump (PostgreSQL) 16.3" → (16, 3); the first MAJOR.MINOR word counts
    /// ("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" → (15, 20)).
    public static func majorMinor(ofVersionOutput text: String) -> (Int, Int)? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.first?.isNumber == true {
            let parts = word.split(separator: ".", maxSplits: 2).map { Int($0.prefix { $0.isNumber }) }
            if parts.count >= 2, let major = parts[0], let minor = parts[1] { return (major, minor) }
            if parts.count == 1, let major = parts[0] { return (major, 0) }
        }
        return nil
    }
}
