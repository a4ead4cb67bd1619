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
            target: #""distribution": "debian-12",\#n      "patches": [],\#n      "pgHintPlan": "REL17_1_7_0""#,
            replacement: #""distribution": "debian-13",\#n      "patches": [],\#n      "pgHintPlan": "REL17_1_7_0""#,
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
            target: #""patches": [],\#n      "pgHintPlan": "REL17_1_7_0""#,
            replacement: #""patches": {},\#n      "pgHintPlan": "REL17_1_7_0""#,
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

    /// pg_hint_plan, PostGIS, the cultures and the spatial switch (issue 14).
    static let fidelityInputs: [BadInput] = [
        BadInput(
            target: #""pgHintPlan": "REL16_1_6_0""#, replacement: #""pgHintPlan": "REL15_1_5_1""#, path: #"lines["4.2"].pgHintPlan"#,
            problem: "not a pg_hint_plan release tag for PostgreSQL 16"),
        BadInput(
            target: #""pgHintPlan": "REL16_1_6_0""#, replacement: #""pgHintPlan": "1.6.0""#, path: #"lines["4.2"].pgHintPlan"#,
            problem: "not a pg_hint_plan release tag"),
        BadInput(
            target: #""pgHintPlan": "REL16_1_6_0","#, replacement: "", path: #"lines["4.2"].pgHintPlan"#, problem: "missing"),
        BadInput(
            target: #""postgis": "3.4.0""#, replacement: #""postgis": "3.4""#, path: #"lines["4.2"].postgis"#,
            problem: "not a PostGIS version"),
        BadInput(
            target: #""cultures": [\#n        "en-US",\#n        "de-DE"\#n      ]"#,
            replacement: #""cultures": [\#n        "en_us",\#n        "de-DE"\#n      ]"#, path: #"lines["4.2"].cultures[0]"#,
            problem: "not a culture name"),
        BadInput(
            target: #""cultures": [\#n        "en-US",\#n        "de-DE"\#n      ]"#,
            replacement: #""cultures": [\#n        "en-US",\#n        "en-US"\#n      ]"#, path: #"lines["4.2"].cultures[1]"#,
            problem: "listed twice"),
        BadInput(
            target: #""cultures": [],"#, replacement: #""cultures": "en-US","#, path: #"lines["5.2"].cultures"#,
            problem: "expected an array of strings, found a string"),
        BadInput(
            target: #""pg_hint_plan-REL16_1_6_0.tar.gz": {"#, replacement: #""pg_hint_plan-REL16_1_5_0.tar.gz": {"#,
            path: #"lines["4.2"].checksums["pg_hint_plan-REL16_1_6_0.tar.gz"]"#, problem: "no entry for an archive this line uses"),
        BadInput(
            target: #""linkedServers": true"#, replacement: #""linkedServers": 1"#, path: #"distributions["debian-12"].linkedServers"#,
            problem: "expected true or false, found a number"),
        BadInput(
            target: #""linkedServersBuild": [\#n          "freetds-dev"\#n        ]"#, replacement: #""linkedServersBuild": []"#,
            path: #"distributions["debian-12"].packages.linkedServersBuild"#, problem: "no packages"),
        BadInput(
            target: #""spatialTypes": true"#, replacement: #""spatialTypes": "yes""#, path: #"distributions["debian-12"].spatialTypes"#,
            problem: "expected true or false, found a string"),
        BadInput(
            target: #""spatialRuntime": [\#n          "libgeos-c1v5",\#n          "libproj25"\#n        ]"#,
            replacement: #""spatialRuntime": []"#, path: #"distributions["debian-12"].packages.spatialRuntime"#,
            problem: "no packages"),
        BadInput(
            target: #""libgeos-c1v5","#, replacement: #""libgeos-dev","#, path: #"distributions["debian-12"].packages.spatialRuntime[0]"#,
            problem: "is a build package; the runtime image holds no -dev packages"),
        BadInput(
            target: #""locales": [\#n          "locales"\#n        ],\#n        "pipeline": [\#n          "awscli","#,
            replacement: #""locales": [],\#n        "pipeline": [\#n          "awscli","#,
            path: #"distributions["debian-12"].packages.locales"#, problem: "no packages"),
        BadInput(
            target: #""url": "https://example.invalid/postgis/{postgis}.tar.gz""#,
            replacement: #""url": "https://example.invalid/postgis/{postgisVersion}.tar.gz""#, path: "sources.postgis.url",
            problem: "unknown placeholder {postgisVersion}"),
    ]

    @Test("a distribution with spatialTypes off may leave its spatial package lists empty")
    func spatialOff() throws {
        let versions = try TestSupport.fixture()
        let noble = try versions.distribution(named: "ubuntu-24.04")
        #expect(!noble.spatialTypes && noble.packages.spatialRuntime.isEmpty)
        #expect(try versions.distribution(named: "debian-12").spatialTypes)
        #expect(try versions.line(named: "4.2").localeNames == ["en_US", "de_DE"])
    }

    @Test("each bad input gives an error naming its JSON path and a fix", arguments: badInputs + fidelityInputs)
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
        #expect(error?.message.contains("versions.json is not valid JSON: line 163, column 3") == true, "\(error?.message ?? "")")
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
        #expect(release.map(\.role) == [.release, .antlr, .pgHintPlan, .postgis])
        #expect(release[0].url == "https://example.invalid/releases/BABEL_5_2_0__PG_17_5/BABEL_5_2_0__PG_17_5.tar.gz")
        #expect(release[0].directory == "BABEL_5_2_0__PG_17_5")
        let tags = versions.sources(for: try versions.line(named: "4.2"))
        #expect(
            tags.map(\.file) == [
                "engine-BABEL_4_2_0__PG_16_3.tar.gz", "extensions-BABEL_4_2_0.tar.gz", "antlr4-4.9.3.tar.gz",
                "pg_hint_plan-REL16_1_6_0.tar.gz", "postgis-3.4.0.tar.gz",
            ])
        #expect(tags[3].url == "https://example.invalid/pg_hint_plan/REL16_1_6_0.tar.gz")
        #expect(tags[3].directory == "pg_hint_plan-REL16_1_6_0")
        #expect(tags[4].checksum.sha256 == String(repeating: "5", count: 64))
        let flat = versions.sources(for: try versions.line(named: "4.2"), spatialTypes: false)
        #expect(flat.map(\.role) == [.engine, .extensions, .antlr, .pgHintPlan], "no PostGIS archive without the spatial types")
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
