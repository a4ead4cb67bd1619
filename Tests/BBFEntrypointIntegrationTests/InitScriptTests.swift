import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

@Suite(
    "Init scripts on a real PostgreSQL", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct InitScriptTests {
    @Test("*.sql, *.sql.gz, *.sh (executable or not) run once, in name order, on the private server")
    func kindsAndOrder() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript(
            "10-schema.sql", "CREATE TABLE steps (n serial, name text);\nINSERT INTO steps (name) VALUES ('sql');\n")
        let gzipPath = sandbox.initDirectory + "/20-data.sql.gz"
        let plain = sandbox.root + "/20-data.sql"
        try FileSystem.writeAtomically(plain, "INSERT INTO steps (name) VALUES ('gz');\n")
        _ = try Command.output("/bin/sh", ["-c", "gzip -c '\(plain)' > '\(gzipPath)' && chmod 644 '\(gzipPath)'"])
        try sandbox.writeInitScript(
            "30-exec.sh",
            "#!/bin/sh\nset -e\npsql -v ON_ERROR_STOP=1 -c \"INSERT INTO steps (name) VALUES ('exec:$PGHOST:$PGDATABASE')\"\n",
            executable: true)
        try sandbox.writeInitScript("40-sourced.sh", "psql -c \"INSERT INTO steps (name) VALUES ('sh')\"\n")
        try sandbox.writeInitScript("50-notes.txt", "ignored")
        let server = try sandbox.start(environment: try sandbox.environment(["POSTGRES_DB": "appdb"]))
        let rows = try sandbox.connect(database: "appdb").execute("SELECT name FROM steps ORDER BY n").rows.map { $0[0] ?? "" }
        #expect(rows.count == 4)
        #expect(rows[0] == "sql")
        #expect(rows[1] == "gz")
        #expect(rows[2].hasPrefix("exec:/tmp/bbf-init-"))
        #expect(rows[2].hasSuffix(":appdb"))
        #expect(rows[3] == "sh")
        #expect(server.log.contains("ignoring \(sandbox.initDirectory)/50-notes.txt"))
        // The configured port opened only after the initialization: the
        // temporary server listened on other loopback ports while scripts ran.
        let lines = server.log.split(whereSeparator: \.isNewline)
        let completed = try #require(lines.firstIndex { $0.contains("initialization complete") })
        let configured = lines.indices.filter { lines[$0].contains("listening on") && lines[$0].hasSuffix("port \(sandbox.port)") }
        #expect(!configured.isEmpty && configured.allSatisfy { $0 > completed })
        #expect(lines[..<completed].contains { $0.contains("listening on IPv4 address \"127.0.0.1\"") })
    }

    @Test("A failing SQL script stops the boot with its name; without it, the next boot starts clean")
    func failingScript() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-ok.sql", "CREATE TABLE ok (v int);")
        try sandbox.writeInitScript("20-bad.sql", "SELECT * FROM no_such_table;")
        let environment = try sandbox.environment()
        let failed = try sandbox.run(sandbox.postgresArguments, environment: environment)
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("\(sandbox.initDirectory)/20-bad.sql: psql exited with status 3"))
        #expect(failed.output.contains("no_such_table"))
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))

        try FileSystem.removeTree(sandbox.initDirectory + "/20-bad.sql")
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(try sandbox.connect().execute("SELECT count(*) FROM ok").scalar == "0")
    }

    @Test("A failing shell script stops the boot with its name and status")
    func failingShell() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-fail.sh", "echo about to fail >&2\nexit 7\n")
        let failed = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment())
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("10-fail.sh: the script exited with status 7"))
        #expect(failed.output.contains("about to fail"))
    }

    @Test("*.tsql needs Babelfish: with it off, a clear error")
    func tsqlWithoutBabelfish() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-app.tsql", "SELECT 1;\nGO\n")
        let failed = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment())
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("10-app.tsql: *.tsql scripts need Babelfish"))
    }
}
