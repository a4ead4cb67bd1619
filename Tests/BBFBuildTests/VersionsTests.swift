import BBFBuild
import Testing

@Suite("versions.json schema and validation")
struct VersionsTests {
    @Test("the fixture and the repository's versions.json are valid and in canonical form")
    func validFiles() throws {
        let fixture = try TestSupport.fixture()
        #expect(fixture.serialized() == Fixtures.versionsJSON)
        let real = try TestSupport.realVersions()
        let text = try #require(try LiveRepositoryFiles().read(TestSupport.layout.versionsPath))
        #expect(real.serialized() == text, "run bbf format")
        #expect(real.defaultLine == "5.2")
        #expect(real.lines["5.2"]?.engineTag == "BABEL_5_2_0__PG_17_5")
        #expect(real.lines["5.2"]?.extensionsTag == "BABEL_5_2_0")
        #expect(real.lines["4.2"]?.engineTag == "BABEL_4_2_0__PG_16_3")
        #expect(real.lines["4.2"]?.antlr == "4.9.3")
        #expect(real.lines["5.2"]?.antlr == "4.13.2")
    }

    /// A broken fixture: what to replace, with what, and the path and words the error must carry.
    struct BadInput: Sendable, CustomTestStringConvertible {
        var target: String
        var replacement: String
        var path: String
        var problem: String
        var testDescription: String { "\(path): \(problem)" }
    }

    static let badInputs: [BadInput] = [
        BadInput(
            target: #""sourceLayout": "release-tarball""#, replacement: #""sourceLayout": "tarball""#,
            path: #"lines["5.2"].sourceLayout"#, problem: #""tarball" is not a source layout"#),
        BadInput(
            target: #""postgres": "17.5""#, replacement: #""postgres": "17""#, path: #"lines["5.2"].postgres"#,
            problem: "not a PostgreSQL version"),
        BadInput(
            target: #""postgres": "17.5""#, replacement: #""postgres": 17.5"#, path: #"lines["5.2"].postgres"#,
            problem: "expected a string, found a number"),
        BadInput(
            target: #""postgres": "17.5""#, replacement: #""postgres": "16.5""#, path: #"lines["5.2"].postgres"#,
            problem: "built on PostgreSQL 17, not 16"),
        BadInput(
            target: #""babelfish": "5.2.0""#, replacement: #""babelfish": "5.3.0""#, path: #"lines["5.2"].babelfish"#,
            problem: "does not belong to line \"5.2\""),
        BadInput(
            target: #""babelfish": "5.2.0""#, replacement: #""babelfish": "5.2""#, path: #"lines["5.2"].babelfish"#,
            problem: "not a Babelfish version"),
        BadInput(
            target: #""antlr": "4.13.2""#, replacement: #""antlr": "latest""#, path: #"lines["5.2"].antlr"#, problem: "not an ANTLR version"
        ),
        BadInput(
            target: #""defaultLine": "5.2""#, replacement: #""defaultLine": "9.9""#, path: "defaultLine", problem: "not one of the lines"),
        BadInput(
            target: #""sourceLayout": "git-tags""#, replacement: #""sourceLayout": "zip""#, path: #"lines["4.2"].sourceLayout"#,
            problem: "not a source layout"),
        BadInput(
            target: #""distribution": "debian-12",\#n      "patches": [],\#n      "postgres": "17.5""#,
            replacement: #""distribution": "debian-13",\#n      "patches": [],\#n      "postgres": "17.5""#,
            path: #"lines["5.2"].distribution"#, problem: "not one of the distributions"),
        BadInput(
            target: #""sha256": "3333333333333333333333333333333333333333333333333333333333333333""#, replacement: #""sha256": "TODO""#,
            path: #"lines["5.2"].checksums["antlr4-4.13.2.tar.gz"].sha256"#, problem: "not a sha256"),
        BadInput(
            target: #""antlr4-4.13.2.tar.gz": {"#, replacement: #""antlr4-4.13.1.tar.gz": {"#,
            path: #"lines["5.2"].checksums["antlr4-4.13.2.tar.gz"]"#, problem: "no entry for an archive this line uses"),
        BadInput(
            target: #""antlr4-4.13.2.tar.gz": {"#, replacement: #""antlr4-4.13.1.tar.gz": {"#,
            path: #"lines["5.2"].checksums["antlr4-4.13.1.tar.gz"]"#, problem: "not an archive of this line"),
        BadInput(
            target: #""runtime": "debian:bookworm-slim""#, replacement: #""runtime": "debian""#,
            path: #"distributions["debian-12"].images.runtime"#, problem: "has no tag"),
        BadInput(
            target: #""runtime": "debian:bookworm-slim""#, replacement: #""runtime": "debian:bookworm@sha256:abc""#,
            path: #"distributions["debian-12"].images.runtime"#, problem: "malformed digest"),
        BadInput(
            target: #""swift": "swift:{swift}-bookworm""#, replacement: #""swift": "swift:{swiftVersion}-bookworm""#,
            path: #"distributions["debian-12"].images.swift"#, problem: "unknown placeholder {swiftVersion}"),
        BadInput(
            target: #""libicu72","#, replacement: #""libicu72 libxml2","#, path: #"distributions["debian-12"].packages.runtime[0]"#,
            problem: "not a package name"),
        BadInput(
            target: #""file": "antlr4-{antlr}.tar.gz""#, replacement: #""file": "antlr4-{antlr}.zip""#, path: "sources.antlr.file",
            problem: "not a .tar.gz file name"),
        BadInput(
            target: #""url": "https://example.invalid/antlr/{antlr}.tar.gz""#, replacement: #""url": "ftp://example.invalid/{tag}.tar.gz""#,
            path: "sources.antlr.url", problem: "unknown placeholder {tag}"),
        BadInput(
            target: #""repository": "example/babelfish""#, replacement: #""repository": "Example/Babelfish""#, path: "image.repository",
            problem: "not a valid repository name"),
        BadInput(target: #""schemaVersion": 1"#, replacement: #""schemaVersion": 2"#, path: "schemaVersion", problem: "not supported"),
        BadInput(target: #""swift": "6.3.1""#, replacement: #""swift": "6.3.1", "colour": "blue""#, path: "colour", problem: "unknown key"),
        BadInput(
            target: #""swift": "6.3.1""#, replacement: #""swift": "6.3.1", "swift": "6.2""#, path: "swift", problem: "the key appears twice"
        ),
        BadInput(
            target: #""patches": []"#, replacement: #""patches": [{"file": "../evil.patch", "target": "engine"}]"#,
            path: #"lines["4.2"].patches[0].file"#, problem: "not a patch file name"),
        BadInput(
            target: #""patches": []"#, replacement: #""patches": [{"file": "0001-x.patch", "target": "kernel"}]"#,
            path: #"lines["4.2"].patches[0].target"#, problem: "not a patch target"),
        BadInput(
            target: #""tsqlCPPFLAGS": """#, replacement: #""tsqlCPPFLAGS": "$(touch /tmp/x)""#,
            path: #"distributions["debian-12"].compilerFlags.tsqlCPPFLAGS"#, problem: "not a list of compiler flags"),
        BadInput(target: #""image": {"#, replacement: #""imag": {"#, path: "image", problem: "missing"),
        BadInput(
            target: #""antlr": "4.13.2","#, replacement: #""antlr": "4.13.2", "antler": "4.13.2","#, path: #"lines["5.2"].antler"#,
            problem: "unknown key"),
        BadInput(
            target: #""libicu72","#, replacement: "72,", path: #"distributions["debian-12"].packages.runtime[0]"#,
            problem: "expected a string, found a number"),
        BadInput(
            target: #""entrypointBuild": [\#n          "libpq-dev"\#n        ],"#, replacement: #""entrypointBuild": "libpq-dev","#,
            path: #"distributions["debian-12"].packages.entrypointBuild"#, problem: "expected an array of strings, found a string"),
        BadInput(
            target: #""pipeline": [\#n          "awscli",\#n          "ca-certificates",\#n          "skopeo"\#n        ],"#,
            replacement: "",
            path: #"distributions["debian-12"].packages.pipeline"#, problem: "missing"),
        BadInput(
            target: #""pipeline": [\#n          "ca-certificates",\#n          "skopeo"\#n        ],"#, replacement: #""pipeline": [],"#,
            path: #"distributions["ubuntu-24.04"].packages.pipeline"#, problem: "no packages"),
        BadInput(
            target: #""awscli","#, replacement: #""libpq-dev","#, path: #"distributions["debian-12"].packages.pipeline[0]"#,
            problem: "is a build package; the pipeline image holds no toolchain"),
        BadInput(
            target: #""awscli","#, replacement: #""build-essential","#, path: #"distributions["debian-12"].packages.pipeline[0]"#,
            problem: "is a build package"),
        BadInput(
            target: #""bbfBuild": [\#n          "zlib1g-dev"\#n        ],"#,
            replacement: #""bbfBuild": [\#n          "libpq-dev"\#n        ],"#,
            path: #"distributions["debian-12"].packages.bbfBuild[0]"#, problem: "is already in entrypointBuild"),
        BadInput(
            target: #""bbfBuild": [],"#, replacement: #""bbfBuild": "zlib1g-dev","#,
            path: #"distributions["ubuntu-24.04"].packages.bbfBuild"#,
            problem: "expected an array of strings, found a string"),
        BadInput(
            target: #""patches": [],\#n      "postgres": "17.5""#, replacement: #""patches": {},\#n      "postgres": "17.5""#,
            path: #"lines["5.2"].patches"#, problem: "expected an array, found an object"),
        BadInput(
            target: #""repository": "example/babelfish""#, replacement: #""repository": null"#, path: "image.repository",
            problem: "expected a string, found null"),
        BadInput(
            target: #""localArchiveSha256": "2222222222222222222222222222222222222222222222222222222222222222","#, replacement: "",
            path: #"lines["4.2"].checksums["engine-BABEL_4_2_0__PG_16_3.tar.gz"].localArchiveSha256"#, problem: "missing"),
        BadInput(
            target: #""schemaVersion": 1"#, replacement: #""schemaVersion": "1""#, path: "schemaVersion", problem: "expected an integer"),
        BadInput(
            target: #""swift": "6.3.1"\#n}"#, replacement: #""swift": "6.3.1",\#n  "lines": []\#n}"#, path: "lines",
            problem: "the key appears twice"),
    ]

    @Test("each bad input gives an error naming its JSON path and a fix", arguments: badInputs)
    func badInput(_ input: BadInput) throws {
        let issues = TestSupport.issues(TestSupport.fixtureText(replacing: input.target, with: input.replacement))
        let matching = issues.filter { $0.path.description == input.path }
        #expect(!matching.isEmpty, "no issue at \(input.path); got: \(issues)")
        #expect(matching.contains { $0.problem.contains(input.problem) }, "got: \(matching)")
        #expect(matching.allSatisfy { !$0.fix.isEmpty })
    }

    @Test("a JSON syntax error names versions.json, the line and the column")
    func syntaxError() {
        let error = #expect(throws: BuildToolError.self) {
            try Versions.parse(TestSupport.fixtureText(replacing: #""schemaVersion": 1,"#, with: #""schemaVersion": 1"#))
        }
        #expect(error?.code == .unreadableVersions)
        #expect(error?.message.contains("versions.json is not valid JSON: line 114, column 3") == true, "\(error?.message ?? "")")
    }

    @Test("every problem is reported at once, not just the first")
    func allProblems() {
        var text = TestSupport.fixtureText(replacing: #""postgres": "17.5""#, with: #""postgres": "x""#)
        text = text.replacing(#""antlr": "4.9.3""#, with: #""antlr": "four""#)
        let issues = TestSupport.issues(text)
        #expect(issues.map(\.path.description).contains(#"lines["5.2"].postgres"#))
        let second = TestSupport.issues(TestSupport.fixtureText(replacing: #""antlr": "4.9.3""#, with: #""antlr": "four""#))
        #expect(second.map(\.path.description) == [#"lines["4.2"].antlr"#])
        let error = #expect(throws: BuildToolError.self) { try Versions.parse(text) }
        #expect(error?.code == .invalidVersions)
        #expect(error?.description.contains("fix:") == true)
    }

    @Test("sources resolve per layout: one release tarball or two repository archives, then ANTLR")
    func resolvedSources() throws {
        let versions = try TestSupport.fixture()
        let release = versions.sources(for: try versions.line(named: "5.2"))
        #expect(release.map(\.role) == [.release, .antlr])
        #expect(release[0].url == "https://example.invalid/releases/BABEL_5_2_0__PG_17_5/BABEL_5_2_0__PG_17_5.tar.gz")
        #expect(release[0].directory == "BABEL_5_2_0__PG_17_5")
        let tags = versions.sources(for: try versions.line(named: "4.2"))
        #expect(tags.map(\.file) == ["engine-BABEL_4_2_0__PG_16_3.tar.gz", "extensions-BABEL_4_2_0.tar.gz", "antlr4-4.9.3.tar.gz"])
        #expect(tags[1].checksum == Checksum())
        #expect(tags[0].checksum.localArchiveSha256 == String(repeating: "2", count: 64))
        #expect(
            versions.unpinnedSources().map(\.source.file) == [
                "engine-BABEL_4_2_0__PG_16_3.tar.gz", "extensions-BABEL_4_2_0.tar.gz", "BABEL_5_2_0__PG_17_5.tar.gz",
            ])
    }

    @Test("image references: tags, digests and registries with ports")
    func imageReferences() {
        for good in [
            "debian:bookworm-slim", "swift:6.3.1-noble", "registry.example.com:5000/team/img:1.0",
            "ubuntu:24.04@sha256:" + String(repeating: "a", count: 64), "ubuntu@sha256:" + String(repeating: "b", count: 64),
        ] {
            #expect(ImageReference.problem(good) == nil, "\(good)")
        }
        for bad in ["debian", "Debian:12", "debian:", "localhost:5000/img", "img:tag@sha512:aa", "img:t@g"] {
            #expect(ImageReference.problem(bad) != nil, "\(bad)")
        }
    }
}
