import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One tar member's metadata.
public struct TarEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case file
        case directory
        case symlink(target: String)
    }

    /// Relative path, without a leading "./" or "/"; directories without a trailing "/".
    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    /// Seconds since the epoch.
    public var mtime: Int
    public var size: Int64

    public init(path: String, kind: Kind, mode: UInt32, uid: Int, gid: Int, mtime: Int, size: Int64 = 0) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.size = size
    }
}

/// Writes a POSIX (ustar + pax) tar stream. Numeric owners only, names as
/// given: with sorted input and fixed times the bytes depend only on the content.
public final class TarWriter {
    private let sink: ByteSink
    public private(set) var entries = 0

    public init(_ sink: ByteSink) { self.sink = sink }

    /// Adds a directory, file header or symlink; a file's content must follow
    /// through `writeContent` (exactly `entry.size` bytes).
    public func add(_ entry: TarEntry, content: ByteSource? = nil) throws {
        var pax: [(String, String)] = []
        let name = entry.kind == .directory ? entry.path + "/" : entry.path
        let split = TarHeader.splitName(name)
        if split == nil { pax.append(("path", name)) }
        if case .symlink(let target) = entry.kind, target.utf8.count > 100 { pax.append(("linkpath", target)) }
        if entry.size > 0o777_7777_7777 { pax.append(("size", String(entry.size))) }
        if !pax.isEmpty {
            let body = TarHeader.paxRecords(pax)
            let paxName = "PaxHeaders/" + String(decoding: name.utf8.suffix(80), as: UTF8.self).replacing("/", with: "_")
            var header = TarHeader(
                name: (prefix: "", name: String(decoding: paxName.utf8.prefix(99), as: UTF8.self)), typeflag: UInt8(ascii: "x"))
            header.size = Int64(body.count)
            header.mode = 0o644
            try sink.write(header.encode())
            try sink.write(body)
            try pad(Int64(body.count))
        }
        var header = TarHeader(
            name: split ?? (prefix: "", name: String(decoding: name.utf8.suffix(99), as: UTF8.self)), typeflag: UInt8(ascii: "0"))
        header.mode = entry.mode
        header.uid = entry.uid
        header.gid = entry.gid
        header.mtime = entry.mtime
        switch entry.kind {
        case .file:
            header.size = entry.size
        case .directory:
            header.typeflag = UInt8(ascii: "5")
        case .symlink(let target):
            header.typeflag = UInt8(ascii: "2")
            header.linkname = String(decoding: target.utf8.prefix(100), as: UTF8.self)
        }
        try sink.write(header.encode())
        entries += 1
        guard case .file = entry.kind else { return }
        guard let content else {
            if entry.size == 0 { return }
            throw ArchiveError("tar: no content given for \(entry.path)")
        }
        let copied = try copy(from: content, to: sink, limit: entry.size)
        guard copied == entry.size else {
            throw ArchiveError(
                "tar: \(entry.path) shrank while it was archived (\(copied) of \(entry.size) bytes): nothing may write to it meanwhile")
        }
        try pad(entry.size)
    }

    /// The end-of-archive marker, then finishes the sink.
    public func finish() throws {
        try sink.write([UInt8](repeating: 0, count: 1024))
        try sink.finish()
    }

    private func pad(_ size: Int64) throws {
        let remainder = Int(size % 512)
        if remainder != 0 { try sink.write([UInt8](repeating: 0, count: 512 - remainder)) }
    }
}

/// The fields of a ustar header block.
struct TarHeader {
    var name: (prefix: String, name: String)
    var mode: UInt32 = 0o644
    var uid = 0
    var gid = 0
    var size: Int64 = 0
    var mtime = 0
    var typeflag: UInt8
    var linkname = ""

    init(name: (prefix: String, name: String), typeflag: UInt8) {
        self.name = name
        self.typeflag = typeflag
    }

    /// Splits a path into ustar's prefix (155) and name (100), or nil when it does not fit.
    static func splitName(_ path: String) -> (prefix: String, name: String)? {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        guard bytes.count <= 256 else { return nil }
        for index in stride(from: min(bytes.count - 1, 155), to: 0, by: -1) where bytes[index] == UInt8(ascii: "/") {
            let prefix = bytes[0..<index]
            let rest = bytes[(index + 1)...]
            if prefix.count <= 155 && rest.count <= 100 && !rest.isEmpty {
                return (String(decoding: prefix, as: UTF8.self), String(decoding: rest, as: UTF8.self))
            }
        }
        return nil
    }

    static func paxRecords(_ records: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length { length += 1 }
            out += Array((String(length) + body).utf8)
        }
        return out
    }

    func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            put(padded, at: offset, width: width - 1)
        }
        put(name.name, at: 0, width: 100)
        octal(Int64(mode & 0o7777), at: 100, width: 8)
        octal(Int64(uid), at: 108, width: 8)
        octal(Int64(gid), at: 116, width: 8)
        octal(min(size, 0o777_7777_7777), at: 124, width: 12)
        octal(Int64(mtime), at: 136, width: 12)
        block[156] = typeflag
        put(linkname, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(name.prefix, at: 345, width: 155)
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let checksum = block.reduce(0) { $0 + Int64($1) }
        octal(checksum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }
}

/// Reads a tar stream member by member. Understands ustar, pax (path,
/// linkpath, size) and GNU long names; refuses anything that does not parse.
public final class TarReader {
    private let source: ByteSource
    private let name: String
    private var pendingData: Int64 = 0
    private var pendingPadding: Int64 = 0

    /// - Parameter name: what errors call the stream.
    public init(_ source: ByteSource, name: String) {
        self.source = source
        self.name = name
    }

    /// The next member, or nil at the end of the archive. Unread content of
    /// the previous member is skipped.
    public func next() throws -> TarEntry? {
        try skipContent()
        var paxPath: String?
        var paxLink: String?
        var paxSize: Int64?
        while true {
            guard let block = try readBlock(allowEnd: true) else {
                throw ArchiveError("\(name) is truncated: it ends without the end-of-archive marker")
            }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            guard Self.checksumMatches(block) else {
                throw ArchiveError("\(name) is not a valid tar archive (a header's checksum does not match)")
            }
            let typeflag = block[156]
            let size = try Self.number(block, 124, 12, name)
            switch typeflag {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                let data = try readData(size)
                if typeflag == UInt8(ascii: "x") {
                    for (key, value) in Self.parsePax(data) {
                        switch key {
                        case "path": paxPath = value
                        case "linkpath": paxLink = value
                        case "size": paxSize = Int64(value)
                        default: break
                        }
                    }
                } else if typeflag == UInt8(ascii: "L") {
                    paxPath = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                } else if typeflag == UInt8(ascii: "K") {
                    paxLink = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                }
                continue
            default:
                break
            }
            let prefix = Self.string(block, 345, 155)
            let short = Self.string(block, 0, 100)
            var path = paxPath ?? (prefix.isEmpty ? short : prefix + "/" + short)
            while path.hasPrefix("./") { path.removeFirst(2) }
            while path.hasPrefix("/") { path.removeFirst() }
            while path.hasSuffix("/") { path.removeLast() }
            let entrySize = paxSize ?? size
            let kind: TarEntry.Kind
            switch typeflag {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): kind = .file
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "2"): kind = .symlink(target: paxLink ?? Self.string(block, 157, 100))
            default:
                throw ArchiveError(
                    "\(name): member \(path) has tar type \"\(Character(Unicode.Scalar(typeflag)))\", which is not supported here")
            }
            let entry = TarEntry(
                path: path, kind: kind, mode: UInt32(try Self.number(block, 100, 8, name)), uid: Int(try Self.number(block, 108, 8, name)),
                gid: Int(try Self.number(block, 116, 8, name)), mtime: Int(try Self.number(block, 136, 12, name)),
                size: kind == .file ? entrySize : 0)
            pendingData = entry.size
            pendingPadding = (512 - entry.size % 512) % 512
            return entry
        }
    }

    /// Streams the current member's content into `sink` (without finishing it).
    public func readContent(into sink: ByteSink) throws {
        let expected = pendingData
        let copied = try copy(from: BoundedSource(self), to: sink, limit: expected)
        guard copied == expected else {
            throw ArchiveError("\(name) is truncated: a member ends after \(copied) of \(expected) bytes")
        }
    }

    fileprivate func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard pendingData > 0 else { return 0 }
        let wanted = Int(min(Int64(buffer.count), pendingData))
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        pendingData -= Int64(count)
        return count
    }

    private func skipContent() throws {
        let total = pendingData + pendingPadding
        pendingData = total
        pendingPadding = 0
        if total > 0 {
            let sink = DiscardingSink()
            let copied = try copy(from: BoundedSource(self), to: sink, limit: total)
            guard copied == total else { throw ArchiveError("\(name) is truncated inside a member") }
        }
        pendingData = 0
    }

    private func readData(_ size: Int64) throws -> [UInt8] {
        guard size < 16 << 20 else { throw ArchiveError("\(name): an extended header of \(size) bytes is not plausible") }
        var data: [UInt8] = []
        var remaining = Int(size)
        while remaining > 0 {
            guard let block = try readBlock(allowEnd: false) else { throw ArchiveError("\(name) is truncated") }
            data += block.prefix(remaining)
            remaining -= min(512, remaining)
        }
        return data
    }

    private func readBlock(allowEnd: Bool) throws -> [UInt8]? {
        var block = [UInt8](repeating: 0, count: 512)
        var filled = 0
        while filled < 512 {
            let count = try block.withUnsafeMutableBytes {
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled..<512]))
            }
            if count == 0 {
                if filled == 0 && allowEnd { return nil }
                throw ArchiveError("\(name) is truncated inside a tar header")
            }
            filled += count
        }
        return block
    }

    static func checksumMatches(_ block: [UInt8]) -> Bool {
        var sum = 0
        for (i, byte) in block.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard let stored = try? number(block, 148, 8, "") else { return false }
        return Int64(sum) == stored
    }

    static func string(_ block: [UInt8], _ offset: Int, _ width: Int) -> String {
        String(decoding: block[offset..<(offset + width)].prefix { $0 != 0 }, as: UTF8.self)
    }

    static func number(_ block: [UInt8], _ offset: Int, _ width: Int, _ name: String) throws -> Int64 {
        let field = block[offset..<(offset + width)]
        if let first = field.first, first & 0x80 != 0 {
            // GNU base-256 for large values.
            return field.dropFirst().reduce(Int64(first & 0x7f)) { $0 << 8 | Int64($1) }
        }
        let text = String(decoding: field.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }.drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
        if text.isEmpty { return 0 }
        guard let value = Int64(text, radix: 8) else {
            throw ArchiveError("\(name): a tar header holds \"\(text)\" where a number belongs")
        }
        return value
    }

    static func parsePax(_ data: [UInt8]) -> [(String, String)] {
        var records: [(String, String)] = []
        var rest = data[...]
        while let space = rest.firstIndex(of: UInt8(ascii: " ")),
            let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)), length > 0,
            rest.count >= length
        {
            let record = rest[(space + 1)..<(rest.startIndex + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records.append(
                    (
                        String(decoding: record[record.startIndex..<equals], as: UTF8.self),
                        String(decoding: record[(equals + 1)...], as: UTF8.self)
                    ))
            }
            rest = rest[(rest.startIndex + length)...]
        }
        return records
    }
}

private final class BoundedSource: ByteSource {
    let reader: TarReader
    init(_ reader: TarReader) { self.reader = reader }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try reader.readRaw(into: buffer) }
}

/// Drops everything (skipping content).
public final class DiscardingSink: ByteSink {
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws {}
    public func finish() throws {}
}
