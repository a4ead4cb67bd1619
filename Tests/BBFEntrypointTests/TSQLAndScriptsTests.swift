import Testing

@testable import BBFEntrypoint

@Suite("T-SQL batches")
struct TSQLBatchesTests {
    @Test("GO lines separate batches, in any case, with spaces, counts and comments")
    func separators() throws {
        let batches = try TSQLBatches.split(
            """
            CREATE TABLE t (id INT);
            go
            INSERT INTO t VALUES (1);
              GO 3  -- three times
            SELECT * FROM t;
            Go
            """)
        #expect(batches.map(\.text) == ["CREATE TABLE t (id INT);", "INSERT INTO t VALUES (1);", "SELECT * FROM t;"])
        #expect(batches.map(\.repeatCount) == [1, 3, 1])
        #expect(batches.map(\.firstLine) == [1, 3, 5])
    }

    @Test("A last batch without GO is kept; empty batches are dropped")
    func trailing() throws {
        let batches = try TSQLBatches.split("\n\nGO\nGO\n\nSELECT 1;\n\n")
        #expect(batches == [TSQLBatch(text: "SELECT 1;", firstLine: 6, repeatCount: 1)])
        #expect(try TSQLBatches.split("") == [])
    }

    @Test("GO inside strings, quoted identifiers and nested block comments does not split")
    func notSeparators() throws {
        let script = """
            SELECT 'line one
            GO
            it''s still the string';
            /* outer /* inner
            GO
            */ still comment
            GO
            */
            SELECT [odd
            GO
            name];
            GO
            SELECT 2; -- GO in a line comment
            GOTO label;
            GO
            """
        let batches = try TSQLBatches.split(script)
        #expect(batches.count == 2)
        #expect(batches[0].text.hasSuffix("name];"))
        #expect(batches[1].text == "SELECT 2; -- GO in a line comment\nGOTO label;")
        #expect(batches[1].firstLine == 13)
    }

    @Test("CRLF line ends work")
    func crlf() throws {
        let batches = try TSQLBatches.split("SELECT 1;\r\nGO\r\nSELECT 2;\r\n")
        #expect(batches.map(\.text) == ["SELECT 1;", "SELECT 2;"])
    }

    @Test("GO 0 is an error naming the line")
    func zeroCount() {
        #expect(throws: TSQLBatches.SplitError(line: 2, reason: "GO 0: the repeat count must be at least 1")) {
            try TSQLBatches.split("SELECT 1;\nGO 0\n")
        }
    }
}

@Suite("Init scripts")
struct InitScriptPlanTests {
    private func entry(_ name: String, file: Bool = true, executable: Bool = false) -> InitScriptPlan.Entry {
        InitScriptPlan.Entry(name: name, isRegularFile: file, isExecutable: executable)
    }

    @Test("Files run in bytewise name order, each by its kind")
    func order() {
        let (scripts, ignored) = InitScriptPlan.plan([
            entry("20-data.sql.gz"), entry("10-schema.sql"), entry("30-app.tsql"), entry("05-setup.sh", executable: true),
            entry("40-more.sh"), entry("50-x.sql.xz"), entry("60-y.sql.zst"), entry("README.md"), entry("Z.sql"),
            entry("subdir", file: false), entry(".hidden.sql"),
        ])
        #expect(
            scripts == [
                InitScript(name: "05-setup.sh", kind: .shell(executable: true)),
                InitScript(name: "10-schema.sql", kind: .sql),
                InitScript(name: "20-data.sql.gz", kind: .compressedSQL(decompressor: "gzip")),
                InitScript(name: "30-app.tsql", kind: .tsql),
                InitScript(name: "40-more.sh", kind: .shell(executable: false)),
                InitScript(name: "50-x.sql.xz", kind: .compressedSQL(decompressor: "xz")),
                InitScript(name: "60-y.sql.zst", kind: .compressedSQL(decompressor: "zstd")),
                InitScript(name: "Z.sql", kind: .sql),
            ])
        #expect(ignored == ["README.md", "subdir"])
    }
}
