import BBFBuild
import BBFProcess
import BBFSystem
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// The repository root (this file is Tests/BBFBuildTests/TestSupport.swift).
    static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 {
            if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) }
        }
        return path
    }()

    static var layout: RepositoryLayout { RepositoryLayout(root: repositoryRoot) }

    static func realVersions() throws -> Versions {
        try layout.loadVersions(LiveRepositoryFiles())
    }

    /// The line the real-build tests build: BBF_TEST_LINE, else the first whose archives are all in `sources`.
    static func lineWithArchives(in sources: String, versions: Versions, environment: [String: String]) throws -> String {
        try #require(
            environment["BBF_TEST_LINE"]
                ?? versions.lineNames.first { name in
                    versions.lines[name].map { versions.sources(for: $0).allSatisfy { FileSystem.exists(sources + "/" + $0.file) } }
                        ?? false
                }, "no line has all its archives in \(sources)")
    }

    static func fixture() throws -> Versions {
        try Versions.parse(Fixtures.versionsJSON)
    }

    /// The fixture's text with `target` replaced by `replacement` (which must occur).
    static func fixtureText(replacing target: String, with replacement: String) -> String {
        #expect(Fixtures.versionsJSON.contains(target), "fixture has no \(target)")
        return Fixtures.versionsJSON.replacing(target, with: replacement)
    }

    /// The issues parsing `text` reports (empty when it parses).
    static func issues(_ text: String) -> [ValidationIssue] {
        do {
            _ = try Versions.parse(text)
            return []
        } catch {
            return error.issues
        }
    }

    /// An executable this package built, or nil: next to the test binary
    /// first (the build being tested: the test target depends on bbf) unless
    /// `nextToTests` is false, then `.build/<configuration>/` for each configuration given.
    static func builtExecutable(_ name: String, configurations: [String] = ["debug", "release"], nextToTests: Bool = true) -> String? {
        var candidates: [String] = []
        if nextToTests, let testBinary = try? FileSystem.symlinkTarget("/proc/self/exe") {
            candidates.append(FileSystem.parent(of: testBinary) + "/" + name)
        }
        candidates += configurations.map { repositoryRoot + "/.build/\($0)/" + name }
        return candidates.first { FileSystem.isExecutable($0) }
    }

    /// Runs bbf with `arguments`, capturing its output.
    static func bbf(_ arguments: [String], environment: [String: String] = ProcessEnvironment.current()) throws -> ProcessResult {
        let executable = try #require(builtExecutable("bbf"), "the bbf executable is not built")
        return try ProcessRunner.run(executable, arguments, environment: environment)
    }

    /// A scratch repository holding the fixture versions.json, its generated
    /// Dockerfiles, an empty Package.swift and this repository's bbf-entrypoint
    /// package (what the image build copies); removed by the caller.
    static func scratchRepository() throws -> (layout: RepositoryLayout, cleanup: () -> Void) {
        let root = try FileSystem.makeTemporaryDirectory(prefix: "bbf-test-")
        let layout = RepositoryLayout(root: root)
        let files = LiveRepositoryFiles()
        try files.write(layout.versionsPath, Fixtures.versionsJSON)
        try files.write(layout.path("Package.swift"), "// scratch\n")
        try Generator.write(try Generator.render(try fixture()), layout: layout, files: files)
        try EntrypointPackage.stage(from: Self.layout, into: root, as: .repository)
        return (layout, { try? FileSystem.removeTree(root) })
    }

    /// A stand-in for docker in `directory`: `info` succeeds, `build` prints
    /// a line and fails. Returns its path.
    static func stubEngine(in directory: String) throws -> String {
        let path = directory + "/stub-docker"
        let script = """
            #!/bin/sh
            case "$1" in
            info) echo "Server Version: stub"; exit 0 ;;
            build) echo "stub engine: build failed" >&2; exit 1 ;;
            esac
            exit 2

            """
        try FileSystem.writeAtomically(path, script, permissions: 0o755)
        return path
    }

    /// Every file under `root`, relative path → content.
    static func snapshot(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ relative: String) throws {
            let path = relative.isEmpty ? root : root + "/" + relative
            guard let info = try FileSystem.info(path) else { return }
            if info.kind == .directory {
                for name in try FileSystem.contents(ofDirectory: path) {
                    try walk(relative.isEmpty ? name : relative + "/" + name)
                }
            } else if info.kind == .regular {
                result[relative] = try FileSystem.readText(path)
            }
        }
        try walk("")
        return result
    }

    static func which(_ name: String) -> String? {
        findExecutable(name, path: ProcessEnvironment.current()["PATH"])
    }
}
