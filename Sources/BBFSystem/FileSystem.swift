import CBBFSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `lstat` says about a path.
public struct FileInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case regular, directory, symlink, other }
    public var kind: Kind
    public var owner: uid_t
    public var group: gid_t
    /// Permission bits (e.g. 0o700).
    public var permissions: mode_t
    public var size: Int64
}

/// File operations with errors that name the path. Paths are plain strings.
public enum FileSystem {
    /// `lstat`, or nil when the path does not exist.
    public static func info(_ path: String) throws -> FileInfo? {
        var raw = stat()
        if lstat(path, &raw) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw SystemError("stat", path)
        }
        let kind: FileInfo.Kind
        switch raw.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        return FileInfo(
            kind: kind, owner: raw.st_uid, group: raw.st_gid,
            permissions: raw.st_mode & 0o7777, size: Int64(raw.st_size))
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The names in a directory, without "." and "..", sorted bytewise.
    public static func contents(ofDirectory path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw SystemError("open directory", path) }
        defer { closedir(directory) }
        var names: [String] = []
        errno = 0
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        if errno != 0 { throw SystemError("read directory", path) }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The whole file as bytes.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = retryingOnEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw SystemError("open", path) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// The whole file as UTF-8 text (invalid bytes are replaced).
    public static func readText(_ path: String) throws -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// The file's text, or nil when it does not exist.
    public static func readTextIfPresent(_ path: String) throws -> String? {
        do {
            return try readText(path)
        } catch let error as SystemError where error.code == ENOENT {
            return nil
        }
    }

    /// Writes a file so that a crash leaves either the old or the new content:
    /// a temporary file beside it is written, fsynced and renamed over it, and
    /// the directory is fsynced.
    public static func writeAtomically(_ path: String, _ text: String, permissions: mode_t = 0o600) throws {
        try writeAtomically(path, Array(text.utf8), permissions: permissions)
    }

    public static func writeAtomically(_ path: String, _ bytes: [UInt8], permissions: mode_t = 0o600) throws {
        let temporary = path + ".tmp"
        let fd = retryingOnEINTR { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions) }
        if fd < 0 { throw SystemError("create", temporary) }
        do {
            try writeAll(fd, bytes, path: temporary)
            if fsync(fd) != 0 { throw SystemError("fsync", temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        if systemRename(temporary, path) != 0 {
            let failure = SystemError("rename", "\(temporary) to \(path)")
            unlink(temporary)
            throw failure
        }
        try syncDirectory(containing: path)
    }

    /// Creates a new file (failing if it exists) with the given content, durably.
    public static func createDurably(_ path: String, _ text: String, permissions: mode_t = 0o600) throws {
        let fd = retryingOnEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions) }
        if fd < 0 { throw SystemError("create", path) }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path: path)
        if fsync(fd) != 0 { throw SystemError("fsync", path) }
        try syncDirectory(containing: path)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path)
            }
            offset += written
        }
    }

    /// Removes a file and makes the removal durable.
    public static func removeDurably(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw SystemError("remove", path) }
        try syncDirectory(containing: path)
    }

    /// fsyncs a directory, making renames and removals in it durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = retryingOnEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw SystemError("open", path) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL { throw SystemError("fsync", path) }
    }

    public static func syncDirectory(containing path: String) throws {
        try syncDirectory(parent(of: path))
    }

    /// Flushes the whole file system that holds `path` (Linux `syncfs`).
    public static func syncFileSystem(containing path: String) throws {
        let fd = retryingOnEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw SystemError("open", path) }
        defer { close(fd) }
        if bbf_syncfs(fd) != 0 { throw SystemError("syncfs", path) }
    }

    /// `mkdir -p`; new directories get `permissions`.
    public static func createDirectory(_ path: String, permissions: mode_t = 0o755) throws {
        if let existing = try info(path) {
            if existing.kind == .directory { return }
            if existing.kind == .symlink, isDirectoryFollowingLinks(path) { return }
            throw SystemError("create directory", path, code: EEXIST)
        }
        let parentPath = parent(of: path)
        if parentPath != path { try createDirectory(parentPath, permissions: 0o755) }
        if mkdir(path, permissions) != 0 && errno != EEXIST { throw SystemError("create directory", path) }
    }

    public static func isDirectoryFollowingLinks(_ path: String) -> Bool {
        var raw = stat()
        return stat(path, &raw) == 0 && (raw.st_mode & S_IFMT) == S_IFDIR
    }

    /// Removes a file, a symlink (not its target) or a whole directory tree.
    public static func removeTree(_ path: String) throws {
        guard let found = try info(path) else { return }
        if found.kind == .directory {
            for name in try contents(ofDirectory: path) {
                try removeTree(path + "/" + name)
            }
            if rmdir(path) != 0 { throw SystemError("remove directory", path) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw SystemError("remove", path)
        }
    }

    public static func rename(_ from: String, to: String) throws {
        if systemRename(from, to) != 0 { throw SystemError("rename", "\(from) to \(to)") }
    }

    public static func changeOwner(_ path: String, user: uid_t, group: gid_t) throws {
        if lchown(path, user, group) != 0 { throw SystemError("chown", path) }
    }

    public static func changePermissions(_ path: String, _ permissions: mode_t) throws {
        if chmod(path, permissions) != 0 { throw SystemError("chmod", path) }
    }

    /// A new, empty, private directory `<base>/<prefix>XXXXXX`.
    public static func makeTemporaryDirectory(in base: String = "/tmp", prefix: String) throws -> String {
        var template = Array("\(base)/\(prefix)XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard let created else { throw SystemError("create temporary directory in", base) }
        return String(cString: created)
    }

    /// The directory part of a path ("/" for top-level entries, "." for bare names).
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }
}

private func systemRename(_ from: String, _ to: String) -> Int32 {
    rename(from, to)
}

extension FileSystem {
    public static func isRegularFileFollowingLinks(_ path: String) -> Bool {
        var raw = stat()
        return stat(path, &raw) == 0 && (raw.st_mode & S_IFMT) == S_IFREG
    }

    public static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }
}

extension FileSystem {
    /// The target of a symbolic link (e.g. /proc/self/exe: this program's path).
    public static func symlinkTarget(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress.map { readlink(path, $0, pointer.count) } ?? -1
        }
        if count < 0 { throw SystemError("readlink", path) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
