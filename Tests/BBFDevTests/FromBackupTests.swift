import BBFSystem
import BBFTestSupport
import Foundation
import PostgresClient
import TDSClient
import Testing

@Suite("bbf dev up --from-backup against a real Docker engine", .serialized)
struct FromBackupTests {
    @Test(
        "A bbf backup archive restored straight into a new volume: data, logins with the local passwords, the snapshot record; an existing volume is refused"
    )
    func fromBackup() throws {
        let h: DevHarness
        let dev: BootedServer
        do {
            h = try DevHarness()
            dev = try BootedServer(babelfish: h.tds, extra: ["POSTGRES_DB": "babelfish_db"])
        } catch let skip as TestPrerequisite {
            try Test.cancel("\(skip.reason)")
        }
        if h.tds {
            let created = try dev.tsql(
                "CREATE DATABASE sales\ngo\nUSE sales\ngo\nCREATE TABLE dbo.orders (id INT IDENTITY PRIMARY KEY, note NVARCHAR(50))\ngo\nINSERT INTO dbo.orders (note) VALUES (N'Zoë'), (N'東京')\ngo\nCREATE LOGIN app_login WITH PASSWORD = 'Dev-only-1'\ngo\nCREATE USER app_login FOR LOGIN app_login\ngo\nGRANT SELECT ON dbo.orders TO app_login"
            )
            #expect(!created.contains("Msg "), "\(created)")
        } else {
            try dev.connect(database: "babelfish_db").executeScript(
                "CREATE TABLE orders (id serial PRIMARY KEY, note text); INSERT INTO orders (note) VALUES ('Zoë'), ('東京'); CREATE ROLE app_login LOGIN PASSWORD 'Dev-only-1'; GRANT SELECT ON orders TO app_login;"
            )
        }
        let backups = try h.scratch.sub("backups")
        var arguments = ["backup", "--to", backups, "--bin", dev.bin]
        if !h.tds { arguments.append("--plain-postgres") }
        let backup = try runProgram(
            TestTools.built("bbf"), arguments, environment: dev.clientEnvironment().merging(["PATH": "/usr/bin:/bin"]) { $1 },
            in: h.scratch.path)
        try #require(backup.succeeded, "\(backup.output)")

        let up = try h.dev(["up", "--from-backup", backups])
        try #require(up.succeeded, "\(up.output)")
        #expect(up.standardError.contains("restored bbf-backup-"), "\(up.standardError)")
        #expect(up.standardError.contains("match the manifest"))
        #expect(!up.output.contains(h.loginPassword), "no password printed off a terminal")

        if h.tds {
            let connection = try TDSConnection(
                host: "127.0.0.1", port: h.tdsPort, user: "app_login", password: h.loginPassword, database: "master")
            let rows = try connection.execute("SELECT note FROM sales.dbo.orders ORDER BY id").resultSets.first?.rows ?? []
            #expect(rows.map { $0.first ?? nil } == ["Zoë", "東京"])
        } else {
            let connection = try PostgresConnection([
                "host": "127.0.0.1", "port": String(h.pgPort), "user": "app_login", "password": h.loginPassword, "dbname": "babelfish_db",
            ])
            #expect(try connection.execute("SELECT note FROM orders ORDER BY id").rows.map { $0[0] } == ["Zoë", "東京"])
        }
        let status = try h.mustDev(["status"])
        #expect(status.output.contains("bbf-backup-"), "the volume names its snapshot: \(status.output)")

        let again = try h.dev(["up", "--from-backup", backups])
        #expect(again.status == .exited(1))
        #expect(again.standardError.contains("already holds a database"), "\(again.standardError)")
    }
}
