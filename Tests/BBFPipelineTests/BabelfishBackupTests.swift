import BBFPipeline
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

/// T-SQL that builds a small DEV: two databases, IDENTITY, non-ASCII
/// nvarchar, a view, a procedure, a trigger, a login with a user and a grant.
let devObjects = """
    CREATE DATABASE sales
    go
    USE sales
    go
    CREATE TABLE dbo.customers (id INT IDENTITY(1,1) PRIMARY KEY, name NVARCHAR(100) NOT NULL)
    go
    INSERT INTO dbo.customers (name) VALUES (N'Zoë'), (N'Łukasz'), (N'東京')
    go
    CREATE TABLE dbo.audit (id INT IDENTITY(1,1) PRIMARY KEY, note NVARCHAR(200))
    go
    CREATE TRIGGER dbo.customers_audit ON dbo.customers AFTER INSERT AS INSERT INTO dbo.audit (note) SELECT N'added ' + name FROM inserted
    go
    CREATE VIEW dbo.v_customers AS SELECT id, name FROM dbo.customers
    go
    CREATE PROCEDURE dbo.add_customer @name NVARCHAR(100) AS BEGIN INSERT INTO dbo.customers (name) VALUES (@name) END
    go
    CREATE DATABASE hr
    go
    USE hr
    go
    CREATE TABLE dbo.staff (id INT IDENTITY(100,1) PRIMARY KEY, name VARCHAR(50))
    go
    INSERT INTO dbo.staff (name) VALUES ('Ada'), ('Grace')
    go
    USE master
    go
    CREATE LOGIN app_login WITH PASSWORD = 'App-pass-1'
    go
    USE sales
    go
    CREATE USER app_user FOR LOGIN app_login
    go
    GRANT SELECT ON dbo.customers TO app_user
    """

@Suite(
    "bbf backup of a real Babelfish", .serialized,
    .enabled(if: TestTools.babelfishHome != nil, Comment(rawValue: TestTools.babelfishReason)))
struct BabelfishBackupTests {
    @Test("The manifest matches the server, and the dump restores by hand into a fresh Babelfish (MISSION.md's commands)")
    func backupAndManualRestore() throws {
        let dev = try BootedServer(babelfish: true)
        let created = try dev.tsql(devObjects)
        #expect(!created.contains("Msg "), "\(created)")
        let scratch = try Scratch()
        let destination = try scratch.sub("backups")
        let result = try bbf(["backup", "--to", destination, "--bin", dev.bin], environment: dev.clientEnvironment(), in: scratch)
        try #require(result.succeeded, "\(result.output)")

        let archive = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let unpacked = try scratch.sub("unpacked")
        let manifest = try BackupArchive.unpack(archive, into: unpacked)
        let babelfish = try #require(manifest.babelfish)
        let connection = try dev.connect(database: "babelfish_db")
        #expect(manifest.server.versionNumber == connection.serverVersion)
        #expect(
            babelfish.version == (try connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'babelfishpg_tsql'").scalar))
        #expect(Set(babelfish.extensions.keys).isSuperset(of: ["babelfishpg_common", "babelfishpg_tds", "babelfishpg_tsql"]))
        #expect(babelfish.migrationMode == "multi-db")
        #expect(babelfish.initializeLogin == "babelfish_user")
        #expect(
            babelfish.serverCollation == (try connection.execute("SELECT current_setting('babelfishpg_tsql.server_collation_name')").scalar)
        )
        #expect(Set(babelfish.databases.map(\.name)).isSuperset(of: ["master", "tempdb", "msdb", "sales", "hr"]))
        #expect(babelfish.logins.contains("app_login"))
        let customers = try #require(manifest.tables.first { $0.name == "customers" })
        #expect(customers.rows == 3 && customers.tsqlDatabase == "sales" && customers.schema == "sales_dbo")
        // The trigger came after the first rows.
        #expect(manifest.tables.first { $0.name == "audit" }?.rows == 0)
        #expect(manifest.tables.first { $0.name == "staff" }?.tsqlDatabase == "hr")
        #expect(!manifest.tables.contains { $0.schema == "sys" }, "Babelfish's own catalogs are not user tables")
        #expect(manifest.tool.dump.hasPrefix("bbf_dump"))

        // The restore by hand, into a freshly initialized Babelfish.
        let target = try BootedServer(babelfish: true)
        var environment = target.clientEnvironment(database: "babelfish_db")
        environment["PATH"] = target.bin + ":/usr/bin:/bin"
        let roles = try runProgram(
            target.bin + "/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", unpacked + "/roles.sql"],
            environment: environment, in: scratch.path)
        #expect(roles.succeeded, "\(roles.output)")
        let data = try runProgram(
            target.bin + "/pg_restore", ["-d", "babelfish_db", "--single-transaction", unpacked + "/database.dump"],
            environment: environment,
            in: scratch.path)
        #expect(data.succeeded, "\(data.output)")
        let rows = try target.tsql("USE sales\ngo\nEXEC dbo.add_customer N'Ünal'\ngo\nSELECT id, name FROM dbo.v_customers ORDER BY id")
        for name in ["Zoë", "Łukasz", "東京", "Ünal"] { #expect(rows.contains(name), "\(rows)") }
        #expect(
            rows.contains("4\tÜnal") || rows.contains("4 \tÜnal") || rows.range(of: #"4\s+Ünal"#, options: .regularExpression) != nil,
            "the identity continues: \(rows)")
        let audit = try target.tsql("USE sales\ngo\nSELECT note FROM dbo.audit")
        #expect(audit.contains("added Ünal"), "the trigger came back: \(audit)")
        let staff = try target.tsql("USE hr\ngo\nSELECT min(id) FROM dbo.staff")
        #expect(staff.contains("100"), "\(staff)")
    }
}
