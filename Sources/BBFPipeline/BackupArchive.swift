import BBFArchive
import Foundation

/// Packing and unpacking of backup archives: a `.tar.gz` whose first member
/// is `manifest.json`, then the roles dump and the database dump.
public enum BackupArchive {
    /// Writes the archive to `path`; returns its size and SHA-256.
    public static func pack(
        manifest: BackupManifest, files: [String: String], to path: String
    ) throws(PipelineError) -> (size: Int64, sha256: String) {
        do {
            let file = try FileSink(path: path, permissions: 0o600)
            let hashed = HashingSink(file)
            let writer = TarWriter(try GzipSink(hashed, level: 1))
            let manifestBytes = [UInt8](try PipelineJSON.encode(manifest))
            let mtime = Int(ISO8601DateFormatter().date(from: manifest.createdAt)?.timeIntervalSince1970 ?? 0)
            try writer.add(
                TarEntry(
                    path: BackupManifest.Names.manifest, kind: .file, mode: 0o600, uid: 0, gid: 0, mtime: mtime,
                    size: Int64(manifestBytes.count)),
                content: BytesSource(manifestBytes))
            for member in manifest.members {
                guard let local = files[member.name] else { throw PipelineError(.archive, "no file for member \(member.name)") }
                try writer.add(
                    TarEntry(path: member.name, kind: .file, mode: 0o600, uid: 0, gid: 0, mtime: mtime, size: member.size),
                    content: try FileSource(path: local))
            }
            try writer.finish()
            return (hashed.count, hashed.digest)
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.fileSystem, "cannot write the archive \(path): \(error)")
        }
    }

    /// Unpacks into `directory`, checking every member's size and SHA-256
    /// against the manifest. Refuses unexpected members and path tricks.
    public static func unpack(_ path: String, into directory: String) throws(PipelineError) -> BackupManifest {
        let name = (path as NSString).lastPathComponent
        do {
            let reader = TarReader(try GunzipSource(try FileSource(path: path), name: name), name: name)
            guard let first = try reader.next(), first.path == BackupManifest.Names.manifest, first.kind == .file, first.size < 64 << 20
            else {
                throw PipelineError(
                    .archive, "\(name) is not a bbf backup archive: its first member is not \(BackupManifest.Names.manifest)")
            }
            let manifestSink = BytesSink()
            try reader.readContent(into: manifestSink)
            let manifest = try PipelineJSON.decode(
                BackupManifest.self, from: Data(manifestSink.bytes), name: "\(name): \(BackupManifest.Names.manifest)")
            try manifest.validate()
            var seen: Set<String> = []
            while let entry = try reader.next() {
                guard let member = manifest.members.first(where: { $0.name == entry.path }), entry.kind == .file, !seen.contains(entry.path)
                else {
                    throw PipelineError(.archive, "\(name) holds \(entry.path), which its manifest does not list: refusing the archive")
                }
                seen.insert(entry.path)
                let target = directory + "/" + member.name
                let sink = HashingSink(try FileSink(path: target, permissions: 0o600, syncOnFinish: false))
                try reader.readContent(into: sink)
                try sink.finish()
                guard sink.count == member.size, sink.digest == member.sha256 else {
                    throw PipelineError(
                        .verification,
                        "\(name): \(member.name) does not match its manifest (size \(sink.count), sha256 \(sink.digest); expected \(member.size), \(member.sha256)): the archive is damaged"
                    )
                }
            }
            for member in manifest.members where !seen.contains(member.name) {
                throw PipelineError(.archive, "\(name) lacks \(member.name), which its manifest lists: the archive is incomplete")
            }
            return manifest
        } catch let error as PipelineError {
            throw error
        } catch let error as ArchiveError {
            throw PipelineError(.archive, error.message)
        } catch {
            throw PipelineError(.archive, "cannot read \(name): \(error)")
        }
    }
}

final class BytesSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
        }
        offset += count
        return count
    }
}

final class BytesSink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ buffer: UnsafeRawBufferPointer) throws { bytes += buffer }
    func finish() throws {}
}
