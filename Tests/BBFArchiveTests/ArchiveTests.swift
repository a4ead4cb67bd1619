import BBFArchive
import BBFSystem
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Collects bytes in memory.
final class MemorySink: ByteSink {
    var bytes: [UInt8] = []
    var finished = false
    func write(_ buffer: UnsafeRawBufferPointer) throws { bytes += buffer }
    func finish() throws { finished = true }
}

/// Serves bytes from memory, a few at a time to exercise partial reads.
final class MemorySource: ByteSource {
    let bytes: [UInt8]
    var offset = 0
    let chunk: Int
    init(_ bytes: [UInt8], chunk: Int = 7_777) {
        self.bytes = bytes
        self.chunk = chunk
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, chunk, bytes.count - offset)
        for i in 0..<count { buffer[i] = bytes[offset + i] }
        offset += count
        return count
    }
}

func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

func tarBytes(_ members: [(TarEntry, [UInt8])]) throws -> [UInt8] {
    let sink = MemorySink()
    let writer = TarWriter(sink)
    for (entry, content) in members {
        try writer.add(entry, content: MemorySource(content))
    }
    try writer.finish()
    return sink.bytes
}

func readAll(_ bytes: [UInt8]) throws -> [(TarEntry, [UInt8])] {
    let reader = TarReader(MemorySource(bytes), name: "test.tar")
    var result: [(TarEntry, [UInt8])] = []
    while let entry = try reader.next() {
        let sink = MemorySink()
        try reader.readContent(into: sink)
        result.append((entry, sink.bytes))
    }
    return result
}

@Suite("Tar and gzip streams")
struct ArchiveTests {
    let longName = String(repeating: "deep/", count: 30) + "file-with-a-long-name.dat"

    var members: [(TarEntry, [UInt8])] {
        [
            (TarEntry(path: "var", kind: .directory, mode: 0o755, uid: 0, gid: 0, mtime: 0), []),
            (TarEntry(path: "var/data", kind: .directory, mode: 0o700, uid: 999, gid: 999, mtime: 0), []),
            (TarEntry(path: "var/data/PG_VERSION", kind: .file, mode: 0o600, uid: 999, gid: 999, mtime: 0, size: 3), Array("16\n".utf8)),
            (
                TarEntry(path: "var/data/base/1/1259", kind: .file, mode: 0o600, uid: 999, gid: 999, mtime: 0, size: 70_001),
                pseudoRandomBytes(70_001, seed: 1)
            ),
            (TarEntry(path: longName, kind: .file, mode: 0o644, uid: 1, gid: 2, mtime: 1_700_000_000, size: 5), Array("hello".utf8)),
            (TarEntry(path: "var/data/pg_wal", kind: .symlink(target: "/elsewhere/wal"), mode: 0o777, uid: 999, gid: 999, mtime: 0), []),
            (TarEntry(path: "empty", kind: .file, mode: 0o600, uid: 0, gid: 0, mtime: 0, size: 0), []),
        ]
    }

    @Test("A tar stream round-trips every member: directories, files, a 150-byte name (pax), a symlink, an empty file")
    func roundTrip() throws {
        let back = try readAll(try tarBytes(members))
        #expect(back.count == members.count)
        for (written, read) in zip(members, back) {
            #expect(read.0 == written.0)
            #expect(read.1 == written.1)
        }
    }

    @Test("The same members give the same bytes, and numeric owners only")
    func deterministic() throws {
        #expect(try tarBytes(members) == tarBytes(members))
    }

    @Test("A tar that ends inside a member is reported as truncated")
    func truncatedTar() throws {
        let bytes = try tarBytes(members)
        let cut = Array(bytes.prefix(5_000))
        #expect(throws: ArchiveError.self) { try readAll(cut) }
        let noEnd = Array(bytes.prefix(bytes.count - 1024))
        #expect(throws: ArchiveError.self) { try readAll(noEnd) }
    }

    @Test("Bytes that are not tar are refused with a message")
    func notTar() throws {
        let error = try #require(throws: ArchiveError.self) { try readAll(pseudoRandomBytes(2048, seed: 9)) }
        #expect(error.message.contains("not a valid tar archive"))
    }

    @Test("gzip round-trips a large stream, and refuses a truncated one")
    func gzip() throws {
        let data = pseudoRandomBytes(300_000, seed: 3) + [UInt8](repeating: 65, count: 500_000)
        let compressed = MemorySink()
        let gzip = try GzipSink(compressed, level: 1)
        try gzip.write(data)
        try gzip.finish()
        #expect(compressed.finished)
        #expect(compressed.bytes.count < data.count)
        #expect(compressed.bytes.prefix(2) == [0x1f, 0x8b])

        let source = try GunzipSource(MemorySource(compressed.bytes), name: "data.gz")
        let back = MemorySink()
        try copy(from: source, to: back)
        #expect(back.bytes == data)

        let truncated = try GunzipSource(MemorySource(Array(compressed.bytes.prefix(compressed.bytes.count / 2))), name: "half.gz")
        let error = try #require(throws: ArchiveError.self) { try copy(from: truncated, to: MemorySink()) }
        #expect(error.message.contains("half.gz is truncated"))
    }

    @Test("The hashing sink gives the SHA-256 of what passed through it")
    func hashing() throws {
        let sink = HashingSink(MemorySink())
        try sink.write(Array("abc".utf8))
        try sink.finish()
        #expect(sink.digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sink.count == 3)
    }
}

@Suite("Interoperability with GNU tar and gzip", .serialized)
struct ArchiveInteropTests {
    static let tar = findExecutable("tar", path: ProcessEnvironment.current()["PATH"])

    @Test("GNU tar lists and extracts what TarWriter + GzipSink wrote", .enabled(if: tar != nil, "needs GNU tar on PATH"))
    func gnuTarReadsOurs() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-archive-")
        defer { try? FileSystem.removeTree(directory) }
        let path = directory + "/ours.tar.gz"
        let file = try FileSink(path: path)
        let writer = TarWriter(try GzipSink(file))
        let longName = String(repeating: "deep/", count: 30) + "long.dat"
        try writer.add(TarEntry(path: "a", kind: .directory, mode: 0o755, uid: 0, gid: 0, mtime: 0))
        try writer.add(
            TarEntry(path: "a/b.txt", kind: .file, mode: 0o640, uid: 0, gid: 0, mtime: 0, size: 6),
            content: MemorySource(Array("hello\n".utf8)))
        try writer.add(
            TarEntry(path: longName, kind: .file, mode: 0o600, uid: 0, gid: 0, mtime: 0, size: 2), content: MemorySource([1, 2]))
        try writer.finish()
        let listing = try Command.output(Self.tar ?? "tar", ["-tzf", path])
        #expect(listing.split(separator: "\n").map(String.init).contains(longName))
        let out = directory + "/out"
        try FileSystem.createDirectory(out)
        _ = try Command.output(Self.tar ?? "tar", ["-xzf", path, "-C", out])
        #expect(try FileSystem.readText(out + "/a/b.txt") == "hello\n")
        #expect(try FileSystem.readBytes(out + "/" + longName) == [1, 2])
    }

    @Test("TarReader + GunzipSource read what GNU tar -czf wrote", .enabled(if: tar != nil, "needs GNU tar on PATH"))
    func oursReadGnuTar() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-archive-")
        defer { try? FileSystem.removeTree(directory) }
        let longDirectory = directory + "/in/" + String(repeating: "x", count: 120)
        try FileSystem.createDirectory(directory + "/in")
        try FileSystem.createDirectory(longDirectory)
        try FileSystem.writeAtomically(longDirectory + "/f.txt", "content")
        _ = try Command.output(Self.tar ?? "tar", ["-czf", directory + "/gnu.tar.gz", "-C", directory + "/in", "."])
        let reader = TarReader(try GunzipSource(try FileSource(path: directory + "/gnu.tar.gz"), name: "gnu.tar.gz"), name: "gnu.tar.gz")
        var found: [String: [UInt8]] = [:]
        while let entry = try reader.next() {
            let sink = MemorySink()
            try reader.readContent(into: sink)
            if entry.kind == .file { found[entry.path] = sink.bytes }
        }
        #expect(found[String(repeating: "x", count: 120) + "/f.txt"] == Array("content".utf8))
    }
}
