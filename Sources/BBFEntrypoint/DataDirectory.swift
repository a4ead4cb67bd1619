import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What the data directory holds, read without changing anything.
public struct DataDirectorySnapshot: Equatable, Sendable {
    public enum Presence: Equatable, Sendable {
        case missing
        case notADirectory
        case directory(entries: [String])
        /// It exists but this process may not read it (or a file in it): the
        /// failure, e.g. "open directory /data: Permission denied".
        case unreadable(String)
    }

    public var presence: Presence
    /// PG_VERSION's content, trimmed.
    public var pgVersion: String?
    public var hasInitializationMarker: Bool
    /// The state file's text, when present.
    public var stateText: String?
    /// The uid that owns the directory (nil when it is missing).
    public var owner: UInt32?
    /// This process may create entries in the directory.
    public var writable: Bool

    public init(
        presence: Presence, pgVersion: String? = nil, hasInitializationMarker: Bool = false, stateText: String? = nil,
        owner: UInt32? = nil, writable: Bool = false
    ) {
        self.presence = presence
        self.pgVersion = pgVersion
        self.hasInitializationMarker = hasInitializationMarker
        self.stateText = stateText
        self.owner = owner
        self.writable = writable
    }

    /// Whether a first boot will run: the directory is missing, empty (but
    /// for `lost+found`) or holds an interrupted initialization. Known
    /// without the server's version.
    public var needsInitialization: Bool {
        switch presence {
        case .missing: return true
        case .notADirectory, .unreadable: return false
        case .directory(let entries):
            return hasInitializationMarker || entries.allSatisfy(ignorableEntries.contains)
        }
    }

    /// Reads the snapshot of `path`. A directory this process may not read is
    /// `.unreadable`, not an error: who owns it says what to do.
    public static func read(_ path: String) throws -> DataDirectorySnapshot {
        guard let info = try FileSystem.info(path) else { return DataDirectorySnapshot(presence: .missing) }
        if info.kind != .directory && !(info.kind == .symlink && FileSystem.isDirectoryFollowingLinks(path)) {
            return DataDirectorySnapshot(presence: .notADirectory, owner: info.owner)
        }
        let owner = info.kind == .symlink ? (FileSystem.ownerFollowingLinks(path) ?? info.owner) : info.owner
        do {
            let entries = try FileSystem.contents(ofDirectory: path)
            let pgVersion =
                entries.contains("PG_VERSION")
                ? try FileSystem.readTextIfPresent(path + "/PG_VERSION").map { $0.trimmedWhitespace() } : nil
            let stateText =
                entries.contains(ManagedFiles.state)
                ? try FileSystem.readTextIfPresent(path + "/" + ManagedFiles.state) : nil
            return DataDirectorySnapshot(
                presence: .directory(entries: entries), pgVersion: pgVersion,
                hasInitializationMarker: entries.contains(ManagedFiles.initializationMarker), stateText: stateText, owner: owner,
                writable: FileSystem.isWritableDirectory(path))
        } catch let error as SystemError where error.code == EACCES {
            return DataDirectorySnapshot(presence: .unreadable("\(error)"), owner: owner)
        }
    }
}

/// What to do with the data directory.
public enum DataDirectoryDecision: Equatable, Sendable {
    /// Missing or empty: run the first-boot initialization.
    case initialize
    /// Our initialization was interrupted: clear what it left and start over.
    case restartInterruptedInitialization
    /// Initialized (or adopted) by this entrypoint and complete: start it.
    case boot(ClusterState)
    /// A cluster of the right major that this entrypoint did not create.
    case adopt
    /// Refuse, with the reason.
    case refuse(EntrypointError)
}

/// Entries that may sit in an otherwise empty data directory (a file system's
/// root, as on a Kubernetes volume).
let ignorableEntries: Set<String> = ["lost+found"]

/// Decides what the data directory holds. Pure: the same snapshot always gives the same answer.
///
/// - Parameter serverMajor: the major version of the PostgreSQL binaries.
public func decide(_ snapshot: DataDirectorySnapshot, path: String, serverMajor: Int) -> DataDirectoryDecision {
    let entries: [String]
    switch snapshot.presence {
    case .missing:
        return .initialize
    case .notADirectory:
        return .refuse(
            EntrypointError(
                .unsupportedDataDirectory,
                "PGDATA=\(path) exists but is not a directory. Point PGDATA at a directory (an empty one for a new database)."))
    case .unreadable(let failure):
        return .refuse(
            EntrypointError(
                .unsupportedDataDirectory,
                "cannot read PGDATA=\(path) (\(failure)): everything in it must belong to the user PostgreSQL runs as. It was left untouched."
            ))
    case .directory(let found):
        entries = found
    }
    if snapshot.hasInitializationMarker {
        return .restartInterruptedInitialization
    }
    if snapshot.needsInitialization {
        return .initialize
    }
    let meaningful = entries.filter { !ignorableEntries.contains($0) }
    guard let version = snapshot.pgVersion else {
        let shown = meaningful.prefix(5).joined(separator: ", ") + (meaningful.count > 5 ? ", ..." : "")
        return .refuse(
            EntrypointError(
                .unsupportedDataDirectory,
                "PGDATA=\(path) is not empty (\(shown)) but holds no PostgreSQL cluster (no PG_VERSION). It was left untouched. Point PGDATA at an empty directory, or at a subdirectory of this volume."
            ))
    }
    guard let major = majorVersion(ofDataDirectoryVersion: version) else {
        return .refuse(
            EntrypointError(
                .unsupportedDataDirectory,
                "PGDATA=\(path)/PG_VERSION says \"\(version)\", which is not a PostgreSQL version. The directory was left untouched."))
    }
    if major != serverMajor {
        let advice: String
        if major < serverMajor {
            advice =
                "Upgrade it with pg_upgrade (it needs both the PostgreSQL \(major) and \(serverMajor) binaries), or keep running an image of PostgreSQL \(major) on it. A backup cannot carry it across: `bbf backup` (docs/PIPELINE.md) takes Babelfish dumps, which restore only into the PostgreSQL version they were taken from. To start over on PostgreSQL \(serverMajor), use an empty volume (or `bbf dev up --from-backup ARCHIVE` with a backup taken on PostgreSQL \(serverMajor))."
        } else {
            advice = "It was created by a newer PostgreSQL: run an image of PostgreSQL \(major) on it."
        }
        return .refuse(
            EntrypointError(
                .incompatibleMajorVersion,
                "PGDATA=\(path) holds a PostgreSQL \(major) cluster, but this image runs PostgreSQL \(serverMajor); a data directory only works with its own major version. \(advice) The directory was left untouched."
            ))
    }
    if let text = snapshot.stateText {
        guard let state = ClusterState.parse(text) else {
            return .refuse(
                EntrypointError(
                    .unsupportedDataDirectory,
                    "PGDATA=\(path)/\(ManagedFiles.state) is not a state file this entrypoint understands (written by a newer version?). The directory was left untouched."
                ))
        }
        return .boot(state)
    }
    return .adopt
}

/// "15" -> 15, "9.6" -> 9 (reported as a major below 10 never matches).
func majorVersion(ofDataDirectoryVersion text: String) -> Int? {
    let first = text.split(separator: ".").first.map(String.init) ?? text
    guard let number = Int(first), number > 0 else { return nil }
    return number
}

extension String {
    func trimmedWhitespace() -> String {
        var copy = Substring(self)
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        while let first = copy.first, first.isWhitespace { copy.removeFirst() }
        return String(copy)
    }
}
