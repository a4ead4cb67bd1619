import BBFDev
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `bbf dev` against the real Docker engine and a built engine image
/// (BBF_TEST_ENGINE_IMAGE): Babelfish images are checked over TDS, a
/// plain-PostgreSQL engine image (CI) over libpq.
@Suite("bbf dev against a real Docker engine", .serialized)
struct DevEngineTests {
    func harness() throws -> DevHarness {
        do {
            return try DevHarness()
        } catch let skip as TestPrerequisite {
            try Test.cancel("\(skip.reason)")
        }
    }

    @Test("up on a fresh volume answers; an edited row survives down/up and a re-created container on a newer image; refresh drops it")
    func lifecycle() throws {
        let h = try harness()
        let up = try h.mustDev(["up", "--show-passwords"])
        #expect(up.standardError.contains("created the volume \(h.volume)"))
        #expect(up.standardError.contains("is ready"))
        #expect(up.standardOutput.contains("psql"))
        if h.tds {
            #expect(
                up.standardOutput.contains(
                    "Server=localhost,\(h.tdsPort);Database=master;User Id=babelfish_user;Password=\(h.loginPassword)"))
            #expect(up.standardOutput.contains("SQLCMDPASSWORD=\(h.loginPassword) sqlcmd -S localhost,\(h.tdsPort)"))
            #expect(try h.execute("SELECT @@version").first?.first??.contains("Babelfish") == true)
        }
        try h.writeNote("edited by a developer")
        #expect(h.note() == "edited by a developer")

        let status = try h.mustDev(["status", "--no-registry"])
        #expect(status.standardOutput.contains("running, healthy"))
        #expect(status.standardOutput.contains("\(h.volume), created"))

        let psql = try h.mustDev(["psql", "--", "-tA", "-c", "SELECT current_user"])
        #expect(psql.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "postgres")
        let logs = try h.mustDev(["logs", "--tail", "50"])
        #expect(logs.output.contains("database system is ready to accept connections"))

        // An up with nothing changed leaves the running container alone.
        let again = try h.mustDev(["up"])
        #expect(again.standardError.contains("already running"))

        try h.mustDev(["down"])
        #expect(!h.docker.exists(container: h.name))
        #expect(h.docker.exists(volume: h.volume))
        try h.mustDev(["up"])
        #expect(h.note() == "edited by a developer")

        // A newer image under the same tag: the container is re-created, the volume kept.
        try h.docker.derive(from: h.baseImage, tag: h.image, changes: ["LABEL bbf-dev-test.generation=2"])
        let recreated = try h.mustDev(["up"])
        #expect(
            recreated.standardError.contains("replacing the container \(h.name) (it runs an older image); the volume \(h.volume) is kept"))
        #expect(h.note() == "edited by a developer")

        try h.mustDev(["refresh", "--yes", "--pull", "never"])
        #expect(h.note() == nil, "refresh starts from the image again")
    }

    @Test("On Docker 25+, up has the engine probe the image's own health check every second while the server starts")
    func healthStartInterval() throws {
        let h = try harness()
        let version = h.docker.serverVersion() ?? "(version unknown)"
        guard let major = Int(version.prefix { $0.isNumber }), major >= 25 else {
            try Test.cancel("needs Docker 25 or later (docker create --health-start-interval); this engine is \(version)")
        }
        try h.mustDev(["up"])
        let health = try h.docker.must([
            "inspect", "--format", "{{.Config.Healthcheck.StartInterval}} {{json .Config.Healthcheck.Test}}", h.name,
        ])
        #expect(health.hasPrefix("1s "), "the start interval bbf dev set: \(health)")
        #expect(health.contains("healthcheck"), "the image's own health check command is kept: \(health)")
        try h.docker.waitHealthy(h.name, seconds: 60)
        try h.mustDev(["down"])
    }

    @Test("save, refresh, load brings the data back; a save of another PostgreSQL major is refused and changes nothing")
    func saveAndLoad() throws {
        let h = try harness()
        try h.mustDev(["up"])
        try h.writeNote("curated by QA")
        let saved = try h.mustDev(["save", "qa-week-49"])
        #expect(saved.standardError.contains("stopping \(h.name) for a consistent copy"))
        #expect(h.note() == "curated by QA", "the instance runs again after the save")
        let listed = try h.mustDev(["saves"])
        #expect(listed.standardOutput.contains("qa-week-49"))
        let saves = h.scratch.path + "/saves"
        #expect(FileSystem.exists(saves + "/qa-week-49/volume.tar.gz"))
        #expect(try FileSystem.contents(ofDirectory: saves).filter { $0.hasPrefix(".") }.isEmpty, "no partial save is left")

        // Without a terminal and without --yes, nothing is replaced.
        let unconfirmed = try h.dev(["load", "qa-week-49"])
        #expect(!unconfirmed.succeeded)
        #expect(unconfirmed.standardError.contains("pass --yes"))

        try h.mustDev(["refresh", "--yes", "--pull", "never"])
        #expect(h.note() == nil)
        let loaded = try h.mustDev(["load", "qa-week-49", "--yes", "--pull", "never"])
        #expect(loaded.standardError.contains("loaded qa-week-49"))
        #expect(h.note() == "curated by QA")

        // A save that claims another major: refused before anything is touched.
        let record = try JSONDecoder().decode(SaveRecord.self, from: Data(try FileSystem.readText(saves + "/qa-week-49/save.json").utf8))
        var other = record
        other.name = "from-pg-9"
        other.postgresMajor = "9"
        try FileManager.default.createDirectory(atPath: saves + "/from-pg-9", withIntermediateDirectories: true)
        try JSONEncoder().encode(other).write(to: URL(fileURLWithPath: saves + "/from-pg-9/save.json"))
        try FileManager.default.copyItem(atPath: saves + "/qa-week-49/volume.tar.gz", toPath: saves + "/from-pg-9/volume.tar.gz")
        let refused = try h.dev(["load", "from-pg-9", "--yes", "--pull", "never"])
        #expect(!refused.succeeded)
        #expect(refused.standardError.contains("holds a PostgreSQL 9 cluster"))
        #expect(h.note() == "curated by QA")
    }

    @Test("A taken host port is refused before anything is created, naming the port and the flag")
    func portInUse() throws {
        let h = try harness()
        let port = h.tds ? h.tdsPort : h.pgPort
        let holder = try DevHarness.PortHolder(port: port)
        let refused = try h.dev(["up"])
        withExtendedLifetime(holder) {}
        #expect(!refused.succeeded)
        #expect(refused.standardError.contains("host port \(port)"))
        #expect(refused.standardError.contains(h.tds ? "pass --port PORT" : "pass --pg-port PORT"))
        #expect(refused.standardError.contains("Nothing was created"))
        #expect(!h.docker.exists(container: h.name))
        #expect(!h.docker.exists(volume: h.volume))
    }

    @Test("Ctrl-C during up removes the container it made; a container an interrupted up left behind is replaced")
    func interruptedUp() throws {
        let h = try harness()
        // An image that never becomes ready, so the interruption lands while up waits.
        let stuck = h.ownImage("stuck")
        try h.docker.derive(from: h.baseImage, tag: stuck, changes: [#"ENTRYPOINT ["sleep", "600"]"#, "CMD []"])
        let log = h.scratch.path + "/interrupted.log"
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        let child = try ChildProcess.spawn(
            executable: TestTools.built("bbf"), arguments: ["dev", "up", "--image", stuck, "--health-timeout", "600"],
            environment: h.environment, stdin: .null, stdout: .descriptor(fd), stderr: .descriptor(fd))
        let running = waitUntil(seconds: 120, every: 100) {
            (try? h.docker.run(["inspect", "--format", "{{.State.Status}}", h.name]))?.standardOutput.hasPrefix("running") == true
        }
        #expect(running, "the container started: \((try? FileSystem.readText(log)) ?? "")")
        child.send(SIGINT)
        let status = child.wait(timeoutMilliseconds: 120_000)
        let output = (try? FileSystem.readText(log)) ?? ""
        #expect(status == .exited(130), "\(output)")
        #expect(output.contains("interrupted (SIGINT)"))
        #expect(!h.docker.exists(container: h.name), "no half-made container is left")
        #expect(h.docker.exists(volume: h.volume), "the volume is kept")

        // What a killed up (SIGKILL between create and start) leaves: a created container with our label.
        try h.docker.must(["create", "--name", h.name, "--label", "babelfish-dev.dev.instance=\(h.name)", h.image])
        let up = try h.mustDev(["up"])
        #expect(up.standardError.contains("replacing the container \(h.name)"))
        try h.writeNote("after the interruption")
        #expect(h.note() == "after the interruption")
    }

    @Test("status says plainly when the volume is older than the image; a container bbf dev did not make is left alone")
    func olderVolumeAndForeignContainer() throws {
        let h = try harness()
        try h.mustDev(["up"])
        let record =
            #"{"format":"bbf-snapshot","formatVersion":1,"archive":"bbf-backup-20261101T030000Z.tar.gz","archiveSHA256":"aaaa","snapshotCreatedAt":"2026-11-01T03:00:00Z","bakedAt":"2026-11-01T04:00:00Z","sourceHost":"dev-aurora","sourceDatabase":"babelfish_db","serverVersion":"16.3","babelfishVersion":"4.2.0","migrationMode":"multi-db","tool":"bbf 0.2.0"}"#
        try h.docker.must(["exec", h.name, "sh", "-c", "printf %s \"$1\" > \"$PGDATA/bbf-snapshot.json\"", "sh", record])
        let snapshotImage = h.ownImage("snapshot")
        try h.docker.derive(
            from: h.baseImage, tag: snapshotImage,
            changes: [
                "LABEL babelfish-dev.snapshot.archive=bbf-backup-20261201T030000Z.tar.gz",
                "LABEL babelfish-dev.snapshot.sha256=" + String(repeating: "b", count: 64),
                "LABEL babelfish-dev.snapshot.created=2026-12-01T03:00:00Z", "LABEL babelfish-dev.snapshot.source=dev-aurora/babelfish_db",
            ])
        let status = try h.mustDev(["status", "--image", snapshotImage, "--no-registry"])
        #expect(status.standardOutput.contains("seeded from DEV snapshot bbf-backup-20261101T030000Z.tar.gz"))
        #expect(status.standardOutput.contains("The volume is older than the image"))
        #expect(status.standardOutput.contains("`bbf dev refresh` would take the new data and drop your local changes"))
        #expect(status.standardOutput.contains("The container runs an older image"))

        let foreign = h.ownContainer("foreign")
        try h.docker.must(["create", "--name", foreign, h.image])
        let refused = try h.dev(["up", "--name", foreign])
        #expect(!refused.succeeded)
        #expect(refused.standardError.contains("that bbf dev did not create"))
        #expect(h.docker.exists(container: foreign))
    }

    @Test("compose.yaml makes the same instance: same volume, ports and health check; bbf dev takes over its data")
    func compose() throws {
        let h = try harness()
        guard let compose = TestTools.onPath("docker-compose") else {
            try Test.cancel("needs docker-compose (apt-get install docker-compose)")
        }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("compose.yaml").path
        let container = h.ownContainer("compose")
        var environment = h.environment
        environment["BBF_DEV_IMAGE"] = h.image
        environment["BBF_DEV_NAME"] = container
        environment["BBF_DEV_VOLUME"] = h.volume
        environment["BBF_DEV_PORT"] = String(h.tdsPort)
        environment["BBF_DEV_PG_PORT"] = String(h.pgPort)
        environment["POSTGRES_PASSWORD"] = h.superuserPassword
        environment["BABELFISH_PASSWORD"] = h.loginPassword
        let project = ["-f", file, "-p", "bbfdevtest\(h.suffix)"]
        func run(_ arguments: [String]) throws -> Finished {
            try runProgram(compose, project + arguments, environment: environment, in: h.scratch.path, timeoutSeconds: 300)
        }
        let config = try run(["config"])
        #expect(config.succeeded, "\(config.output)")
        #expect(config.standardOutput.contains("/var/lib/babelfish/data"))
        defer { _ = try? run(["down"]) }
        let up = try run(["up", "-d"])
        #expect(up.succeeded, "\(up.output)")
        try h.docker.waitHealthy(container)
        try h.writeNote("made under compose")
        let down = try run(["down"])
        #expect(down.succeeded, "\(down.output)")
        #expect(h.docker.exists(volume: h.volume), "compose down keeps the named volume")
        try h.mustDev(["up"])
        #expect(h.note() == "made under compose")
    }

    @Test("status compares the local image with the registry's; up --pull always takes the newer one and keeps the volume")
    func newerImageInRegistry() throws {
        let h = try harness()
        let registry: LocalRegistry
        do {
            registry = try LocalRegistry()
            _ = try TestTools.require("skopeo", install: "apt-get install skopeo")
        } catch let skip as TestPrerequisite {
            try Test.cancel("\(skip.reason)")
        }
        let remote = "\(registry.host)/bbf-dev-test-\(h.suffix):latest"
        let newer = h.ownImage("newer")
        try h.docker.must(["tag", h.image, remote])
        try h.docker.must(["push", remote])
        try h.mustDev(["up", "--image", remote])
        try h.writeNote("before the new image")
        let current = try h.mustDev(["status", "--image", remote])
        #expect(current.standardOutput.contains("the registry has no newer image"), "\(current.output)")

        // The team publishes a newer image; this machine still has the old one under the tag.
        let old = try h.docker.must(["image", "inspect", "--format", "{{.Id}}", remote]).trimmingCharacters(in: .whitespacesAndNewlines)
        try h.docker.derive(from: remote, tag: newer, changes: ["LABEL bbf-dev-test.generation=2"])
        try h.docker.must(["tag", newer, remote])
        try h.docker.must(["push", remote])
        try h.docker.must(["tag", old, remote])
        let stale = try h.mustDev(["status", "--image", remote])
        #expect(stale.standardOutput.contains("NEWER IMAGE AVAILABLE"), "\(stale.output)")
        #expect(stale.standardOutput.contains("`bbf dev up --pull always` takes it and keeps your volume"))

        let updated = try h.mustDev(["up", "--image", remote, "--pull", "always"])
        #expect(updated.standardError.contains("it runs an older image"), "\(updated.output)")
        #expect(h.note() == "before the new image")
        let after = try h.mustDev(["status", "--image", remote])
        #expect(after.standardOutput.contains("the registry has no newer image"))
        // The registry's digests stay recorded on the local images until removed by name.
        let digests = try h.docker.must(["images", "--digests", "--format", "{{.Repository}}@{{.Digest}}"])
        h.docker.removeQuietly(
            images: [remote] + digests.split(separator: "\n").map(String.init).filter { $0.hasPrefix(registry.host + "/") })
    }

    @Test("bbf dev sql runs GO batches over TDS and stops at the first failing one")
    func sqlFile() throws {
        let h = try harness()
        guard h.tds else { try Test.cancel("BBF_TEST_ENGINE_IMAGE=\(h.baseImage) serves no TDS (plain PostgreSQL)") }
        try h.mustDev(["up"])
        let script = h.scratch.path + "/script.tsql"
        try FileSystem.writeAtomically(
            script,
            """
            CREATE TABLE dbo.items (id int IDENTITY PRIMARY KEY, name nvarchar(40));
            INSERT dbo.items (name) VALUES (N'Zoë');
            GO
            DECLARE @n int = (SELECT COUNT(*) FROM dbo.items);
            PRINT 'rows: ' + CAST(@n AS varchar(10));
            SELECT id, name FROM dbo.items;
            GO 2
            SELECT * FROM dbo.missing_table;
            GO
            SELECT 'never reached';
            """, permissions: 0o644)
        let run = try h.dev(["sql", script])
        #expect(!run.succeeded)
        #expect(run.standardOutput.contains("rows: 1"))
        #expect(run.standardOutput.contains("1   Zoë"))
        #expect(run.standardError.contains("the batch at line 8 failed"))
        #expect(!run.standardOutput.contains("never reached"))
    }
}

/// The same workflow on podman (its inspect output, conmon, copy-up of volumes).
@Suite("bbf dev on podman", .serialized)
struct DevPodmanTests {
    @Test("up on a fresh volume, down/up keeps an edit, save/refresh/load brings it back, on podman")
    func podmanLifecycle() throws {
        let h: DevHarness
        do {
            h = try DevHarness(podman: true)
        } catch let skip as TestPrerequisite {
            try Test.cancel("\(skip.reason)")
        }
        let up = try h.mustDev(["up"])
        #expect(up.standardError.contains("is ready"), "\(up.output)")
        try h.writeNote("edited on podman")
        try h.mustDev(["down"])
        try h.mustDev(["up"])
        #expect(h.note() == "edited on podman")
        let status = try h.mustDev(["status", "--no-registry"])
        #expect(status.standardOutput.contains("running, healthy") && status.standardOutput.contains("(podman "))
        try h.mustDev(["save", "on-podman"])
        try h.mustDev(["refresh", "--yes", "--pull", "never"])
        #expect(h.note() == nil)
        try h.mustDev(["load", "on-podman", "--yes", "--pull", "never"])
        #expect(h.note() == "edited on podman")
    }
}

/// What needs no engine image: the command's answers to bad input and to a
/// missing or stopped engine.
@Suite("bbf dev without an engine image", .serialized)
struct DevCommandTests {
    func run(_ arguments: [String], environment: [String: String]) throws -> Finished {
        let scratch = try Scratch("bbf-dev-cmd-")
        return try runProgram(TestTools.built("bbf"), ["dev"] + arguments, environment: environment, in: scratch.path)
    }

    @Test("No engine installed, or one that is not running: one message with the fix, exit 1")
    func engineMissing() throws {
        let none = try run(["status", "--image", "a/b:1"], environment: ["PATH": "/nonexistent", "HOME": "/tmp"])
        #expect(none.status == .exited(1))
        #expect(none.standardError.contains("no container engine is installed"))
        #expect(none.standardError.split(separator: "\n").count == 1)
        guard let docker = TestTools.onPath("docker") else { try Test.cancel("needs a docker client on PATH") }
        let stopped = try run(
            ["status", "--image", "a/b:1", "--engine", docker],
            environment: ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(stopped.status == .exited(1))
        #expect(stopped.standardError.contains("its daemon is not running at unix:///nonexistent/docker.sock: start it"))
    }

    @Test("Bad settings are named before any engine is asked; a --from-backup that is not there is named")
    func badInput() throws {
        let scratch = try Scratch("bbf-dev-cmd-")
        try FileSystem.writeAtomically(scratch.path + "/bbf-dev.json", #"{"imag": "x", "port": 0}"#, permissions: 0o644)
        let environment = ["PATH": "/nonexistent", "HOME": "/tmp", "BBF_DEV_CONFIG": scratch.path + "/bbf-dev.json"]
        let bad = try run(["up"], environment: environment)
        #expect(bad.status == .exited(1))
        #expect(bad.standardError.contains("unknown key \"imag\" (did you mean \"image\"?)"))
        #expect(bad.standardError.contains("\"port\" in \(scratch.path)/bbf-dev.json 0: give a port number from 1 to 65535"))
        let backup = try run(
            ["up", "--image", "a/b:1", "--from-backup", "s3://Bad_Bucket/dev/"], environment: ["PATH": "/nonexistent", "HOME": "/tmp"])
        #expect(backup.status == .exited(1))
    }

    @Test("login ecr hands the password to the engine on its standard input (moto's ECR, a local registry)")
    func loginECR() throws {
        guard let docker = DockerEngine.available else { try Test.cancel("\(DockerEngine.reason)") }
        let moto: MotoS3
        let registry: LocalRegistry
        do {
            moto = try MotoS3()
            registry = try LocalRegistry()
        } catch let skip as TestPrerequisite {
            try Test.cancel("\(skip.reason)")
        }
        let home = try Scratch("bbf-dev-login-")
        var environment = docker.environment.merging(moto.environment) { $1 }
        environment["HOME"] = home.path
        environment["PATH"] = ProcessEnvironment.current()["PATH"] ?? "/usr/bin:/bin"
        let login = try runProgram(
            TestTools.built("bbf"), ["dev", "login", "ecr", "--registry", registry.host, "--region", "eu-west-1"], environment: environment,
            in: home.path)
        #expect(login.succeeded, "\(login.output)")
        let config = try FileSystem.readText(home.path + "/.docker/config.json")
        #expect(config.contains(registry.host))
        let notECR = try runProgram(
            TestTools.built("bbf"), ["dev", "login", "ecr", "--registry", registry.host], environment: environment, in: home.path)
        #expect(!notECR.succeeded)
        #expect(notECR.standardError.contains("is not an Amazon ECR registry"))
    }
}
