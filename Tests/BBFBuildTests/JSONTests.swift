import BBFBuild
import BBFSystem
import Testing

@Suite("JSON parsing and writing")
struct JSONTests {
    @Test("parses every kind of value and keeps member order")
    func parsesValues() throws {
        let value = try JSONParser.parse(#"{"b": [1, -2.5e3, true, false, null], "a": "x\"\u00e9\ud83d\ude00/"}"#)
        #expect(
            value
                == .object([
                    JSONMember("b", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null])),
                    JSONMember("a", .string("x\"é😀/")),
                ]))
    }

    @Test("a syntax error names its line and column")
    func syntaxErrorPosition() {
        let error = #expect(throws: JSONSyntaxError.self) {
            try JSONParser.parse("{\n  \"a\": 1,\n  \"b\" 2\n}")
        }
        #expect(error?.line == 3)
        #expect(error?.column == 7)
        #expect(error?.message.contains("expected ':'") == true)
    }

    @Test(
        "rejects trailing commas, leading zeros, raw control characters and trailing text",
        arguments: [
            "[1,]", "{\"a\": 01}", "\"a\nb\"", "{} {}", "[1 2]", "{\"a\" : }", "tru",
        ])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test("writing is deterministic, two-space indented, and parses back to the same value")
    func writesCanonically() throws {
        let value = JSONValue.object([
            JSONMember("list", .array([.string("a/b"), .string("tab\there")])),
            JSONMember("empty", .array([])),
            JSONMember("nested", .object([JSONMember("n", .null)])),
        ])
        let text = JSONWriter.write(value)
        #expect(
            text == """
                {
                  "list": [
                    "a/b",
                    "tab\\there"
                  ],
                  "empty": [],
                  "nested": {
                    "n": null
                  }
                }

                """)
        #expect(try JSONParser.parse(text) == value)
    }

    @Test("JSON paths print keys that are not identifiers in brackets")
    func pathDescription() {
        let path = JSONPath.root.appending("lines").appending("5.2").appending("patches").appending(index: 0).appending("file")
        #expect(path.description == #"lines["5.2"].patches[0].file"#)
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
