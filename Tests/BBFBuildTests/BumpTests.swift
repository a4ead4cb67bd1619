import BBFBuild
import Testing

@Suite("bbf bump")
struct BumpTests {
    @Test("a patch bump updates the line, keeps the ANTLR checksum, clears the ones that no longer apply")
    func patchBump() throws {
        let versions = try TestSupport.fixture()
        let result = try Bump.apply(BumpRequest(line: "4.2", postgres: "16.4", babelfish: "4.2.1"), to: versions)
        let line = try #require(result.versions.lines["4.2"])
        #expect(line.engineTag == "BABEL_4_2_1__PG_16_4")
        #expect(line.extensionsTag == "BABEL_4_2_1")
        #expect(line.antlr == "4.9.3")
        #expect(
            line.checksums.keys.sorted() == [
                "antlr4-4.9.3.tar.gz", "engine-BABEL_4_2_1__PG_16_4.tar.gz", "extensions-BABEL_4_2_1.tar.gz",
                "pg_hint_plan-REL16_1_6_0.tar.gz", "postgis-3.4.0.tar.gz",
            ])
        #expect(line.checksums["antlr4-4.9.3.tar.gz"] == versions.lines["4.2"]?.checksums["antlr4-4.9.3.tar.gz"])
        #expect(line.checksums["engine-BABEL_4_2_1__PG_16_4.tar.gz"] == Checksum())
        #expect(result.clearedChecksums == ["engine-BABEL_4_2_0__PG_16_3.tar.gz"])
        #expect(result.unpinnedFiles == ["engine-BABEL_4_2_1__PG_16_4.tar.gz", "extensions-BABEL_4_2_1.tar.gz"])
        #expect(result.changes.contains("postgres 16.3 → 16.4"))
        #expect(result.versions.lines["5.2"] == versions.lines["5.2"], "other lines are untouched")
    }

    @Test("round trip: bumping and bumping back restores versions.json except the checksums that had to go")
    func roundTrip() throws {
        let original = try TestSupport.fixture()
        let up = try Bump.apply(BumpRequest(line: "5.2", postgres: "17.6", babelfish: "5.2.1", antlr: "4.13.3"), to: original)
        let reparsed = try Versions.parse(up.versions.serialized())
        #expect(reparsed == up.versions)
        let down = try Bump.apply(BumpRequest(line: "5.2", postgres: "17.5", babelfish: "5.2.0", antlr: "4.13.2"), to: reparsed)
        var expected = original
        expected.lines["5.2"]?.checksums["antlr4-4.13.2.tar.gz"] = Checksum()
        #expect(down.versions == expected)
        let diff = UnifiedDiff.diff(old: Fixtures.versionsJSON, new: up.versions.serialized(), oldName: "a", newName: "b")
        let changed = diff.split(separator: "\n").filter {
            ($0.hasPrefix("+") || $0.hasPrefix("-")) && !$0.hasPrefix("+++") && !$0.hasPrefix("---")
        }
        // postgres, babelfish, antlr, the two renamed checksum keys and the cleared ANTLR sha256: six lines.
        #expect(changed.count == 12, "a bump is a small diff:\n\(diff)")
    }

    @Test("an unchanged pairing is a no-op")
    func noOp() throws {
        let result = try Bump.apply(BumpRequest(line: "5.2", postgres: "17.5", babelfish: "5.2.0"), to: try TestSupport.fixture())
        #expect(result.isNoOp)
        #expect(result.versions == (try TestSupport.fixture()))
    }

    @Test("a new line can start as a copy of another (distribution and layout, no patches or checksums)")
    func newLine() throws {
        var versions = try TestSupport.fixture()
        versions.lines["5.2"]?.patches = [PatchEntry(file: "0001-x.patch", target: .engine)]
        let result = try Bump.apply(BumpRequest(line: "5.3", postgres: "17.6", babelfish: "5.3.0", from: "5.2"), to: versions)
        let line = try #require(result.versions.lines["5.3"])
        #expect(line.sourceLayout == .releaseTarball)
        #expect(line.patches.isEmpty)
        #expect(line.checksums.values.allSatisfy { $0.isEmpty })
        #expect(result.notes.contains { $0.contains("patches of line 5.2 were not copied") })
        #expect(result.versions.defaultLine == "5.2")
    }

    /// A refused bump: the arguments and words the message must carry.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var request: BumpRequest
        var message: String
        var testDescription: String { message }
    }

    static let refusals: [Refusal] = [
        Refusal(
            request: BumpRequest(line: "5.2", postgres: "17", babelfish: "5.2.1"), message: "--postgres 17 is not a PostgreSQL version"),
        Refusal(
            request: BumpRequest(line: "5.2", postgres: "17.5", babelfish: "5.2"), message: "--babelfish 5.2 is not a Babelfish version"),
        Refusal(
            request: BumpRequest(line: "5.2", postgres: "17.5", babelfish: "5.2.1", antlr: "x"),
            message: "--antlr x is not an ANTLR version"),
        Refusal(
            request: BumpRequest(line: "5.2", postgres: "16.3", babelfish: "5.2.1"), message: "Babelfish 5.x is built on PostgreSQL 17"),
        Refusal(request: BumpRequest(line: "5.2", postgres: "18.1", babelfish: "5.2.1"), message: "needs pg_upgrade"),
        Refusal(request: BumpRequest(line: "5.2", postgres: "17.6", babelfish: "5.3.0"), message: "belongs to line 5.3, not 5.2"),
        Refusal(request: BumpRequest(line: "4.2", postgres: "17.5", babelfish: "5.2.1"), message: "bump line 5.2 instead"),
        Refusal(request: BumpRequest(line: "6.0", postgres: "18.0", babelfish: "6.0.0"), message: "there is no line 6.0"),
        Refusal(request: BumpRequest(line: "5.2", postgres: "17.5", babelfish: "5.2.1", from: "4.2"), message: "line 5.2 already exists"),
        Refusal(request: BumpRequest(line: "5.3", postgres: "17.6", babelfish: "5.3.0", from: "9.9"), message: "--from 9.9 is not a line"),
    ]

    @Test("nonsense is refused with a message saying why and that nothing changed", arguments: refusals)
    func refused(_ refusal: Refusal) throws {
        let error = #expect(throws: BuildToolError.self) { try Bump.apply(refusal.request, to: try TestSupport.fixture()) }
        #expect(error?.code == .refusedBump)
        #expect(error?.message.contains(refusal.message) == true, "\(error?.message ?? "")")
        #expect(error?.message.hasSuffix("Nothing was changed.") == true)
    }

    @Test("through the Tool, a bump rewrites versions.json and regenerates the Dockerfiles; a refusal writes nothing")
    func toolWritesOrNothing() throws {
        let layout = RepositoryLayout(root: "/repo")
        let files = MemoryRepositoryFiles([layout.versionsPath: Fixtures.versionsJSON])
        let tool = Tool(layout: layout, files: files)
        _ = try tool.writeDockerfiles(line: nil)
        let before = files.files
        #expect(throws: BuildToolError.self) {
            try tool.bump(BumpRequest(line: "5.2", postgres: "16.1", babelfish: "5.2.1"), dryRun: false)
        }
        #expect(files.files == before)
        let dry = try tool.bump(BumpRequest(line: "5.2", postgres: "17.6", babelfish: "5.2.1"), dryRun: true)
        #expect(dry.written.isEmpty)
        #expect(files.files == before)
        #expect(dry.diff.contains("+      \"postgres\": \"17.6\","))
        let done = try tool.bump(BumpRequest(line: "5.2", postgres: "17.6", babelfish: "5.2.1"), dryRun: false)
        #expect(done.written == ["versions.json", "docker/5.2/Dockerfile", "docker/5.2/ubuntu-24.04.Dockerfile"])
        #expect(files.files["/repo/docker/5.2/Dockerfile"]?.contains("BABEL_5_2_1__PG_17_6") == true)
        #expect(try tool.check().problems.isEmpty)
    }
}
