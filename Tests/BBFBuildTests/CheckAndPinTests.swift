import BBFBuild
import Testing

@Suite("bbf check and bbf pin")
struct CheckAndPinTests {
    static func repository() throws -> (Tool<MemoryRepositoryFiles>, MemoryRepositoryFiles) {
        let layout = RepositoryLayout(root: "/repo")
        let files = MemoryRepositoryFiles([layout.versionsPath: Fixtures.versionsJSON])
        let tool = Tool(layout: layout, files: files)
        _ = try tool.writeDockerfiles(line: nil)
        return (tool, files)
    }

    @Test("a clean repository passes, warning loudly about every unpinned checksum")
    func clean() throws {
        let (tool, _) = try Self.repository()
        let report = try tool.check()
        #expect(report.problems.isEmpty)
        #expect(report.passes(strict: false))
        #expect(!report.passes(strict: true))
        #expect(report.warnings.count == 3)
        #expect(report.warnings.contains { $0.contains("extensions-BABEL_4_2_0.tar.gz") && $0.contains("bbf pin --line 4.2") })
        #expect(report.verified.count == 5)
    }

    @Test("a hand-edited Dockerfile is drift: the check fails with a diff")
    func drift() throws {
        let (tool, files) = try Self.repository()
        let path = "/repo/docker/4.2/Dockerfile"
        files.files[path] = files.files[path]?.replacing("STOPSIGNAL SIGINT", with: "STOPSIGNAL SIGTERM")
        let report = try tool.check()
        #expect(!report.passes(strict: false))
        let problem = try #require(report.problems.first)
        #expect(problem.contains("docker/4.2/Dockerfile differs from what the generator renders"))
        #expect(problem.contains("-STOPSIGNAL SIGTERM\n+STOPSIGNAL SIGINT"))
    }

    @Test("missing, stale and non-canonical files are problems")
    func otherProblems() throws {
        let (tool, files) = try Self.repository()
        files.files["/repo/docker/5.2/ubuntu-24.04.Dockerfile"] = nil
        files.files["/repo/docker/5.2/fedora-40.Dockerfile"] = "FROM x\n"
        files.files["/repo/docker/3.1/Dockerfile"] = "FROM x\n"
        files.files["/repo/docker/scripts/helper.sh"] = "#!/bin/sh\n"
        files.files["/repo/versions.json"] = Fixtures.versionsJSON.replacing("  ", with: "    ")
        let problems = try tool.check().problems
        #expect(problems.contains { $0.hasPrefix("docker/5.2/ubuntu-24.04.Dockerfile is missing") })
        #expect(problems.contains { $0.hasPrefix("docker/5.2/fedora-40.Dockerfile is not generated") })
        #expect(problems.contains { $0.hasPrefix("docker/3.1/ belongs to no line") })
        #expect(problems.contains { $0.hasPrefix("versions.json is not in its canonical form") })
        #expect(!problems.contains { $0.contains("scripts") })
        #expect(try tool.format())
        #expect(!(try tool.format()))
    }

    @Test("listed patches must exist and every .patch file must be listed")
    func patches() throws {
        let (tool, files) = try Self.repository()
        var versions = try tool.versions()
        versions.lines["4.2"]?.patches = [PatchEntry(file: "0001-listed.patch", target: .extensions)]
        files.files["/repo/versions.json"] = versions.serialized()
        _ = try tool.writeDockerfiles(line: nil)
        files.files["/repo/patches/4.2/0002-unlisted.patch"] = "diff\n"
        files.files["/repo/patches/9.9/0001-orphan.patch"] = "diff\n"
        let problems = try tool.check().problems
        #expect(problems.contains { $0.contains(#"lines["4.2"].patches[0] lists patches/4.2/0001-listed.patch, which does not exist"#) })
        #expect(problems.contains { $0.contains("patches/4.2/0002-unlisted.patch is not listed") })
        #expect(problems.contains { $0.hasPrefix("patches/9.9/ belongs to no line") })
    }

    @Test("an invalid versions.json is reported by check, with every issue")
    func invalidVersions() throws {
        let (tool, files) = try Self.repository()
        files.files["/repo/versions.json"] = Fixtures.versionsJSON.replacing(#""postgres": "17.5""#, with: #""postgres": "17.x""#)
        let problems = try tool.check().problems
        #expect(problems.count == 1)
        #expect(problems.first?.contains(#"lines["5.2"].postgres: "17.x" is not a PostgreSQL version"#) == true)
    }

    struct FakeDownloader: Downloader {
        var contents: [String: [UInt8]]
        final class Log: @unchecked Sendable { var urls: [String] = [] }
        let log = Log()
        let store: FakeHasher

        func download(_ url: String, to path: String) throws(BuildToolError) {
            guard let bytes = contents[url] else { throw BuildToolError(.download, "404 \(url)") }
            log.urls.append(url)
            store.files.files[path] = String(decoding: bytes, as: UTF8.self)
        }
    }

    struct FakeHasher: FileHasher {
        let files = MemoryRepositoryFiles()
        func sha256(ofFile path: String) throws(BuildToolError) -> String {
            guard let text = files.files[path] else { throw BuildToolError(.fileSystem, "no \(path)") }
            return ArchiveDigest.sha256(of: Array(text.utf8))
        }
        func exists(_ path: String) -> Bool { files.files[path] != nil }
    }

    @Test("pin downloads only what is unpinned, records real digests and regenerates the Dockerfiles")
    func pinDownloads() throws {
        let (tool, files) = try Self.repository()
        let hasher = FakeHasher()
        let downloader = FakeDownloader(
            contents: [
                "https://example.invalid/releases/BABEL_5_2_0__PG_17_5/BABEL_5_2_0__PG_17_5.tar.gz": Array("release".utf8),
                "https://example.invalid/antlr/4.13.2.tar.gz": Array("antlr".utf8),
            ], store: hasher)
        let (result, written) = try tool.pin(
            PinRequest(lines: ["5.2"], downloadDirectory: "/tmp/d"), downloader: downloader, hasher: hasher
        ) { _ in }
        #expect(downloader.log.urls == ["https://example.invalid/releases/BABEL_5_2_0__PG_17_5/BABEL_5_2_0__PG_17_5.tar.gz"])
        #expect(
            result.skipped == [
                "line 5.2: antlr4-4.13.2.tar.gz", "line 5.2: pg_hint_plan-REL17_1_7_0.tar.gz", "line 5.2: postgis-3.5.2.tar.gz",
            ])
        let pinned = try tool.versions().lines["5.2"]?.checksums["BABEL_5_2_0__PG_17_5.tar.gz"]?.sha256
        #expect(pinned == ArchiveDigest.sha256(of: Array("release".utf8)))
        #expect(written.first == "versions.json")
        #expect(
            files.files["/repo/docker/5.2/Dockerfile"]?.contains(
                "verify BABEL_5_2_0__PG_17_5.tar.gz '\(ArchiveDigest.sha256(of: Array("release".utf8)))'") == true)
        #expect(try tool.check().problems.isEmpty)
    }

    @Test("pin refuses when an upstream archive no longer matches its pinned checksum, and changes nothing")
    func pinMismatch() throws {
        let (tool, files) = try Self.repository()
        let before = files.files
        let hasher = FakeHasher()
        let downloader = FakeDownloader(
            contents: [
                "https://example.invalid/releases/BABEL_5_2_0__PG_17_5/BABEL_5_2_0__PG_17_5.tar.gz": Array("release".utf8),
                "https://example.invalid/antlr/4.13.2.tar.gz": Array("tampered".utf8),
            ], store: hasher)
        let error = #expect(throws: BuildToolError.self) {
            try tool.pin(PinRequest(lines: ["5.2"], downloadDirectory: "/d", force: true), downloader: downloader, hasher: hasher) { _ in }
        }
        #expect(error?.code == .sourceVerification)
        #expect(error?.message.contains("the upstream archive changed") == true)
        #expect(files.files == before)
    }

    @Test("pin --local-archives records local-archive checksums, never the upstream ones")
    func pinLocal() throws {
        let (tool, _) = try Self.repository()
        let hasher = FakeHasher()
        for file in [
            "engine-BABEL_4_2_0__PG_16_3.tar.gz", "extensions-BABEL_4_2_0.tar.gz", "antlr4-4.9.3.tar.gz", "pg_hint_plan-REL16_1_6_0.tar.gz",
            "postgis-3.4.0.tar.gz",
        ] {
            hasher.files.files["/archives/\(file)"] = file
        }
        let downloader = FakeDownloader(contents: [:], store: hasher)
        let error = #expect(throws: BuildToolError.self) {
            try tool.pin(
                PinRequest(lines: ["4.2"], localArchives: "/archives", downloadDirectory: "/d"), downloader: downloader, hasher: hasher
            ) { _ in }
        }
        #expect(error?.message.contains("records 2222") == true, "a differing recorded local checksum needs --force")
        _ = try tool.pin(
            PinRequest(lines: ["4.2"], localArchives: "/archives", downloadDirectory: "/d", force: true), downloader: downloader,
            hasher: hasher
        ) { _ in }
        let line = try #require(try tool.versions().lines["4.2"])
        #expect(
            line.checksums["extensions-BABEL_4_2_0.tar.gz"]
                == Checksum(sha256: nil, localArchiveSha256: ArchiveDigest.sha256(of: Array("extensions-BABEL_4_2_0.tar.gz".utf8))))
        #expect(line.checksums["antlr4-4.9.3.tar.gz"]?.sha256 == String(repeating: "1", count: 64), "upstream checksums are left alone")
    }
}
