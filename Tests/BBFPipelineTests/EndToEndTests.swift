import BBFContainer
import BBFPipeline
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

/// The engine image the end-to-end tests put data on (in the test Docker engine).
let engineImage = ProcessEnvironment.current()["BBF_TEST_ENGINE_IMAGE"].flatMap { $0.isEmpty ? nil : $0 }

@Suite(
    "DEV → bbf backup → S3 → bbf bake → registry → docker run with a named volume",
    .serialized,
    .enabled(if: TestTools.babelfishHome != nil, Comment(rawValue: TestTools.babelfishReason)),
    .enabled(
        if: engineImage != nil,
        "needs BBF_TEST_ENGINE_IMAGE: an engine image of BBF_TEST_BABELFISH_HOME's versions in the test Docker engine"),
    .enabled(if: DockerEngine.available != nil, Comment(rawValue: DockerEngine.reason)))
struct EndToEndTests {
    @Test("Every object and row arrives; the identity continues; the login works with its local password; edits survive a new container")
    func endToEnd() throws {
        let docker = try #require(DockerEngine.available)
        let engine = try #require(engineImage)
        let s3 = try Shared.get(Shared.moto)
        let bucket = try Shared.bucket(s3)
        let registry = try withServer { try LocalRegistry() }
        let scratch = try Scratch()

        // DEV.
        let dev = try BootedServer(babelfish: true)
        let created = try dev.tsql(devObjects)
        #expect(!created.contains("Msg "), "\(created)")
        var environment = dev.clientEnvironment()
        environment.merge(s3.environment) { $1 }
        let backup = try bbf(["backup", "--to", "s3://\(bucket)/dev/", "--bin", dev.bin], environment: environment, in: scratch)
        try #require(backup.succeeded, "\(backup.output)")

        // The engine image in the registry, as a release would put it there.
        var skopeoEnvironment = ProcessEnvironment.current()
        if let host = docker.host { skopeoEnvironment["DOCKER_HOST"] = host }
        try Skopeo(environment: skopeoEnvironment, tlsVerify: false).copy(
            from: .dockerDaemon(engine), to: .registry("\(registry.host)/babelfish-dev:engine"), doing: "push the engine")

        // The bake.
        let passwords = scratch.path + "/passwords"
        try FileSystem.writeAtomically(passwords, "app_login=App-local-1\n*=Dev-local-1\n")
        let dated = "\(registry.host)/babelfish-dev-data:\(Int(Date().timeIntervalSince1970))"
        let latest = "\(registry.host)/babelfish-dev-data:latest"
        let bakeArguments = [
            "bake", "--from", "s3://\(bucket)/dev/", "--base-image", "\(registry.host)/babelfish-dev:engine", "--tag", latest, "--tag",
            dated,
            "--no-tls-verify", "--login-password-file", passwords, "--bin", dev.bin, "--entrypoint", TestTools.built("bbf-entrypoint"),
        ]
        let bake = try bbf(bakeArguments, environment: s3.environment, in: scratch)
        try #require(bake.succeeded, "\(bake.output)")
        #expect(!bake.output.contains("App-local-1") && !bake.output.contains("Dev-local-1"), "no password in the log")
        let pushOrder = bake.standardError.split(separator: "\n").filter { $0.contains(": push ") && $0.hasSuffix(" ...") }
        #expect(pushOrder.count == 2 && pushOrder[0].contains(dated) && pushOrder[1].contains(latest), "dated before latest: \(pushOrder)")

        // A second bake of the same backup onto the same base: nothing to do.
        let again = try bbf(bakeArguments, environment: s3.environment, in: scratch)
        #expect(again.succeeded && again.standardOutput.hasPrefix("already baked"), "\(again.output)")

        // A developer's first day.
        let volume = "bbf-e2e-\(UInt32.random(in: 0...UInt32.max))"
        let container = volume + "-db"
        let tdsPort = try Network.freeLoopbackPort()
        defer {
            _ = try? docker.run(["rm", "-f", container])
            _ = try? docker.run(["volume", "rm", volume])
        }
        try docker.must(["pull", latest])
        func runContainer() throws {
            try docker.must([
                "run", "-d", "--name", container, "-v", "\(volume):/var/lib/babelfish/data", "-p", "127.0.0.1:\(tdsPort):1433",
                "-e", "BABELFISH_PASSWORD=ignored-on-a-loaded-volume", latest,
            ])
            try docker.waitHealthy(container)
        }
        try runContainer()
        let logs = try docker.run(["logs", container])
        #expect(!(logs.standardOutput + logs.standardError).contains("initialization complete"), "the volume came from the image: no init")
        #expect((logs.standardOutput + logs.standardError).contains("BABELFISH_PASSWORD"), "the ignored variable is reported")

        func tsql(_ sql: String, user: String, password: String) throws -> String {
            let file = scratch.path + "/q-\(Instant.now().nanoseconds).sql"
            try FileSystem.writeAtomically(file, sql + "\ngo\nexit\n", permissions: 0o644)
            let tsql = try TestTools.require("tsql", install: "apt-get install freetds-bin")
            let result = try Command.run(
                "/bin/sh",
                [
                    "-c", "exec \"$1\" -H 127.0.0.1 -p \"$2\" -U \"$3\" -P \"$4\" < \"$5\"", "sh", tsql, String(tdsPort), user, password,
                    file,
                ],
                environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
            return result.standardOutput + result.standardError
        }
        let rows = try tsql(
            "USE sales\ngo\nEXEC dbo.add_customer N'Ünal'\ngo\nSELECT id, name FROM dbo.v_customers ORDER BY id\ngo\nUSE hr\ngo\nSELECT name FROM dbo.staff",
            user: "babelfish_user", password: "Dev-local-1")
        for value in ["Zoë", "Łukasz", "東京", "Ünal", "Ada", "Grace"] { #expect(rows.contains(value), "\(rows)") }
        #expect(rows.range(of: #"4\s+Ünal"#, options: .regularExpression) != nil, "the identity continues: \(rows)")
        let app = try tsql("USE sales\ngo\nSELECT count(*) AS n FROM dbo.customers", user: "app_login", password: "App-local-1")
        #expect(app.contains("4") && !app.contains("Msg "), "the restored login works with its local password: \(app)")

        // A local edit survives a new container on the same volume.
        _ = try tsql(
            "USE sales\ngo\nUPDATE dbo.customers SET name = N'Edited locally' WHERE id = 1", user: "babelfish_user", password: "Dev-local-1"
        )
        try docker.must(["rm", "-f", container])
        try runContainer()
        let after = try tsql("USE sales\ngo\nSELECT name FROM dbo.customers WHERE id = 1", user: "babelfish_user", password: "Dev-local-1")
        #expect(after.contains("Edited locally"), "\(after)")

        let snapshot = try docker.must(["exec", container, "cat", "/var/lib/babelfish/data/bbf-snapshot.json"])
        #expect(snapshot.contains("bbf-backup-"), "\(snapshot)")
    }
}

/// The plain-PostgreSQL stand-in engine image (.ci/plain-engine-image builds it).
let plainEngineImage = ProcessEnvironment.current()["BBF_TEST_PLAIN_ENGINE_IMAGE"].flatMap { $0.isEmpty ? nil : $0 }

@Suite(
    "Volume semantics of a data-loaded image, on plain PostgreSQL: the image seeds a new volume, an existing volume wins",
    .serialized,
    .enabled(if: plainEngineImage != nil, "needs BBF_TEST_PLAIN_ENGINE_IMAGE (built by .ci/plain-engine-image) in the test Docker engine"),
    .enabled(if: DockerEngine.available != nil, Comment(rawValue: DockerEngine.reason)))
struct PlainVolumeTests {
    @Test(
        "backup → S3 → bake → registry → pull → a new named volume gets DEV's data; edits survive; a newer image leaves the volume alone; refresh takes it"
    )
    func volumeSemantics() throws {
        let docker = try #require(DockerEngine.available)
        let engine = try #require(plainEngineImage)
        let s3 = try Shared.get(Shared.moto)
        let bucket = try Shared.bucket(s3)
        let registry = try withServer { try LocalRegistry() }
        let dev = try withServer { try plainDev() }
        let scratch = try Scratch()
        var skopeoEnvironment = ProcessEnvironment.current()
        if let host = docker.host { skopeoEnvironment["DOCKER_HOST"] = host }
        try Skopeo(environment: skopeoEnvironment, tlsVerify: false).copy(
            from: .dockerDaemon(engine), to: .registry("\(registry.host)/engine:plain"), doing: "push the engine")
        let passwords = scratch.path + "/passwords"
        try FileSystem.writeAtomically(passwords, "app_reader=Reader-local-1\n*=Pg-local-1\n")
        let image = "\(registry.host)/dev-data:latest"

        func backupAndBake() throws {
            var environment = dev.clientEnvironment()
            environment.merge(s3.environment) { $1 }
            let second = Int(Date().timeIntervalSince1970)
            _ = waitUntil(seconds: 2) { Int(Date().timeIntervalSince1970) > second }
            let backup = try bbf(
                ["backup", "--to", "s3://\(bucket)/dev/", "--plain-postgres", "--bin", dev.bin], environment: environment, in: scratch)
            try #require(backup.succeeded, "\(backup.output)")
            let bake = try bbf(
                [
                    "bake", "--from", "s3://\(bucket)/dev/", "--base-image", "\(registry.host)/engine:plain", "--tag", image,
                    "--no-tls-verify",
                    "--login-password-file", passwords, "--plain-postgres", "--bin", dev.bin, "--entrypoint",
                    TestTools.built("bbf-entrypoint"),
                ], environment: s3.environment, in: scratch)
            try #require(bake.succeeded, "\(bake.output)")
            try docker.must(["pull", "--quiet", image])
        }
        try backupAndBake()

        let volume = "bbf-plain-\(UInt32.random(in: 0...UInt32.max))"
        let container = volume + "-db"
        let port = try Network.freeLoopbackPort()
        defer {
            _ = try? docker.run(["rm", "-f", container])
            _ = try? docker.run(["volume", "rm", volume])
        }
        func start() throws -> String {
            _ = try? docker.run(["rm", "-f", container])
            try docker.must([
                "run", "-d", "--name", container, "-v", "\(volume):/var/lib/babelfish/data", "-p", "127.0.0.1:\(port):5432", "-e",
                "POSTGRES_PASSWORD=not-applied", image,
            ])
            try docker.waitHealthy(container)
            let logs = try docker.run(["logs", container])
            return logs.standardOutput + logs.standardError
        }
        func query(_ sql: String, user: String = "postgres", password: String = "Pg-local-1") throws -> String {
            let result = try runProgram(
                dev.bin + "/psql", ["-X", "-At", "-c", sql],
                environment: [
                    "PGHOST": "127.0.0.1", "PGPORT": String(port), "PGUSER": user, "PGPASSWORD": password, "PGDATABASE": "babelfish_db",
                    "PATH": "/usr/bin:/bin",
                ], in: scratch.path)
            guard result.succeeded else { throw TestSupportError("psql: \(result.output)") }
            return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        let firstLogs = try start()
        #expect(!firstLogs.contains("initialization complete"), "the new volume got the image's data directory: \(firstLogs)")
        #expect(firstLogs.contains("POSTGRES_PASSWORD is not applied"), "\(firstLogs)")
        #expect(try query("SELECT count(*) FROM orders") == "2500")
        #expect(try query("SELECT current_user", user: "app_reader", password: "Reader-local-1") == "app_reader")
        _ = try query("UPDATE orders SET customer = 'edited locally' WHERE id = 1")

        // A new container on the same volume keeps the edit.
        _ = try start()
        #expect(try query("SELECT customer FROM orders WHERE id = 1") == "edited locally")

        // DEV moves on; a newer image arrives; the existing volume wins.
        try dev.connect(database: "babelfish_db").execute("INSERT INTO orders (customer) SELECT 'new ' || g FROM generate_series(1, 10) g")
        try backupAndBake()
        _ = try start()
        #expect(try query("SELECT customer FROM orders WHERE id = 1") == "edited locally")
        #expect(try query("SELECT count(*) FROM orders") == "2500")

        // Refresh from DEV = a new volume.
        try docker.must(["rm", "-f", container])
        try docker.must(["volume", "rm", volume])
        _ = try start()
        #expect(try query("SELECT count(*) FROM orders") == "2510")
        #expect(try query("SELECT customer FROM orders WHERE id = 1") == "customer 1")
    }
}
