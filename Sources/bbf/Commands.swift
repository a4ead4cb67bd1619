import ArgumentParser
import BBFBuild
import BBFSystem

struct DockerfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dockerfile", abstract: "Render the Dockerfiles from versions.json (default: every line's files under docker/).")

    @OptionGroup var repository: RepositoryOptions
    @Option(help: "Only this line (e.g. 5.2).") var line: String?
    @Option(help: "With --output: the distribution (default: the line's own).") var distribution: String?
    @Option(help: "Write one Dockerfile to this path instead (- for standard output); needs --line.") var output: String?
    @Option(
        help: "With --output: base image baked in as the default: IMAGE (build and runtime), build=IMAGE, runtime=IMAGE or swift=IMAGE.")
    var base: [String] = []

    func validate() throws {
        if output == nil && (!base.isEmpty || distribution != nil) {
            throw ValidationError(
                "--base and --distribution need --output: the files under docker/ always use versions.json's images (override them at build time with bbf build --base)."
            )
        }
        if output != nil && line == nil {
            throw ValidationError("--output needs --line (one Dockerfile is written).")
        }
        _ = try ImageOverrides.validated(base)
    }

    func run() throws {
        let tool = try repository.tool()
        guard let output, let line else {
            let written = try reporting { () throws(BuildToolError) in try tool.writeDockerfiles(line: line) }
            Console.out(written.isEmpty ? "Dockerfiles are up to date." : written.map { "wrote \($0)" }.joined(separator: "\n"))
            return
        }
        let text = try reporting { () throws(BuildToolError) in
            try tool.renderDockerfile(line: line, distribution: distribution, overrides: try ImageOverrides.parse(base))
        }
        if output == "-" {
            Console.out(String(text.dropLast()))
        } else {
            try reporting { () throws(BuildToolError) in try LiveRepositoryFiles().write(output, text) }
            Console.out("wrote \(output)")
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check versions.json, that every committed Dockerfile is what the generator renders, and that listed patches exist.")

    @OptionGroup var repository: RepositoryOptions
    @Flag(help: "Also fail while any archive's sha256 is not pinned (for release CI).") var strict = false

    func run() throws {
        let tool = try repository.tool()
        let report = try reporting { () throws(BuildToolError) in try tool.check() }
        for problem in report.problems { Console.error("error: \(problem)") }
        for warning in report.warnings { Console.error("\(strict ? "error" : "WARNING"): \(warning)") }
        if report.passes(strict: strict) {
            Console.out(report.summary(strict: strict))
        } else {
            Console.error(report.summary(strict: strict))
            throw ExitCode(1)
        }
    }
}

struct BumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bump", abstract: "Move a line to a new PostgreSQL/Babelfish pairing: validate, update versions.json, regenerate.")

    @OptionGroup var repository: RepositoryOptions
    @Option(help: "The line (Babelfish MAJOR.MINOR, e.g. 5.2).") var line: String
    @Option(help: "PostgreSQL version, MAJOR.MINOR (e.g. 17.5).") var postgres: String
    @Option(help: "Babelfish version, MAJOR.MINOR.PATCH (e.g. 5.2.0).") var babelfish: String
    @Option(help: "ANTLR version (default: unchanged).") var antlr: String?
    @Option(help: "Start a new line as a copy of this one (its distribution and source layout).") var from: String?
    @Option(help: "How the line's Babelfish sources are fetched (default: unchanged).") var sourceLayout: SourceLayout?
    @Flag(
        inversion: .prefixedNo,
        help: "Ask upstream (curl, 15 s) whether the new archives exist, and refuse versions it has no archive for.")
    var verifyUpstream = true
    @Flag(help: "Show the change without writing anything.") var dryRun = false

    func run() throws {
        let tool = try repository.tool()
        let environment = ProcessEnvironment.current()
        let outcome = try reporting { () throws(BuildToolError) in
            let request = BumpRequest(
                line: line, postgres: postgres, babelfish: babelfish, antlr: antlr, from: from, sourceLayout: sourceLayout)
            let probe = verifyUpstream ? CurlProbe(curl: findExecutable("curl", path: environment["PATH"]), environment: environment) : nil
            return try tool.bump(request, dryRun: dryRun, probe: probe)
        }
        let result = outcome.result
        if result.isNoOp {
            Console.out("line \(line) already has PostgreSQL \(postgres) and Babelfish \(babelfish): nothing to change.")
            return
        }
        Console.out(result.changes.map { "  \($0)" }.joined(separator: "\n"))
        for file in result.clearedChecksums { Console.out("  dropped the checksums of \(file) (no longer used)") }
        for file in result.unpinnedFiles {
            Console.out("  \(file): sha256 not known yet (run bbf pin --line \(line) on a machine with internet)")
        }
        for note in result.notes { Console.out("  note: \(note)") }
        for remark in outcome.upstream { Console.out("  \(remark)") }
        if dryRun {
            Console.out("dry run: nothing written. versions.json would change like this:\n\(outcome.diff)")
        } else {
            Console.out(outcome.written.map { "wrote \($0)" }.joined(separator: "\n"))
        }
    }
}

struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Fill in missing sha256 checksums by downloading the archives (needs internet), or record local-archive checksums.")

    @OptionGroup var repository: RepositoryOptions
    @Option(help: "Only this line (repeatable; default: every line).") var line: [String] = []
    @Option(help: "Record localArchiveSha256 from the archives in this directory (made with git archive) instead of downloading.")
    var localArchives: String?
    @Option(help: "Keep downloaded archives in this directory (usable later with bbf build --sources).") var downloadTo: String?
    @Flag(help: "Download and check archives that are already pinned too; replace a differing local-archive checksum.") var force = false

    func validate() throws {
        if localArchives != nil && downloadTo != nil {
            throw ValidationError("--download-to has no effect with --local-archives (nothing is downloaded): pass one of them.")
        }
    }

    func run() throws {
        let tool = try repository.tool()
        let environment = ProcessEnvironment.current()
        let scratch: String
        if let downloadTo {
            scratch = downloadTo
        } else {
            do {
                scratch = try FileSystem.makeTemporaryDirectory(prefix: "bbf-pin-")
            } catch {
                throw fail(BuildToolError(.fileSystem, "cannot create a temporary directory: \(error)"))
            }
        }
        defer { if downloadTo == nil { try? FileSystem.removeTree(scratch) } }
        let (result, written) = try reporting { () throws(BuildToolError) in
            guard localArchives != nil || findExecutable("curl", path: environment["PATH"]) != nil else {
                throw BuildToolError(.download, "bbf pin downloads with curl, which is not on PATH: install curl.")
            }
            let downloader = CurlDownloader(curl: findExecutable("curl", path: environment["PATH"]) ?? "curl")
            let request = PinRequest(lines: line, localArchives: localArchives, downloadDirectory: scratch, force: force)
            return try tool.pin(request, downloader: downloader, hasher: LiveFileHasher()) { Console.error($0) }
        }
        for entry in result.recorded { Console.out("recorded \(entry)") }
        for entry in result.skipped { Console.out("already pinned: \(entry)") }
        Console.out(written.isEmpty ? "nothing changed." : written.map { "wrote \($0)" }.joined(separator: "\n"))
    }
}

struct FormatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "format", abstract: "Rewrite versions.json in its canonical form (fixed key order, sorted maps).")

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let tool = try repository.tool()
        let changed = try reporting { () throws(BuildToolError) in try tool.format() }
        Console.out(changed ? "wrote versions.json" : "versions.json is already canonical.")
    }
}
