#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension FileSystem {
    /// The owner of what `path` names, following symbolic links; nil when it
    /// cannot be stat'ed.
    public static func ownerFollowingLinks(_ path: String) -> uid_t? {
        var raw = stat()
        return stat(path, &raw) == 0 ? raw.st_uid : nil
    }

    /// Whether this process may create and remove entries in the directory.
    public static func isWritableDirectory(_ path: String) -> Bool {
        access(path, W_OK | X_OK) == 0
    }

    /// The running program's path (`/proc/self/exe`; argv[0] where there is no /proc).
    public static var currentExecutable: String {
        (try? symlinkTarget("/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// An executable of this package built next to the running program
    /// (SwiftPM puts every product of a build, and the test bundle, into
    /// one directory such as `.build/debug`). The path, whether or not it exists.
    public static func builtExecutable(named name: String) -> String {
        parent(of: currentExecutable) + "/" + name
    }
}

/// Who this process runs as.
public struct ProcessIdentity: Equatable, Sendable {
    public var uid: uid_t
    public var gid: gid_t

    public init(uid: uid_t, gid: gid_t) {
        self.uid = uid
        self.gid = gid
    }

    public var isRoot: Bool { uid == 0 }

    /// The effective uid and gid.
    public static func current() -> ProcessIdentity {
        ProcessIdentity(uid: geteuid(), gid: getegid())
    }
}
