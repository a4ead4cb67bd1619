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
