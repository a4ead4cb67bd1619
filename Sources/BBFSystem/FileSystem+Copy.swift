import CBBFSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension FileSystem {
    /// Copies a regular file into a new one (an existing `destination` is an
    /// error): in the kernel (`copy_file_range`) where it can, else by
    /// reading and writing. `sync` fsyncs the new file.
    public static func copyFile(_ source: String, to destination: String, permissions: mode_t, sync: Bool) throws {
        let code = bbf_copy_file(source, destination, permissions, sync ? 1 : 0)
        if code != 0 { throw SystemError("copy", "\(source) to \(destination)", code: code) }
    }

    /// A second name for an existing file (`link(2)`).
    public static func hardLink(_ existing: String, at path: String) throws {
        if link(existing, path) != 0 { throw SystemError("link", "\(existing) to \(path)") }
    }

    /// `count` bytes from the kernel's random source.
    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let code = bytes.withUnsafeMutableBytes { bbf_random_bytes($0.baseAddress, $0.count) }
        if code != 0 { throw SystemError("getrandom", code: code) }
        return bytes
    }

    /// Replaces a file's content: a temporary file beside it is written,
    /// fsynced and renamed over it (see `writeAtomically`), keeping its mode.
    public static func replaceBytes(_ path: String, _ bytes: [UInt8]) throws {
        let permissions = try info(path)?.permissions ?? 0o600
        try writeAtomically(path, bytes, permissions: permissions)
    }
}
