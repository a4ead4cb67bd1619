import BBFContainer
import BBFPipeline
import Foundation

/// What a volume holds, read through a throwaway container (or `exec`).
public struct VolumeContents: Equatable, Sendable {
    /// `PG_VERSION` (the PostgreSQL major), nil when there is no cluster.
    public var postgresMajor: String?
    /// `bbf-snapshot.json`: the DEV snapshot a data-loaded image seeded it with.
    public var snapshot: SnapshotRecord?
    /// `bbf-entrypoint.state` is there: a complete initialization.
    public var initialized: Bool
    /// Nothing at all in it yet.
    public var empty: Bool

    public init(postgresMajor: String?, snapshot: SnapshotRecord?, initialized: Bool, empty: Bool) {
        self.postgresMajor = postgresMajor
        self.snapshot = snapshot
        self.initialized = initialized
        self.empty = empty
    }

    /// The shell script the probe runs in the container; `$1` is the data directory.
    static let probeScript = """
        cd "$1" 2>/dev/null || exit 3
        if [ -z "$(ls -A . 2>/dev/null)" ]; then echo empty; else echo files; fi
        echo '--bbf--'; cat PG_VERSION 2>/dev/null
        echo '--bbf--'; [ -f bbf-entrypoint.state ] && echo initialized
        echo '--bbf--'; cat bbf-snapshot.json 2>/dev/null
        exit 0
        """

    /// Parses what `probeScript` printed. Pure.
    public static func parse(_ output: String) -> VolumeContents {
        let parts = output.components(separatedBy: "--bbf--\n")
        func part(_ index: Int) -> String {
            index < parts.count ? parts[index].trimmingCharacters(in: .whitespacesAndNewlines) : ""
        }
        let major = part(1)
        let snapshotText = part(3)
        let snapshot = snapshotText.isEmpty ? nil : try? JSONDecoder().decode(SnapshotRecord.self, from: Data(snapshotText.utf8))
        return VolumeContents(
            postgresMajor: major.isEmpty ? nil : major, snapshot: snapshot, initialized: part(2) == "initialized",
            empty: part(0) == "empty")
    }
}

/// The image's snapshot, from its labels (a data-loaded image), and its engine versions.
public struct ImageFactsFromLabels: Equatable, Sendable {
    public var snapshotArchive: String?
    public var snapshotSHA256: String?
    public var snapshotCreated: String?
    public var snapshotSource: String?
    public var postgresVersion: String?
    public var babelfishVersion: String?
    public var initializeLogin: String?
    public var passwordSource: String?

    public init(labels: [String: String]) {
        snapshotArchive = labels[SnapshotLabels.archive]
        snapshotSHA256 = labels[SnapshotLabels.sha256]
        snapshotCreated = labels[SnapshotLabels.created]
        snapshotSource = labels[SnapshotLabels.source]
        postgresVersion = labels["babelfish-dev.postgresql.version"]
        babelfishVersion = labels["babelfish-dev.babelfish.version"]
        initializeLogin = labels[SnapshotLabels.initializeLogin]
        passwordSource = labels[SnapshotLabels.passwords]
    }

    public var isDataLoaded: Bool { snapshotArchive != nil || snapshotSHA256 != nil }
    public var postgresMajor: String? { postgresVersion.map { String($0.prefix { $0 != "." }) } }
}

/// Whether the registry has a newer image than the local one.
public enum RegistryCheck: Equatable, Sendable {
    case upToDate
    case newer(remoteDigest: String)
    /// A local image with no registry digest (built or loaded here).
    case localOnly
    case unknown(String)
    case notChecked
}

/// Everything `status` looked at.
public struct StatusFacts: Equatable, Sendable {
    public var instance: String
    public var engine: String
    public var imageReference: String?
    public var image: ImageInspection?
    public var registry: RegistryCheck = .notChecked
    public var container: ContainerInspection?
    /// The container carries bbf dev's labels.
    public var containerIsOurs = true
    public var volumeName: String
    public var volume: VolumeInspection?
    public var contents: VolumeContents?
    public var contentsProblem: String?

    public init(instance: String, engine: String, imageReference: String?, volumeName: String) {
        self.instance = instance
        self.engine = engine
        self.imageReference = imageReference
        self.volumeName = volumeName
    }
}

/// One conclusion of `status`, worded for the developer.
public enum Finding: Equatable, Sendable {
    case noImageConfigured
    case imageNotLocal(String)
    case foreignContainer(String)
    case noContainer
    case containerStopped(String)
    case containerUnhealthy(String?)
    case containerOnOtherImage(String)
    case newerImageAvailable(String)
    case noVolume(String)
    case volumeEmpty(String)
    case majorMismatch(volume: String, image: String)
    case volumeOnImageSnapshot(String)
    case volumeOlderThanImage(volume: String, image: String)
    case volumeNewerThanImage(volume: String, image: String)
    case volumeNotFromSnapshot(image: String)
    case volumeFromSnapshotImagePlain(String)

    public var text: String {
        switch self {
        case .noImageConfigured:
            return "No image is configured: set \"image\" in bbf-dev.json, BBF_DEV_IMAGE or --image."
        case .imageNotLocal(let reference):
            return "\(reference) is not in the local image store: `bbf dev up` pulls it."
        case .foreignContainer(let name):
            return
                "A container named \(name) exists that bbf dev did not create: bbf dev leaves it alone. Use another --name, or remove it yourself."
        case .noContainer:
            return "There is no container: `bbf dev up` creates it."
        case .containerStopped(let status):
            return "The container is \(status): `bbf dev up` starts it."
        case .containerUnhealthy(let output):
            return "The container is running but its health check fails\(output.map { " (\($0))" } ?? ""): see `bbf dev logs`."
        case .containerOnOtherImage(let reference):
            return
                "The container runs an older image than the local \(reference): `bbf dev up` re-creates it on the new one (the volume is kept)."
        case .newerImageAvailable(let reference):
            return
                "A newer \(reference) is in the registry: `bbf dev up --pull always` takes it and keeps your volume; `bbf dev refresh` takes its data too."
        case .noVolume(let name):
            return "The volume \(name) does not exist yet: `bbf dev up` creates it from the image."
        case .volumeEmpty(let name):
            return "The volume \(name) is empty: the next start fills it from the image."
        case .majorMismatch(let volume, let image):
            return
                "The volume holds a PostgreSQL \(volume) cluster but the image is PostgreSQL \(image): the container refuses to start it. Choices: use a PostgreSQL \(volume) image (--image), keep a copy (`bbf dev save NAME`) and `bbf dev refresh`, or upgrade the cluster with pg_upgrade."
        case .volumeOnImageSnapshot(let date):
            return "The volume was seeded from the image's own DEV snapshot (DEV as of \(date))."
        case .volumeOlderThanImage(let volume, let image):
            return
                "The volume is older than the image: it holds DEV as of \(volume), the image carries DEV as of \(image). Your local changes stay as long as you keep the volume; `bbf dev refresh` would take the new data and drop your local changes (keep a copy first with `bbf dev save NAME`)."
        case .volumeNewerThanImage(let volume, let image):
            return "The volume holds a newer DEV snapshot (\(volume)) than the image (\(image)): the image is older than your data."
        case .volumeNotFromSnapshot(let image):
            return
                "The volume was not seeded from a DEV snapshot (first boot of an engine image, or a load); the image carries DEV as of \(image): `bbf dev refresh` would take it and drop the volume's data."
        case .volumeFromSnapshotImagePlain(let date):
            return "The volume holds DEV as of \(date); the image is a plain engine image (no snapshot)."
        }
    }
}

/// The status decision: facts in, findings out. Pure.
public enum StatusDecision {
    public static func findings(_ facts: StatusFacts) -> [Finding] {
        var result: [Finding] = []
        let labels = ImageFactsFromLabels(labels: facts.image?.labels ?? [:])
        guard let reference = facts.imageReference else {
            result.append(.noImageConfigured)
            return result + volumeFindings(facts, labels: labels)
        }
        if facts.image == nil { result.append(.imageNotLocal(reference)) }
        if let container = facts.container {
            if !facts.containerIsOurs {
                result.append(.foreignContainer(container.name))
            } else if !container.isRunning {
                result.append(.containerStopped(container.status))
            } else if container.health == "unhealthy" {
                result.append(.containerUnhealthy(container.healthOutput))
            }
            if facts.containerIsOurs, let image = facts.image, container.imageID != image.id {
                result.append(.containerOnOtherImage(reference))
            }
        } else {
            result.append(.noContainer)
        }
        if case .newer = facts.registry { result.append(.newerImageAvailable(reference)) }
        return result + volumeFindings(facts, labels: labels)
    }

    static func volumeFindings(_ facts: StatusFacts, labels: ImageFactsFromLabels) -> [Finding] {
        guard facts.volume != nil else { return [.noVolume(facts.volumeName)] }
        guard let contents = facts.contents else { return [] }
        if contents.empty { return [.volumeEmpty(facts.volumeName)] }
        var result: [Finding] = []
        if let volumeMajor = contents.postgresMajor, let imageMajor = labels.postgresMajor, volumeMajor != imageMajor {
            result.append(.majorMismatch(volume: volumeMajor, image: imageMajor))
        }
        let imageDate = labels.snapshotCreated
        switch (contents.snapshot, labels.isDataLoaded) {
        case (let record?, true):
            if let sha = labels.snapshotSHA256, sha == record.archiveSHA256 {
                result.append(.volumeOnImageSnapshot(record.snapshotCreatedAt))
            } else if let imageDate {
                switch compareDates(record.snapshotCreatedAt, imageDate) {
                case .orderedAscending: result.append(.volumeOlderThanImage(volume: record.snapshotCreatedAt, image: imageDate))
                case .orderedDescending: result.append(.volumeNewerThanImage(volume: record.snapshotCreatedAt, image: imageDate))
                case .orderedSame: result.append(.volumeOnImageSnapshot(record.snapshotCreatedAt))
                }
            }
        case (nil, true):
            result.append(.volumeNotFromSnapshot(image: imageDate ?? labels.snapshotArchive ?? "an unknown date"))
        case (let record?, false):
            result.append(.volumeFromSnapshotImagePlain(record.snapshotCreatedAt))
        case (nil, false):
            break
        }
        return result
    }

    /// ISO 8601 instants compared as instants (text order as a fallback).
    static func compareDates(_ a: String, _ b: String) -> ComparisonResult {
        let formatter = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func parse(_ text: String) -> Date? { formatter.date(from: text) ?? fractional.date(from: text) }
        if let left = parse(a), let right = parse(b) {
            return left < right ? .orderedAscending : (left > right ? .orderedDescending : .orderedSame)
        }
        return a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
    }

    /// The report `status` prints: facts as aligned rows, then the findings. Pure.
    public static func render(_ facts: StatusFacts) -> String {
        var rows: [(String, String)] = []
        rows.append(("instance", "\(facts.instance) (\(facts.engine))"))
        if let container = facts.container {
            var state = container.status
            if let health = container.health, container.isRunning { state += ", \(health)" }
            if !container.isRunning, container.status == "exited" { state += " (exit code \(container.exitCode))" }
            let ports = container.ports.map { "\($0.hostAddress.isEmpty ? "*" : $0.hostAddress):\($0.hostPort)->\($0.containerPort)" }
            rows.append(("container", state + (ports.isEmpty ? "" : "; ports " + ports.joined(separator: ", "))))
            rows.append(("", "image \(container.imageReference) (\(short(container.imageID)))"))
        } else {
            rows.append(("container", "none"))
        }
        if let reference = facts.imageReference {
            if let image = facts.image {
                let labels = ImageFactsFromLabels(labels: image.labels)
                var line = "\(reference) (\(short(image.id)))"
                if let postgres = labels.postgresVersion {
                    line += ", PostgreSQL \(postgres)" + (labels.babelfishVersion.map { " with Babelfish \($0)" } ?? "")
                }
                rows.append(("image", line))
                if labels.isDataLoaded {
                    rows.append(
                        (
                            "",
                            "DEV snapshot \(labels.snapshotArchive ?? "?") of \(labels.snapshotSource ?? "?"), DEV as of \(labels.snapshotCreated ?? "?")"
                        ))
                } else {
                    rows.append(("", "engine image (no DEV snapshot)"))
                }
                if let digest = image.digests(forRepository: ImageReferenceSyntax.parts(reference)?.repository ?? reference).first {
                    rows.append(("", "registry digest \(digest)"))
                }
            } else {
                rows.append(("image", "\(reference) (not pulled)"))
            }
            switch facts.registry {
            case .upToDate: rows.append(("", "the registry has no newer image"))
            case .newer(let digest): rows.append(("", "NEWER IMAGE AVAILABLE in the registry (\(digest))"))
            case .localOnly: rows.append(("", "local image (no registry digest to compare)"))
            case .unknown(let reason): rows.append(("", "could not check the registry: \(reason)"))
            case .notChecked: break
            }
        } else {
            rows.append(("image", "none configured"))
        }
        if let volume = facts.volume {
            var line = volume.name + (volume.createdAt.map { ", created \($0)" } ?? "")
            if let contents = facts.contents {
                if contents.empty {
                    line += ", empty"
                } else if let major = contents.postgresMajor {
                    line += ", PostgreSQL \(major) cluster" + (contents.initialized ? "" : " (not completely initialized)")
                }
            }
            rows.append(("volume", line))
            if let record = facts.contents?.snapshot {
                rows.append(
                    (
                        "",
                        "seeded from DEV snapshot \(record.archive) of \(record.sourceHost)/\(record.sourceDatabase), DEV as of \(record.snapshotCreatedAt)"
                    ))
            } else if facts.contents?.initialized == true {
                rows.append(("", "no DEV snapshot record (initialized by a first boot, or loaded)"))
            }
            if let problem = facts.contentsProblem { rows.append(("", "could not read it: \(problem)")) }
        } else {
            rows.append(("volume", "\(facts.volumeName) (does not exist)"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        var text = rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        let findings = findings(facts)
        if !findings.isEmpty { text += "\n\n" + findings.map { "* " + $0.text }.joined(separator: "\n") }
        return text
    }

    static func short(_ id: String) -> String {
        id.hasPrefix("sha256:") ? "sha256:" + id.dropFirst(7).prefix(12) : String(id.prefix(19))
    }
}
