import BBFBuild
import BBFSystem
import Testing

@Suite("versions.json as JSON: syntax errors, duplicate keys, paths, canonical text")
struct JSONTests {
    @Test("a syntax error names the line and the column (counted in characters) where the parser stopped")
    func syntaxErrorPosition() {
        let error = #expect(throws: BuildToolError.self) {
            try Versions.parse("{\n  \"é\": 1,\n  \"b\" 2\n}", fileName: "broken.json")
        }
        #expect(error?.code == .unreadableVersions)
        #expect(error?.message.hasPrefix("broken.json is not valid JSON: line 3, column 7: ") == true, "\(error?.message ?? "")")
    }

    @Test(
        "raw control characters, leading zeros, trailing text and truncated documents are syntax errors",
        arguments: ["{\"a\": \"x\ny\"}", "{\"a\": 01}", "{} {}", "[1 2]", "{\"a\" : }", "tru", "{\"a\": [1"])
    func rejectsInvalid(_ text: String) {
        let error = #expect(throws: BuildToolError.self) { try Versions.parse(text) }
        #expect(error?.code == .unreadableVersions)
    }

    @Test("a key that appears twice is reported at its path, however deep (Foundation keeps one silently)")
    func duplicateKeys() {
        let text = TestSupport.fixtureText(
            replacing: #""patches": []"#, with: #""patches": [{"file": "0001-x.patch", "file": "0002-y.patch"}]"#)
        let issues = TestSupport.issues(text)
        #expect(issues.contains { $0.path.description == #"lines["4.2"].patches[0].file"# && $0.problem == "the key appears twice" })
        let escaped = TestSupport.fixtureText(replacing: #""swift": "6.3.1""#, with: #""swift": "6.3.1", "sw\u0069ft": "6.2""#)
        #expect(TestSupport.issues(escaped).map(\.path.description).contains("swift"), "keys are compared after unescaping")
    }

    @Test("the canonical text: keys sorted by bytes, two-space indentation, [] for empty lists, unescaped slashes, a final newline")
    func canonicalText() throws {
        let text = try TestSupport.fixture().serialized()
        #expect(text == Fixtures.versionsJSON)
        #expect(text.hasPrefix("{\n  \"defaultLine\": \"5.2\",\n  \"distributions\": {\n"))
        #expect(text.contains(#""url": "https://example.invalid/antlr/{antlr}.tar.gz""#))
        #expect(text.contains(#""patches": [],"#))
        #expect(
            text.contains(#""checksums": {\#n        "BABEL_5_2_0__PG_17_5.tar.gz": {"#),
            "upper case before lower case, whatever the platform's Foundation sorts like")
        #expect(text.hasSuffix("}\n") && !text.hasSuffix("\n\n"))
        #expect(try Versions.parse(text).serialized() == text, "the text round-trips byte for byte")
    }

    @Test("JSON paths print keys that are not identifiers in brackets")
    func pathDescription() {
        let path = JSONPath.root.appending("lines").appending("5.2").appending("patches").appending(index: 0).appending("file")
        #expect(path.description == #"lines["5.2"].patches[0].file"#)
        #expect(JSONPath.root.description == "(top level)")
    }
}

@Suite("SHA-256 and unified diffs")
struct DigestAndDiffTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256Vectors() {
        #expect(ArchiveDigest.sha256(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ArchiveDigest.sha256(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            ArchiveDigest.sha256(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            ArchiveDigest.sha256(of: [UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a file hashed in chunks of any size has the digest of its whole content", arguments: [1, 63, 64, 65, 1000, 1 << 20])
    func sha256OfFileInChunks(_ chunkSize: Int) throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-digest-")
        defer { try? FileSystem.removeTree(directory) }
        try FileSystem.writeAtomically(directory + "/archive.tar.gz", bytes, permissions: 0o644)
        #expect(try ArchiveDigest.sha256(ofFileAt: directory + "/archive.tar.gz", chunkSize: chunkSize) == ArchiveDigest.sha256(of: bytes))
        #expect(throws: (any Error).self) { try ArchiveDigest.sha256(ofFileAt: directory + "/missing.tar.gz") }
    }

    @Test("a unified diff shows the changed lines with context and hunk ranges")
    func unifiedDiff() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacing("line 5\n", with: "line five\n") + "line 21\n"
        let diff = UnifiedDiff.diff(old: old, new: new, oldName: "a", newName: "b")
        #expect(
            diff == """
                --- a
                +++ b
                @@ -2,7 +2,7 @@
                 line 2
                 line 3
                 line 4
                -line 5
                +line five
                 line 6
                 line 7
                 line 8
                @@ -18,3 +18,4 @@
                 line 18
                 line 19
                 line 20
                +line 21

                """)
        #expect(UnifiedDiff.diff(old: old, new: old, oldName: "a", newName: "b").isEmpty)
    }

    @Test("a replaced block shows its deletions before its insertions, in one hunk")
    func replacedBlock() {
        let old = "a\nb\nc\nd\ne\n"
        let new = "a\nB\nC\nd\ne\n"
        #expect(
            UnifiedDiff.diff(old: old, new: new, oldName: "a", newName: "b", context: 1) == """
                --- a
                +++ b
                @@ -1,4 +1,4 @@
                 a
                -b
                -c
                +B
                +C
                 d

                """)
        #expect(UnifiedDiff.diff(old: "", new: "x\n", oldName: "a", newName: "b") == "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n")
    }

    @Test("two large files that differ in one line give one small hunk (no quadratic table, no whole-file fallback)")
    func largeFiles() {
        let old = (1...20_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacing("line 10000\n", with: "line ten thousand\n")
        let diff = UnifiedDiff.diff(old: old, new: new, oldName: "a", newName: "b")
        #expect(diff.split(separator: "\n").count == 2 + 1 + 7 + 1)
        #expect(diff.contains("@@ -9997,7 +9997,7 @@\n line 9997\n"))
    }
}
