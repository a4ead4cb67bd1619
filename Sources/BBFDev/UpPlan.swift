import BBFArchive
import BBFContainer
import BBFImage
import BBFPipeline

/// The labels bbf dev puts on what it creates, so it can tell its own
/// containers and volumes from others and see when one is out of date.
public enum DevLabels {
    public static let instance = "babelfish-dev.dev.instance"
    public static let volume = "babelfish-dev.dev.volume"
    public static let image = "babelfish-dev.dev.image"
    /// sha256 of the container's settings (not of first-boot secrets).
    public static let spec = "babelfish-dev.dev.spec"
    public static let tool = "babelfish-dev.dev.tool"
    public static let createdBy = "babelfish-dev.dev.created-by"
    public static let imageID = "babelfish-dev.dev.image-id"
    public static let loadedFrom = "babelfish-dev.dev.loaded-from"
}

/// What `up` does with the instance's container. Pure.
public enum UpAction: Equatable, Sendable {
    case create
    /// It exists, stopped, with the wanted settings and image.
    case start
    case alreadyRunning
    case recreate(reason: String)
}

/// The pure half of `up`: the container spec, whether to re-create, which
/// first-boot variables an engine image needs.
public struct UpPlan: Equatable, Sendable {
    public var spec: ContainerSpec
    /// Values of the `-e NAME` variables (container variables and first-boot passwords).
    public var secrets: [String: String]
    public var specHash: String
    public var babelfish: Bool
    public var ports: [PortCheck.Wanted]

    /// - Parameters:
    ///   - firstBoot: the first-boot variables (passed, but not part of the spec hash).
    ///   - healthStartInterval: the engine takes `--health-start-interval`
    ///     (Docker 25+). The image's health check is then probed every second
    ///     while the server starts, so `docker ps` says healthy within a second of
    ///     it being ready even for an image built without `--start-interval`.
    ///     Not part of the spec hash: an engine upgrade alone re-creates nothing.
    public static func make(
        settings: DevSettings, reference: String, image: ImageInspection, firstBoot: [String: String],
        healthStartInterval: Bool = false
    ) -> UpPlan {
        let babelfish = babelfishEnabled(image: image, settings: settings)
        let dataPath = image.environment["PGDATA"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? ImageFacts.dataDirectory
        var spec = ContainerSpec(name: settings.name, image: reference)
        spec.volumes = [.init(volume: settings.volume, path: dataPath)]
        var ports: [PortCheck.Wanted] = []
        if babelfish {
            ports.append(
                .init(
                    port: .init(hostAddress: settings.bindAddress, hostPort: settings.tdsPort, containerPort: ImageFacts.tdsPort),
                    key: "port",
                    what: "TDS"))
        }
        ports.append(
            .init(
                port: .init(hostAddress: settings.bindAddress, hostPort: settings.postgresPort, containerPort: ImageFacts.postgresPort),
                key: "pgPort", what: "PostgreSQL"))
        spec.ports = ports.map(\.port)
        spec.shmSize = "256m"
        // The hash covers what makes the container: image, mounts, ports and
        // the user's variables; first-boot passwords are needed once and are left out.
        spec.environmentNames = settings.environment.keys.sorted()
        var hashed = spec.createArguments(engine: .docker).joined(separator: "\u{1}")
        for key in settings.environment.keys.sorted() { hashed += "\u{2}\(key)=\(settings.environment[key] ?? "")" }
        var secrets = settings.environment
        for (key, value) in firstBoot where secrets[key] == nil { secrets[key] = value }
        spec.environmentNames = secrets.keys.sorted()
        if healthStartInterval && image.hasHealthcheck { spec.healthStartInterval = "1s" }
        let hash = String(BBFArchive.sha256(of: Array(hashed.utf8)).prefix(32))
        spec.labels = [
            DevLabels.instance: settings.name, DevLabels.volume: settings.volume, DevLabels.image: reference, DevLabels.spec: hash,
            DevLabels.tool: "bbf \(ProjectVersion.current)",
        ]
        return UpPlan(spec: spec, secrets: secrets, specHash: hash, babelfish: babelfish, ports: ports)
    }

    /// Whether the instance serves TDS: the image has Babelfish and nothing turns it off.
    public static func babelfishEnabled(image: ImageInspection, settings: DevSettings) -> Bool {
        let value = (settings.environment["BABELFISH_ENABLED"] ?? image.environment["BABELFISH_ENABLED"])?.lowercased()
        if let value, ["false", "0", "no", "off"].contains(value) { return false }
        return true
    }

    /// Re-use, start, create or re-create. Pure.
    public static func action(existing: ContainerInspection?, specHash: String, imageID: String) -> UpAction {
        guard let existing else { return .create }
        if existing.labels[DevLabels.spec] != specHash {
            return .recreate(reason: "its settings changed")
        }
        if existing.imageID != imageID {
            return .recreate(reason: "it runs an older image")
        }
        switch existing.status {
        case "running": return .alreadyRunning
        case "exited", "stopped": return .start
        case "created", "configured": return .recreate(reason: "a previous up did not finish")
        default: return .recreate(reason: "it is \(existing.status)")
        }
    }

    /// The variables an engine image needs on its first boot, or an error
    /// naming where to give the passwords. A data-loaded image or an
    /// initialized volume needs none. Pure.
    public static func firstBootVariables(
        image: ImageInspection, volumeInitialized: Bool, settings: DevSettings, passwords: LoginPasswords?, login: String
    ) throws(DevError) -> [String: String] {
        let labels = ImageFactsFromLabels(labels: image.labels)
        guard !labels.isDataLoaded, !volumeInitialized else { return [:] }
        let given = settings.environment
        if given["POSTGRES_HOST_AUTH_METHOD"]?.lowercased() == "trust" { return [:] }
        let babelfish = babelfishEnabled(image: image, settings: settings)
        var variables: [String: String] = [:]
        var missing: [String] = []
        if given["POSTGRES_PASSWORD"] == nil && given["POSTGRES_PASSWORD_FILE"] == nil {
            if let password = passwords?.password(for: "postgres") {
                variables["POSTGRES_PASSWORD"] = password
            } else {
                missing.append("postgres")
            }
        }
        if babelfish {
            if given["BABELFISH_USER"] == nil && login != "babelfish_user" { variables["BABELFISH_USER"] = login }
            if given["BABELFISH_PASSWORD"] == nil && given["BABELFISH_PASSWORD_FILE"] == nil {
                if let password = passwords?.password(for: given["BABELFISH_USER"] ?? login) {
                    variables["BABELFISH_PASSWORD"] = password
                } else {
                    missing.append(given["BABELFISH_USER"] ?? login)
                }
            }
        }
        guard missing.isEmpty else {
            throw DevError(
                .configuration,
                "the volume \(settings.volume) is new and \(settings.image ?? "the image") is an engine image, so its first boot needs the passwords of \(missing.joined(separator: " and ")): give them with \"passwordFile\" or \"password\" in bbf-dev.json, BBF_DEV_PASSWORD_FILE / BBF_DEV_PASSWORD, or --password-file FILE (one password, or login=password lines). Nothing was created."
            )
        }
        return variables
    }
}
