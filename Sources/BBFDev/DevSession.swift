import BBFArchive
import BBFContainer
import BBFImage
import BBFPipeline
import BBFProcess
import BBFSystem
import Foundation
import TDSClient

/// Options of `up` beyond the settings.
public struct UpOptions: Sendable {
    /// nil: show passwords in the connection strings only on a terminal.
    public var showPasswords: Bool?
    /// `--from-backup ARCHIVE`: restore a `bbf backup` archive into the volume first.
    public var fromBackup: String?
    public var wait = true
    /// false while `--from-backup` brings the instance up before its restore.
    public var printConnectionStrings = true

    public init() {}
}

/// A command that takes over the terminal: the caller replaces itself with it.
public struct HandOver: Sendable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
}

/// The developer instance: one container of the team's image on one named
/// volume. Each public method is one `bbf dev` subcommand; decisions are
/// made by the pure types (UpPlan, StatusDecision, PortCheck, SaveStore),
/// effects go through `Engine`.
public final class DevSession {
    public let settings: DevSettings
    let environment: [String: String]
    let console: DevConsole
    private var connected: Engine?
    private var engineVersion = ""

    public init(settings: DevSettings, environment: [String: String], console: DevConsole) {
        self.settings = settings
        self.environment = environment
        self.console = console
    }

    // MARK: - the engine

    /// The engine, checked to be running (one message with the fix otherwise).
    public func engine() throws(DevError) -> Engine {
        if let connected { return connected }
        do {
            let engine = try Engine.locate(requested: settings.engine ?? environment["BBF_CONTAINER_ENGINE"], environment: environment)
            engineVersion = try engine.info()
            connected = engine
            return engine
        } catch {
            throw DevError(.engine, error.message)
        }
    }

    func wrap<T>(_ code: DevError.Code = .container, _ body: () throws(ContainerError) -> T) throws(DevError) -> T {
        do {
            return try body()
        } catch {
            throw DevError(error.code == .engine ? .engine : code, error.message)
        }
    }

    func requireImage() throws(DevError) -> String {
        guard let image = settings.image else {
            throw DevError(
                .configuration,
                "no image to run: set \"image\" in \(settings.configFile ?? "bbf-dev.json (in this directory or above)"), BBF_DEV_IMAGE, or pass --image REF"
            )
        }
        return image
    }

    /// The instance's container if bbf dev made it; an error if another one has its name.
    func ownContainer() throws(DevError) -> ContainerInspection? {
        let engine = try engine()
        guard let container = try wrap(.container, { () throws(ContainerError) in try engine.containerInspect(settings.name) }) else {
            return nil
        }
        guard container.labels[DevLabels.instance] != nil else {
            throw DevError(
                .container,
                "a container named \(settings.name) exists that bbf dev did not create (it has no \(DevLabels.instance) label): bbf dev does not touch it. Choose another name (\(settings.howToChange("name"))), or remove it yourself (\(engine.name) rm -f \(settings.name))."
            )
        }
        return container
    }

    /// The image in the local store, pulled as the policy says.
    func ensureImage(_ reference: String, pull: PullPolicy) throws(DevError) -> ImageInspection {
        let engine = try engine()
        var local = try wrap(.image) { () throws(ContainerError) in try engine.imageInspect(reference) }
        if pull == .always || (pull == .missing && local == nil) {
            console.info("pulling \(reference) ...")
            let console = self.console
            try wrap(.image) { () throws(ContainerError) in
                try engine.pull(reference) { line in
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty { console.progress(trimmed, key: trimmed) }
                }
            }
            console.endProgress()
            local = try wrap(.image) { () throws(ContainerError) in try engine.imageInspect(reference) }
        }
        guard let local else {
            throw DevError(
                .image,
                "\(reference) is not in \(engine.name)'s image store and --pull is never: pull it (\(engine.name) pull \(reference)), or run with --pull missing."
            )
        }
        return local
    }

    /// Reads the volume (PG_VERSION, the snapshot record, the state file):
    /// through `exec` when the container runs, else a throwaway container.
    func probeVolume(image: String, running: ContainerInspection?) throws(DevError) -> VolumeContents {
        let engine = try engine()
        let dataPath = ImageFacts.dataDirectory
        let result: ToolResult
        if let running, running.isRunning,
            let mount = running.mounts.first(where: { $0.type == "volume" && $0.source == settings.volume })
        {
            result = try wrap(.volume) { () throws(ContainerError) in
                try engine.exec(running.name, ["sh", "-c", VolumeContents.probeScript, "sh", mount.destination])
            }
            guard result.succeeded else {
                throw DevError(.volume, "cannot read the volume \(settings.volume) in \(running.name): \(result.errorTail(lines: 4))")
            }
        } else {
            result = try wrap(.volume) { () throws(ContainerError) in
                try engine.runThrowaway(
                    image: image, volumes: [.init(volume: settings.volume, path: dataPath, readOnly: true)], user: "0", entrypoint: "sh",
                    arguments: ["-c", VolumeContents.probeScript, "sh", dataPath], doing: "read the volume \(settings.volume)")
            }
        }
        return VolumeContents.parse(result.output)
    }

    func passwords() throws(DevError) -> LoginPasswords? {
        switch settings.password {
        case nil: return nil
        case .value(let password): return LoginPasswords(fallback: password, perLogin: [:])
        case .file(let path):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw DevError(
                    .configuration,
                    "the password file \(path) (\(settings.source(of: "passwordFile"))) cannot be read: create it (one password, or login=password lines) or point \(settings.howToChange("passwordFile"))"
                )
            }
            do {
                return try LoginPasswords.parse(text, file: path)
            } catch {
                throw DevError(.configuration, error.message)
            }
        }
    }

    /// The TDS login: the setting, else the data-loaded image's initialize login, else babelfish_user.
    func login(for image: ImageInspection?) -> String {
        settings.login ?? image.flatMap { ImageFactsFromLabels(labels: $0.labels).initializeLogin } ?? "babelfish_user"
    }

    // MARK: - up

    public func up(_ options: UpOptions = UpOptions()) throws(DevError) {
        if let archive = options.fromBackup {
            try upFromBackup(archive, options: options)
            return
        }
        let engine = try engine()
        let reference = try requireImage()
        let image = try ensureImage(reference, pull: settings.pull)
        try bringUp(reference: reference, image: image, options: options, engine: engine)
    }

    func bringUp(reference: String, image: ImageInspection, options: UpOptions, engine: Engine) throws(DevError) {
        let existing = try ownContainer()
        let volume = try wrap(.volume) { () throws(ContainerError) in try engine.volumeInspect(settings.volume) }
        let labels = ImageFactsFromLabels(labels: image.labels)
        let login = login(for: image)

        // A first look at the volume, only when a container is about to be made for it.
        let preliminary = UpPlan.make(settings: settings, reference: reference, image: image, firstBoot: [:])
        var action = UpPlan.action(existing: existing, specHash: preliminary.specHash, imageID: image.id)
        var contents: VolumeContents?
        if volume != nil, action != .alreadyRunning, action != .start {
            contents = try? probeVolume(image: reference, running: existing)
        }
        if let major = contents?.postgresMajor, let imageMajor = labels.postgresMajor, major != imageMajor {
            throw DevError(
                .refused,
                "the volume \(settings.volume) holds a PostgreSQL \(major) cluster, but \(reference) is PostgreSQL \(imageMajor): PostgreSQL cannot start it, and bbf dev never initializes over it. Choices: run a PostgreSQL \(major) image (\(settings.howToChange("image"))); keep a copy with bbf dev save NAME, then bbf dev refresh for a fresh volume; or upgrade the cluster with pg_upgrade. Nothing was changed."
            )
        }
        let firstBoot = try UpPlan.firstBootVariables(
            image: image, volumeInitialized: volume != nil && (contents?.initialized ?? true) && contents?.empty != true,
            settings: settings,
            passwords: try passwords(), login: login)
        let plan = UpPlan.make(
            settings: settings, reference: reference, image: image, firstBoot: firstBoot,
            healthStartInterval: engine.kind.takesHealthStartInterval(serverVersion: engineVersion))
        action = UpPlan.action(existing: existing, specHash: plan.specHash, imageID: image.id)

        // Every host port is checked before anything is created.
        if action != .alreadyRunning {
            let held = existing?.isRunning == true ? existing?.ports ?? [] : []
            let wanted = PortCheck.toCheck(plan.ports, heldByInstance: held)
            let taken = wanted.map { ($0, PortCheck.probe(address: $0.port.hostAddress, port: $0.port.hostPort)) }.filter {
                $0.1 != .free && $0.1 != .notLocal
            }
            if !taken.isEmpty {
                throw PortCheck.problem(taken, settings: settings, holders: portHolders(engine))
                    ?? DevError(.portInUse, "a host port is taken")
            }
        }

        let created = CreatedContainer()
        let name = settings.name
        let volumeName = settings.volume
        Interruption.shared.notice =
            "removing the container \(name) if this up created it; the volume \(volumeName) is kept. Run bbf dev up again."
        let token = Interruption.shared.onInterrupt {
            if created.value { try? engine.remove(name, force: true) }
        }
        defer { Interruption.shared.remove(token) }

        switch action {
        case .alreadyRunning:
            console.info("\(name) is already running on \(reference)")
        case .start:
            console.info("starting \(name) (volume \(volumeName))")
            try start(engine, created: created, removeOnPortConflict: false)
        case .create, .recreate:
            if case .recreate(let reason) = action {
                console.info("replacing the container \(name) (\(reason)); the volume \(volumeName) is kept")
                try wrap { () throws(ContainerError) in
                    try engine.stop(name)
                    try engine.remove(name, force: true)
                }
            }
            if volume == nil {
                try wrap(.volume) { () throws(ContainerError) in
                    try engine.volumeCreate(
                        volumeName,
                        labels: [
                            DevLabels.createdBy: "bbf dev", DevLabels.instance: name, DevLabels.image: reference,
                            DevLabels.imageID: image.id,
                        ])
                }
                console.info(
                    "created the volume \(volumeName)"
                        + (labels.isDataLoaded
                            ? "; it is filled from the image's DEV snapshot as the container is created (a large snapshot takes a while)"
                            : ""))
            }
            console.info("creating \(name) from \(reference)")
            created.value = true
            do {
                try engine.create(plan.spec, secrets: plan.secrets)
            } catch {
                try? engine.remove(name, force: true)
                throw DevError(.container, error.message)
            }
            try start(engine, created: created, removeOnPortConflict: true)
        }
        if options.wait {
            try waitReady(engine)
        }
        created.value = false
        if options.printConnectionStrings {
            try printConnectionStrings(image: image, plan: plan, login: login, options: options)
        }
    }

    final class CreatedContainer: @unchecked Sendable {
        private let lock = NSLock()
        private var flag = false
        var value: Bool {
            get {
                lock.lock()
                defer { lock.unlock() }
                return flag
            }
            set {
                lock.lock()
                flag = newValue
                lock.unlock()
            }
        }
    }

    func start(_ engine: Engine, created: CreatedContainer, removeOnPortConflict: Bool) throws(DevError) {
        do {
            try engine.start(settings.name)
        } catch {
            if error.isPortConflict {
                if removeOnPortConflict { try? engine.remove(settings.name, force: true) }
                throw DevError(
                    .portInUse,
                    "\(engine.name) could not publish a port (\(error.message)): a host port is taken. Choose others: TDS \(settings.howToChange("port")); PostgreSQL \(settings.howToChange("pgPort"))."
                )
            }
            throw DevError(.container, error.message)
        }
    }

    /// The running containers that publish each host port (for "in use by").
    func portHolders(_ engine: Engine) -> [Int: String] {
        var holders: [Int: String] = [:]
        for (name, ports) in engine.publishedPorts() { for port in ports { holders[port] = name } }
        return holders
    }

    /// Polls the image's own health check (`bbf-entrypoint healthcheck` in
    /// the container) instead of waiting a whole health interval, with a progress line.
    func waitReady(_ engine: Engine) throws(DevError) {
        let name = settings.name
        let started = Date()
        var reason = "starting"
        var useEngineHealth = false
        while true {
            let elapsed = Date().timeIntervalSince(started)
            guard let container = try wrap(.container, { () throws(ContainerError) in try engine.containerInspect(name) }) else {
                throw DevError(.notReady, "the container \(name) disappeared while starting (removed by someone else?)")
            }
            if !container.isRunning && container.status != "created" && container.status != "restarting" {
                console.endProgress()
                let logs = engine.logs(name, tail: 30)
                throw DevError(
                    .notReady,
                    "\(name) stopped while starting (\(container.status), exit code \(container.exitCode)). Its last log lines:\n\(logs)\n\nFix what they say, then run bbf dev up again (the container is kept for bbf dev logs)."
                )
            }
            if container.isRunning {
                if useEngineHealth {
                    if container.health == "healthy" { break }
                    if container.health == nil && PortCheck.probe(address: "127.0.0.1", port: settings.postgresPort) == .inUse { break }
                    reason = container.healthOutput ?? container.health ?? "starting"
                } else {
                    let result = try wrap { () throws(ContainerError) in try engine.exec(name, ["bbf-entrypoint", "healthcheck"]) }
                    if result.succeeded { break }
                    let text = (result.output + result.standardError).trimmingCharacters(in: .whitespacesAndNewlines)
                    let lower = text.lowercased()
                    if lower.contains("executable file not found") || lower.contains("no such file or directory") {
                        useEngineHealth = true
                    } else if !text.isEmpty {
                        reason = text.hasPrefix("unhealthy: ") ? String(text.dropFirst(11)) : text
                    }
                }
            }
            if elapsed > Double(settings.healthTimeout) {
                console.endProgress()
                throw DevError(
                    .notReady,
                    "\(name) is not ready after \(settings.healthTimeout) s (last: \(reason)). Its last log lines:\n\(engine.logs(name, tail: 20))\n\nSee bbf dev logs -f; a very large volume may need more time (\(settings.howToChange("healthTimeout")))."
                )
            }
            console.progress("waiting for \(name): \(reason) (\(Int(elapsed)) s)", key: reason)
            Thread.sleep(forTimeInterval: 0.25)
        }
        console.endProgress()
        console.info("\(name) is ready (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
    }

    /// Where clients on this machine reach the published ports.
    var clientHost: (display: String, probe: String?) {
        if let host = environment["DOCKER_HOST"], host.hasPrefix("tcp://") || host.hasPrefix("ssh://") {
            let rest = host.drop { $0 != "/" }.drop { $0 == "/" }
            let name = String(rest.split(separator: "@").last?.split(separator: ":").first ?? "")
            if !name.isEmpty { return (name, addressProblem(name) == nil ? name : nil) }
        }
        switch settings.bindAddress {
        case "0.0.0.0", "127.0.0.1": return ("localhost", "127.0.0.1")
        case "::", "::1": return ("localhost", "::1")
        default: return (settings.bindAddress, settings.bindAddress)
        }
    }

    func printConnectionStrings(image: ImageInspection, plan: UpPlan, login: String, options: UpOptions) throws(DevError) {
        let passwords = try? passwords()
        let (host, probeHost) = clientHost
        var tls = false
        if plan.babelfish, let probeHost {
            switch TDSProbe.ask(host: probeHost, port: settings.tdsPort) {
            case .tls: tls = true
            case .noTLS: tls = false
            case .unreachable(let reason):
                console.warning(
                    "TDS answers inside the container but not on \(probeHost):\(settings.tdsPort) from here (\(reason)): check that nothing else intercepts the port."
                )
            }
        }
        let babelfishDatabase = image.environment["BABELFISH_DB"] ?? settings.environment["BABELFISH_DB"] ?? "babelfish_db"
        let target = ConnectionTarget(
            host: host, tdsPort: plan.babelfish ? settings.tdsPort : nil, postgresPort: settings.postgresPort, login: login,
            database: settings.database, loginPassword: passwords?.password(for: login),
            postgresPassword: passwords?.password(for: "postgres"),
            postgresDatabase: plan.babelfish ? babelfishDatabase : "postgres", tdsEncryption: tls)
        let show = options.showPasswords ?? console.outputIsTerminal
        let lines = ConnectionStrings.render(target, showPasswords: show)
        let width = lines.map(\.label.count).max() ?? 0
        var text = lines.map { $0.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.text }.joined(separator: "\n")
        if !show || passwords == nil {
            let source = ImageFactsFromLabels(labels: image.labels).passwordSource
            if passwords == nil {
                text +=
                    "\n\nPasswords: \(source ?? "the ones given at the first boot") (give them to bbf dev with \"passwordFile\" in bbf-dev.json to see them here)."
            } else {
                text += "\n\n(passwords hidden when the output is not a terminal: pass --show-passwords to print them)"
            }
        }
        console.out(text)
    }

    // MARK: - status

    public func status(checkRegistry: Bool = true) throws(DevError) -> (text: String, facts: StatusFacts) {
        let engine = try engine()
        let container = try wrap { () throws(ContainerError) in try engine.containerInspect(settings.name) }
        let reference = settings.image ?? container?.labels[DevLabels.image] ?? container?.imageReference
        var facts = StatusFacts(
            instance: settings.name, engine: "\(engine.name) \(engineVersion)", imageReference: reference, volumeName: settings.volume)
        facts.container = container
        facts.containerIsOurs = container.map { $0.labels[DevLabels.instance] != nil } ?? true
        if let container, container.isRunning, facts.containerIsOurs,
            let check = try? engine.exec(container.name, ["bbf-entrypoint", "healthcheck"])
        {
            // The image's own check, run now rather than the engine's last periodic result.
            let text = (check.output + check.standardError).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.lowercased().contains("executable file not found") {
                facts.container?.health = check.succeeded ? "healthy" : "unhealthy"
                facts.container?.healthOutput = text.hasPrefix("unhealthy: ") ? String(text.dropFirst(11)) : text
            }
        }
        if let reference {
            facts.image = try wrap(.image) { () throws(ContainerError) in try engine.imageInspect(reference) }
            if checkRegistry { facts.registry = registryCheck(reference, image: facts.image) }
        }
        facts.volume = try wrap(.volume) { () throws(ContainerError) in try engine.volumeInspect(settings.volume) }
        if facts.volume != nil {
            let probeImage = facts.image != nil ? reference : container?.imageID
            if let probeImage {
                do {
                    facts.contents = try probeVolume(image: probeImage, running: facts.containerIsOurs ? container : nil)
                } catch {
                    facts.contentsProblem = error.message
                }
            } else {
                facts.contentsProblem = "no local image to read it with (bbf dev up pulls one)"
            }
        }
        return (StatusDecision.render(facts), facts)
    }

    /// The registry's digest for the reference against the local image's.
    func registryCheck(_ reference: String, image: ImageInspection?) -> RegistryCheck {
        guard let image else { return .notChecked }
        guard let parts = ImageReferenceSyntax.parts(reference) else { return .unknown("not a registry reference") }
        let local = image.digests(forRepository: parts.repository)
        // podman names images built or loaded here localhost/NAME.
        guard !local.isEmpty, parts.host != "localhost" else { return .localOnly }
        if let digest = parts.digest { return local.contains(digest) ? .upToDate : .unknown("pinned to \(digest)") }
        let host = parts.host
        let plainHTTP = host.hasPrefix("localhost") || host.hasPrefix("127.")
        do {
            let skopeo = try Skopeo(environment: environment, tlsVerify: !plainHTTP)
            let raw = try skopeo.inspect(.registry(reference), raw: true)
            let remote = "sha256:" + BBFArchive.sha256(of: [UInt8](raw))
            return local.contains(remote) ? .upToDate : .newer(remoteDigest: remote)
        } catch {
            if error.code == .tool && error.message.contains("not on PATH") {
                return .unknown("skopeo is not installed (apt-get install skopeo, brew install skopeo) to compare with the registry")
            }
            return .unknown(String(error.message.prefix(300)))
        }
    }

    // MARK: - down, refresh

    /// Stops and removes the container; the volume stays unless `removeVolume` (confirmed).
    public func down(removeVolume: Bool, yes: Bool) throws(DevError) {
        let engine = try engine()
        if removeVolume {
            try console.confirm(
                "This removes the volume \(settings.volume) and every local change in it (keep a copy first with bbf dev save NAME).",
                yes: yes)
        }
        if try ownContainer() != nil {
            try wrap { () throws(ContainerError) in
                try engine.stop(settings.name)
                try engine.remove(settings.name, force: true)
            }
            console.info(
                "stopped and removed the container \(settings.name)" + (removeVolume ? "" : "; the volume \(settings.volume) is kept"))
        } else {
            console.info("there is no container \(settings.name)")
        }
        if removeVolume { try removeVolumeNow(engine) }
    }

    func removeVolumeNow(_ engine: Engine) throws(DevError) {
        guard try wrap(.volume, { () throws(ContainerError) in try engine.volumeInspect(settings.volume) }) != nil else { return }
        do {
            try engine.volumeRemove(settings.volume)
        } catch {
            throw DevError(
                .volume,
                "cannot remove the volume \(settings.volume): \(error.message). Another container may still use it (\(engine.name) ps -a --filter volume=\(settings.volume))."
            )
        }
        console.info("removed the volume \(settings.volume)")
    }

    /// Confirmed: pull, remove container and volume, come up on the newest snapshot.
    public func refresh(yes: Bool, options: UpOptions = UpOptions()) throws(DevError) {
        let engine = try engine()
        let reference = try requireImage()
        _ = try ownContainer()
        try console.confirm(
            "bbf dev refresh removes the container \(settings.name) and the volume \(settings.volume) with every local change in it, and starts again from \(reference) (keep a copy first with bbf dev save NAME).",
            yes: yes)
        // Pull first: a failed pull must leave the volume as it was.
        let image = try ensureImage(reference, pull: settings.pull == .never ? .never : .always)
        try wrap { () throws(ContainerError) in
            try engine.stop(settings.name)
            try engine.remove(settings.name, force: true)
        }
        try removeVolumeNow(engine)
        try bringUp(reference: reference, image: image, options: options, engine: engine)
    }

    // MARK: - save, load, saves

    func store() throws(DevError) -> SaveStore {
        guard let directory = settings.savesDirectory else {
            throw DevError(.configuration, "no saves directory: HOME is not set; \(settings.howToChange("savesDir"))")
        }
        return SaveStore(directory: directory)
    }

    /// A compressed copy of the stopped volume under the saves directory.
    public func save(_ name: String, replace: Bool) throws(DevError) {
        if let problem = SaveStore.nameProblem(name) { throw DevError(.configuration, "\(name): \(problem)") }
        let store = try store()
        if store.exists(name) && !replace {
            throw DevError(.save, "a save named \(name) exists in \(store.directory): choose another name, or pass --replace")
        }
        let engine = try engine()
        let container = try ownContainer()
        guard try wrap(.volume, { () throws(ContainerError) in try engine.volumeInspect(settings.volume) }) != nil else {
            throw DevError(.volume, "there is no volume \(settings.volume) to save (\(settings.howToChange("volume")))")
        }
        let reference: String
        if let known = container?.labels[DevLabels.image] ?? container?.imageReference {
            reference = known
        } else {
            reference = try requireImage()
        }
        let image = try wrap(.image) { () throws(ContainerError) in try engine.imageInspect(reference) }
        let runImage = image != nil ? reference : (container?.imageID ?? reference)
        let wasRunning = container?.isRunning == true
        if wasRunning {
            console.info("stopping \(settings.name) for a consistent copy (it is started again afterwards)")
            try wrap { () throws(ContainerError) in try engine.stop(settings.name) }
        }
        let contents = try probeVolume(image: runImage, running: nil)
        guard let major = contents.postgresMajor, !contents.empty else {
            throw DevError(.save, "the volume \(settings.volume) holds no PostgreSQL cluster yet: nothing to save (bbf dev up first)")
        }

        do {
            try FileManager.default.createDirectory(
                atPath: store.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DevError(.save, "cannot create the saves directory \(store.directory): \(error)")
        }
        let partial = store.directory + "/.\(name).partial-\(getpid())"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            try FileManager.default.createDirectory(
                atPath: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DevError(.save, "cannot write in \(store.directory): \(error)")
        }
        Interruption.shared.notice =
            "the save \(name) was not made (its partial files are removed); \(settings.name) stays stopped: bbf dev up starts it."
        let token = Interruption.shared.onInterrupt { try? FileManager.default.removeItem(atPath: partial) }
        defer { Interruption.shared.remove(token) }
        do {
            let archive = partial + "/" + SaveRecord.archiveName
            let started = Date()
            console.info("saving the volume \(settings.volume) (PostgreSQL \(major)) as \(name) ...")
            _ = try wrap(.save) { () throws(ContainerError) in
                try engine.runThrowaway(
                    image: runImage, volumes: [.init(volume: settings.volume, path: ImageFacts.dataDirectory, readOnly: true)], user: "0",
                    entrypoint: "tar", arguments: ["--numeric-owner", "-I", "gzip -1", "-cf", "-", "-C", ImageFacts.dataDirectory, "."],
                    output: .file(archive), doing: "archive the volume \(settings.volume)")
            }
            let (digest, size) = try hashFile(archive)
            let labels = ImageFactsFromLabels(labels: image?.labels ?? [:])
            let repository = ImageReferenceSyntax.parts(reference)?.repository ?? reference
            let record = SaveRecord(
                name: name, createdAt: ISO8601DateFormatter().string(from: Date()), instance: settings.name, volume: settings.volume,
                image: reference, imageID: image?.id ?? container?.imageID ?? "",
                imageDigest: image?.digests(forRepository: repository).first,
                postgresMajor: major, postgresVersion: labels.postgresVersion, babelfishVersion: labels.babelfishVersion,
                snapshot: contents.snapshot, size: size, sha256: digest, tool: "bbf \(ProjectVersion.current)")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(record)
            guard
                FileManager.default.createFile(
                    atPath: partial + "/" + SaveRecord.fileName, contents: data, attributes: [.posixPermissions: 0o600])
            else { throw DevError(.save, "cannot write \(partial)/\(SaveRecord.fileName)") }
            let final = store.path(of: name)
            let old = store.directory + "/.\(name).old-\(getpid())"
            if FileManager.default.fileExists(atPath: final) { try FileManager.default.moveItem(atPath: final, toPath: old) }
            try FileManager.default.moveItem(atPath: partial, toPath: final)
            try? FileManager.default.removeItem(atPath: old)
            console.info(
                "saved \(name): \(PipelineLog.size(size)) in \(PipelineLog.duration(Date().timeIntervalSince(started))) → \(final)")
        } catch let error as DevError {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw DevError(.save, "cannot write the save \(name) in \(store.directory): \(error)")
        }
        if wasRunning {
            try start(engine, created: CreatedContainer(), removeOnPortConflict: false)
            try waitReady(engine)
        }
    }

    func hashFile(_ path: String) throws(DevError) -> (String, Int64) {
        do {
            return try BBFArchive.sha256(ofFile: path)
        } catch {
            throw DevError(.save, "cannot read \(path): \(error)")
        }
    }

    /// Puts a save back as the instance's volume (confirmed), then comes up.
    public func load(_ name: String, yes: Bool, options: UpOptions = UpOptions()) throws(DevError) {
        if let problem = SaveStore.nameProblem(name) { throw DevError(.configuration, "\(name): \(problem)") }
        let store = try store()
        let record = try store.read(name)
        let engine = try engine()
        let reference = try requireImage()
        let image = try ensureImage(reference, pull: settings.pull)
        let labels = ImageFactsFromLabels(labels: image.labels)
        var imageMajor = labels.postgresMajor
        if imageMajor == nil { imageMajor = try imagePostgresMajor(reference) }
        if let refusal = SaveStore.loadProblem(record, imageMajor: imageMajor, image: reference) { throw refusal }
        let archive = store.path(of: name) + "/" + record.archive
        console.info("checking \(name) (\(PipelineLog.size(record.size))) ...")
        let (digest, size) = try hashFile(archive)
        guard digest == record.sha256, size == record.size else {
            throw DevError(
                .save,
                "the save \(name) is damaged: \(archive) is \(size) bytes with sha256 \(digest), its save.json says \(record.size) bytes, \(record.sha256). Nothing was changed."
            )
        }
        _ = try ownContainer()
        var question =
            "bbf dev load replaces the volume \(settings.volume) with the save \(name) (saved \(record.createdAt) from \(record.image)); the volume's current data is dropped (keep it first with bbf dev save OTHER-NAME)."
        if record.image != reference { question += " The save was made with \(record.image); it is loaded with \(reference)." }
        try console.confirm(question, yes: yes)

        try wrap { () throws(ContainerError) in
            try engine.stop(settings.name)
            try engine.remove(settings.name, force: true)
        }
        try removeVolumeNow(engine)
        try wrap(.volume) { () throws(ContainerError) in
            try engine.volumeCreate(
                settings.volume,
                labels: [
                    DevLabels.createdBy: "bbf dev", DevLabels.instance: settings.name, DevLabels.image: reference,
                    DevLabels.imageID: image.id,
                    DevLabels.loadedFrom: name,
                ])
        }
        let volumeName = settings.volume
        Interruption.shared.notice =
            "the load of \(name) did not finish: the partly loaded volume \(volumeName) is removed; run bbf dev load \(name) again."
        let token = Interruption.shared.onInterrupt { try? engine.volumeRemove(volumeName) }
        defer { Interruption.shared.remove(token) }
        let started = Date()
        console.info("loading \(name) into the volume \(volumeName) ...")
        do {
            // Mounted outside the image's data directory, so no engine copies the image's own files into it first.
            _ = try engine.runThrowaway(
                image: reference, volumes: [.init(volume: volumeName, path: "/bbf-volume")], user: "0", entrypoint: "tar",
                arguments: ["--numeric-owner", "-xzpf", "-", "-C", "/bbf-volume"], inputFile: archive, doing: "unpack \(name)")
        } catch {
            try? engine.volumeRemove(volumeName)
            throw DevError(
                .save,
                "\(error.message)\nThe partly loaded volume \(volumeName) was removed; fix the cause and run bbf dev load \(name) again.")
        }
        console.info("loaded \(name) in \(PipelineLog.duration(Date().timeIntervalSince(started)))")
        Interruption.shared.remove(token)
        try bringUp(reference: reference, image: image, options: options, engine: engine)
    }

    /// The image's PostgreSQL major when its labels do not say (`postgres --version`).
    func imagePostgresMajor(_ reference: String) throws(DevError) -> String? {
        let engine = try engine()
        guard
            let result = try? engine.runThrowaway(
                image: reference, volumes: [], entrypoint: "postgres", arguments: ["--version"], doing: "ask \(reference) for its version")
        else { return nil }
        // "postgres (PostgreSQL) 16.3"
        let version = result.output.split(separator: " ").last.map(String.init) ?? ""
        let major = version.prefix { $0.isNumber }
        return major.isEmpty ? nil : String(major)
    }

    public func saves() throws(DevError) -> String {
        let store = try store()
        return SaveStore.render(try store.list(), directory: store.directory)
    }

    // MARK: - logs, psql, sql, login

    public func logs(follow: Bool, tail: Int?) throws(DevError) -> HandOver {
        let engine = try engine()
        guard try ownContainer() != nil else { throw DevError(.container, "there is no container \(settings.name): bbf dev up creates it") }
        var arguments = ["logs"]
        if follow { arguments.append("-f") }
        if let tail { arguments += ["--tail", String(tail)] }
        return HandOver(executable: engine.executable, arguments: arguments + [settings.name], environment: environment)
    }

    /// psql inside the container, over its socket (no password needed there).
    public func psql(arguments extra: [String], terminal: Bool) throws(DevError) -> HandOver {
        let engine = try engine()
        guard let container = try ownContainer(), container.isRunning else {
            throw DevError(.container, "\(settings.name) is not running: bbf dev up starts it")
        }
        var database = "babelfish_db"
        let image = try? engine.imageInspect(container.imageID)
        if let image, !UpPlan.babelfishEnabled(image: image, settings: settings) { database = "postgres" }
        let socket = settings.environment["POSTGRES_SOCKET_DIR"] ?? image?.environment["POSTGRES_SOCKET_DIR"] ?? ImageFacts.socketDirectory
        var arguments = ["exec", "-i"]
        if terminal { arguments.append("-t") }
        arguments += [settings.name, "psql", "-h", socket, "-U", "postgres", "-d", database] + extra
        return HandOver(executable: engine.executable, arguments: arguments, environment: environment)
    }

    /// Runs a T-SQL file (`GO` batches) over TDS on the published port.
    public func sql(file: String) throws(DevError) {
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let read = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw DevError(.sql, "cannot read \(file): give a T-SQL file (GO separates batches), or - for standard input")
            }
            text = read
        }
        let batches = try SQLScript.batches(text, file: file)
        let engine = try engine()
        guard let container = try ownContainer(), container.isRunning else {
            throw DevError(.container, "\(settings.name) is not running: bbf dev up starts it")
        }
        let image = try? engine.imageInspect(container.imageID)
        let login = login(for: image)
        guard let password = try passwords()?.password(for: login) else {
            throw DevError(
                .configuration,
                "no password for the login \(login): give it with \"passwordFile\" or \"password\" in bbf-dev.json, BBF_DEV_PASSWORD(_FILE), or --password-file"
            )
        }
        let port = container.ports.first { $0.containerPort == ImageFacts.tdsPort }?.hostPort ?? settings.tdsPort
        let host = clientHost.probe ?? "127.0.0.1"
        let connection: TDSConnection
        do {
            connection = try TDSConnection(
                host: host, port: port, user: login, password: password, database: settings.database, application: "bbf dev sql")
        } catch {
            throw DevError(.sql, "cannot log in to \(host):\(port) as \(login) (database \(settings.database)): \(error)")
        }
        let console = self.console
        let count = try SQLScript.run(batches, file: file, connection: connection) { console.out($0) }
        console.info("\(file): \(count) batch\(count == 1 ? "" : "es") done")
    }

    /// `aws ecr get-login-password | <engine> login --password-stdin`.
    public func loginECR(registry explicit: String?) throws(DevError) {
        let engine = try engine()
        let host: String
        if let explicit {
            host = explicit
        } else {
            guard let image = settings.image, let parts = ImageReferenceSyntax.parts(image) else {
                throw DevError(
                    .login, "no registry to log in to: give --registry HOST, or set the image (\(settings.howToChange("image")))")
            }
            host = parts.host
        }
        guard let region = settings.ecrRegion ?? ECRRegistry.parse(host)?.region else {
            throw DevError(
                .login,
                "\(host) is not an Amazon ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com): pass --region REGION if it is one, or log in with \(engine.name) login \(host)"
            )
        }
        guard let aws = ToolProcess.find(environment["BBF_AWS"] ?? "aws", path: environment["PATH"]) else {
            throw DevError(
                .login, "the AWS CLI (aws) is not on PATH: install it (https://aws.amazon.com/cli/), then run bbf dev login ecr again")
        }
        let result: ToolResult
        do {
            result = try ToolProcess.run(aws, ["ecr", "get-login-password", "--region", region], environment: environment)
        } catch {
            throw DevError(.login, "cannot run \(aws): \(error)")
        }
        guard result.succeeded else {
            throw DevError(
                .login,
                "aws ecr get-login-password --region \(region) \(result.statusDescription): \(result.errorTail(lines: 6))\nSign in to AWS first (aws sso login, or AWS_PROFILE / credentials for the account of \(host))."
            )
        }
        let password = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !password.isEmpty else { throw DevError(.login, "aws ecr get-login-password printed no password") }
        do {
            try engine.login(registry: host, username: "AWS", password: password)
        } catch {
            throw DevError(.login, error.message)
        }
        console.info("\(engine.name) is logged in to \(host) (region \(region))")
    }
}
