import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where bytes go: a file, a compressor, a hash, or several of them chained.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes what is buffered and finishes the stream (trailers, fsync).
    func finish() throws
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Where bytes come from. `read` returns 0 at the end.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// An error of the archive layer: what failed, on what, and why.
public struct ArchiveError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A file opened for writing, written in full on every call.
public final class FileSink: ByteSink {
    public let path: String
    private var fd: Int32
    private let syncOnFinish: Bool

    /// Creates (or truncates) `path` with `permissions`.
    public init(path: String, permissions: mode_t = 0o600, syncOnFinish: Bool = true) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw ArchiveError("cannot create \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.path = path
        self.syncOnFinish = syncOnFinish
    }

    /// Writes to an already open descriptor (e.g. a pipe); it is not closed.
    public init(descriptor: Int32, name: String) {
        fd = descriptor
        path = name
        syncOnFinish = false
        ownsDescriptor = false
    }

    private var ownsDescriptor = true

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Glibc.write(fd, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw ArchiveError("cannot write \(path): \(reason)\(errno == ENOSPC ? " (the disk is full)" : "")")
            }
            remaining -= written
            base += written
        }
    }

    public func finish() throws {
        guard fd >= 0 else { return }
        defer {
            if ownsDescriptor { close(fd) }
            fd = -1
        }
        if syncOnFinish && fsync(fd) != 0 {
            throw ArchiveError("cannot fsync \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if fd >= 0 && ownsDescriptor { close(fd) }
    }
}

/// A file opened for reading.
public final class FileSource: ByteSource {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError("cannot open \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.path = path
        ownsDescriptor = true
    }

    public init(descriptor: Int32, name: String) {
        fd = descriptor
        path = name
        ownsDescriptor = false
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ArchiveError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { if ownsDescriptor { close(fd) } }
}

/// Passes bytes on while hashing and counting them.
public final class HashingSink: ByteSink {
    private var hasher = SHA256()
    private let next: ByteSink?
    public private(set) var count: Int64 = 0
    private var finalDigest: String?

    /// - Parameter next: where the bytes go on to (nil: only hash them).
    public init(_ next: ByteSink? = nil) { self.next = next }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
        try next?.write(bytes)
    }

    public func finish() throws {
        if finalDigest == nil { finalDigest = hex(hasher.finalize()) }
        try next?.finish()
    }

    /// The lowercase hex SHA-256 of everything written; valid after `finish()`.
    public var digest: String { finalDigest ?? hex(hasher.finalize()) }
}

/// The lowercase hex SHA-256 of a file, read in chunks.
public func sha256(ofFile path: String) throws -> (digest: String, size: Int64) {
    let source = try FileSource(path: path)
    let sink = HashingSink()
    try copy(from: source, to: sink)
    try sink.finish()
    return (sink.digest, sink.count)
}

/// The lowercase hex SHA-256 of bytes.
public func sha256(of bytes: [UInt8]) -> String {
    hex(SHA256.hash(data: bytes))
}

func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in digest {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Copies everything from `source` to `sink` (without finishing the sink).
@discardableResult
public func copy(from source: ByteSource, to sink: ByteSink, limit: Int64? = nil, bufferSize: Int = 1 << 20) throws -> Int64 {
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    var total: Int64 = 0
    while limit.map({ total < $0 }) ?? true {
        let wanted = limit.map { Int(min(Int64(bufferSize), $0 - total)) } ?? bufferSize
        let count = try buffer.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<wanted])) }
        if count == 0 { break }
        try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        total += Int64(count)
    }
    return total
}
