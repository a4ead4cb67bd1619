import BBFContainer
import BBFDev
import BBFPipeline
import BBFSystem
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("bbf dev up: the plan, and host ports")
struct UpPlanTests {
    func engineImage(
        environment: [String: String] = [:], labels: [String: String] = ["babelfish-dev.babelfish.version": "4.2.0"]
    )
        -> ImageInspection
    {
        ImageInspection(
            id: "sha256:" + String(repeating: "a", count: 64), repoTags: [], repoDigests: [], created: nil, labels: labels,
            environment: ["PGDATA": "/var/lib/babelfish/data"].merging(environment) { $1 }, user: "999:999", hasHealthcheck: true)
    }

    func settings(_ adjust: (inout DevFlags) -> Void = { _ in }) throws -> DevSettings {
        var flags = DevFlags()
        flags.image = "babelfish-dev:4.2"
        adjust(&flags)
        return try DevSettings.resolve(flags: flags, environment: [:], file: nil, workingDirectory: "/tmp")
    }

    @Test("The container: the volume at the data directory, TDS and PostgreSQL on 127.0.0.1, variables by name only")
    func spec() throws {
        let settings = try self.settings { $0.environment = ["TZ=Europe/Paris", "BBF_SECRET=s3cret"] }
        let plan = UpPlan.make(
            settings: settings, reference: "babelfish-dev:4.2", image: engineImage(), firstBoot: ["POSTGRES_PASSWORD": "Pg-pw-1"])
        let arguments = plan.spec.createArguments(engine: .docker)
        #expect(arguments.contains("pgbf-devdata:/var/lib/babelfish/data"))
        #expect(arguments.contains("127.0.0.1:1434:1433") && arguments.contains("127.0.0.1:5432:5432"))
        #expect(arguments.last == "babelfish-dev:4.2")
        for secret in ["s3cret", "Pg-pw-1", "Europe/Paris"] {
            #expect(!arguments.joined(separator: " ").contains(secret), "no value in argv: \(secret)")
        }
        #expect(plan.secrets == ["TZ": "Europe/Paris", "BBF_SECRET": "s3cret", "POSTGRES_PASSWORD": "Pg-pw-1"])
        #expect(plan.spec.labels["babelfish-dev.dev.instance"] == "babelfish-dev")
    }

    @Test("First-boot passwords do not change the spec hash; the user's variables and ports do")
    func specHash() throws {
        let settings = try self.settings()
        let image = engineImage()
        let first = UpPlan.make(settings: settings, reference: "r:1", image: image, firstBoot: ["POSTGRES_PASSWORD": "x"])
        let later = UpPlan.make(settings: settings, reference: "r:1", image: image, firstBoot: [:])
        #expect(first.specHash == later.specHash)
        let otherPort = UpPlan.make(settings: try self.settings { $0.port = 1500 }, reference: "r:1", image: image, firstBoot: [:])
        let otherVariable = UpPlan.make(
            settings: try self.settings { $0.environment = ["TZ=UTC"] }, reference: "r:1", image: image, firstBoot: [:])
        #expect(Set([later.specHash, otherPort.specHash, otherVariable.specHash]).count == 3)
    }

    @Test(
        "On Docker 25+ the image's health check is probed every second while the server starts; no re-create for it, none on podman or without a health check"
    )
    func healthStartInterval() throws {
        let settings = try self.settings()
        let image = engineImage()
        let plain = UpPlan.make(settings: settings, reference: "r:1", image: image, firstBoot: [:])
        let current = UpPlan.make(settings: settings, reference: "r:1", image: image, firstBoot: [:], healthStartInterval: true)
        #expect(!plain.spec.createArguments(engine: .docker).contains("--health-start-interval"))
        let arguments = current.spec.createArguments(engine: .docker)
        let flag = try #require(arguments.firstIndex(of: "--health-start-interval"), "\(arguments)")
        #expect(arguments[flag + 1] == "1s")
        #expect(arguments.last == "r:1", "the flag goes before the image")
        #expect(current.specHash == plain.specHash, "an engine upgrade alone must not re-create the container")
        #expect(!current.spec.createArguments(engine: .podman).contains("--health-start-interval"), "podman 4 refuses the flag")
        var unchecked = image
        unchecked.hasHealthcheck = false
        let none = UpPlan.make(settings: settings, reference: "r:1", image: unchecked, firstBoot: [:], healthStartInterval: true)
        #expect(none.spec.healthStartInterval == nil, "an image without a health check gets none made up")
    }

    @Test("A plain PostgreSQL image publishes no TDS port")
    func plainPostgres() throws {
        let plan = UpPlan.make(
            settings: try settings(), reference: "r:1", image: engineImage(environment: ["BABELFISH_ENABLED": "false"], labels: [:]),
            firstBoot: [:])
        #expect(!plan.babelfish)
        #expect(plan.spec.ports.map(\.containerPort) == [5432])
    }

    @Test("Create, start, re-use or re-create")
    func actions() throws {
        func container(status: String, hash: String = "h", image: String = "sha256:i") -> ContainerInspection {
            ContainerInspection(
                id: "c", name: "n", status: status, exitCode: 0, startedAt: nil, finishedAt: nil, health: nil, healthOutput: nil,
                imageID: image, imageReference: "r", labels: ["babelfish-dev.dev.spec": hash, "babelfish-dev.dev.instance": "n"],
                mounts: [],
                ports: [])
        }
        #expect(UpPlan.action(existing: nil, specHash: "h", imageID: "sha256:i") == .create)
        #expect(UpPlan.action(existing: container(status: "running"), specHash: "h", imageID: "sha256:i") == .alreadyRunning)
        #expect(UpPlan.action(existing: container(status: "exited"), specHash: "h", imageID: "sha256:i") == .start)
        #expect(
            UpPlan.action(existing: container(status: "running", image: "sha256:old"), specHash: "h", imageID: "sha256:i")
                == .recreate(reason: "it runs an older image"))
        #expect(
            UpPlan.action(existing: container(status: "running", hash: "other"), specHash: "h", imageID: "sha256:i")
                == .recreate(reason: "its settings changed"))
        // What an interrupted up leaves behind is replaced, never tripped over.
        #expect(
            UpPlan.action(existing: container(status: "created"), specHash: "h", imageID: "sha256:i")
                == .recreate(reason: "a previous up did not finish"))
        #expect(UpPlan.action(existing: container(status: "dead"), specHash: "h", imageID: "sha256:i") == .recreate(reason: "it is dead"))
    }

    @Test("An engine image on a new volume gets its first-boot passwords; a data-loaded image or an initialized volume gets none")
    func firstBoot() throws {
        let passwords = LoginPasswords(fallback: "Default-1", perLogin: ["postgres": "Pg-1"])
        let settings = try self.settings { $0.login = "app_admin" }
        let variables = try UpPlan.firstBootVariables(
            image: engineImage(), volumeInitialized: false, settings: settings, passwords: passwords, login: "app_admin")
        #expect(variables == ["POSTGRES_PASSWORD": "Pg-1", "BABELFISH_USER": "app_admin", "BABELFISH_PASSWORD": "Default-1"])
        #expect(
            try UpPlan.firstBootVariables(
                image: engineImage(), volumeInitialized: true, settings: settings, passwords: passwords, login: "app_admin"
            ).isEmpty)
        let dataLoaded = engineImage(labels: [SnapshotLabels.archive: "bbf-backup-x.tar.gz"])
        #expect(
            try UpPlan.firstBootVariables(image: dataLoaded, volumeInitialized: false, settings: settings, passwords: nil, login: "x")
                .isEmpty)
        let plain = try UpPlan.firstBootVariables(
            image: engineImage(environment: ["BABELFISH_ENABLED": "false"]), volumeInitialized: false, settings: try self.settings(),
            passwords: passwords, login: "babelfish_user")
        #expect(plain == ["POSTGRES_PASSWORD": "Pg-1"])
    }

    @Test("Without passwords a new engine-image volume is refused before anything is made, naming where to give them")
    func firstBootWithoutPasswords() throws {
        #expect {
            try UpPlan.firstBootVariables(
                image: engineImage(), volumeInitialized: false, settings: try settings(), passwords: nil, login: "babelfish_user")
        } throws: { error in
            let message = (error as? DevError)?.message ?? ""
            return message.contains("postgres and babelfish_user") && message.contains("passwordFile")
                && message.contains("--password-file") && message.contains("Nothing was created")
        }
        // The user's own variables count.
        let given = try settings { $0.environment = ["POSTGRES_PASSWORD=a", "BABELFISH_PASSWORD=b"] }
        #expect(
            try UpPlan.firstBootVariables(
                image: engineImage(), volumeInitialized: false, settings: given, passwords: nil, login: "babelfish_user"
            ).isEmpty)
    }

    @Test("A port someone listens on is in use; a free one is free; the instance's own ports do not count")
    func ports() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let taken = Int(UInt16(bigEndian: address.sin_port))
        #expect(PortCheck.probe(address: "127.0.0.1", port: taken) == .inUse)
        #expect(PortCheck.probe(address: "0.0.0.0", port: taken) == .inUse)
        let free = try Network.freeLoopbackPort()
        #expect(PortCheck.probe(address: "127.0.0.1", port: free) == .free)
        #expect(PortCheck.probe(address: "192.0.2.1", port: free) == .notLocal)

        var flags = DevFlags()
        flags.port = taken
        let settings = try DevSettings.resolve(flags: flags, environment: [:], file: nil, workingDirectory: "/tmp")
        let wanted = [
            PortCheck.Wanted(port: .init(hostAddress: "127.0.0.1", hostPort: taken, containerPort: 1433), key: "port", what: "TDS"),
            PortCheck.Wanted(port: .init(hostAddress: "127.0.0.1", hostPort: 5432, containerPort: 5432), key: "pgPort", what: "PostgreSQL"),
        ]
        let held = [ContainerInspection.PortBinding(hostAddress: "127.0.0.1", hostPort: 5432, containerPort: 5432)]
        #expect(PortCheck.toCheck(wanted, heldByInstance: held).map(\.key) == ["port"])
        let error = try #require(PortCheck.problem([(wanted[0], .inUse)], settings: settings, holders: [taken: "someone-else"]))
        #expect(error.code == .portInUse)
        #expect(error.message.contains("host port \(taken) (TDS, 127.0.0.1:\(taken)) is already in use by the container someone-else"))
        #expect(error.message.contains("pass --port PORT") && error.message.contains("Nothing was created"))
        #expect(PortCheck.problem([(wanted[1], .free), (wanted[1], .notLocal)], settings: settings) == nil)
    }
}
