import BBFArchive
import BBFProcess
import BBFSystem
import Foundation

/// A layer written into an OCI layout: the descriptor of its compressed blob
/// and the diff_id (SHA-256 of the uncompressed tar) the config lists.
public struct WrittenLayer: Equatable, Sendable {
    public var descriptor: OCIDescriptor
    public var diffID: String
    public var uncompressedSize: Int64
    public var files: Int
}

/// How a layer blob is compressed.
public enum LayerCompression: Sendable, Equatable {
    /// gzip at this level (zlib, in process): what every engine pulls.
    case gzip(level: Int32)
    /// zstd at this level, by the `zstd` program at this path (single-threaded,
    /// so the output depends only on the input): Docker 23+, containerd 1.5+,
    /// podman 4+ pull it; Docker 20.10 does not.
    case zstd(level: Int, program: String)

    var mediaType: String {
        switch self {
        case .gzip: OCIMediaType.layerGzip
        case .zstd: OCIMediaType.layerZstd
        }
    }
}

/// Writes a directory tree as a deterministic layer: entries sorted by name,
/// every mtime fixed, numeric owners given by the caller (never the build
/// machine's), no user or group names. The same tree gives the same digest.
public enum ImageLayer {
    /// - Parameters:
    ///   - directory: the tree on this machine.
    ///   - imagePath: where it lands in the image, without a leading "/" (e.g. `var/lib/babelfish/data`).
    ///   - mtime: seconds since the epoch for every entry.
    ///   - skip: relative paths to leave out (checked for files and directories).
    public static func write(
        directory: String, as imagePath: String, uid: Int, gid: Int, mtime: Int, into layout: some BlobStore,
        compression: LayerCompression = .gzip(level: 1), skip: (String) -> Bool = { _ in false }
    ) throws(ContainerError) -> WrittenLayer {
        let temporary = layout.temporaryBlobPath()
        // zstd: the tar goes to a file first, then through the zstd program.
        let tarPath = temporary + ".tar"
        defer { unlink(tarPath) }
        do {
            let compressed: HashingSink?
            let uncompressed: HashingSink
            switch compression {
            case .gzip(let level):
                let sink = HashingSink(try FileSink(path: temporary, permissions: 0o644))
                compressed = sink
                uncompressed = HashingSink(try GzipSink(sink, level: level))
            case .zstd:
                compressed = nil
                uncompressed = HashingSink(try FileSink(path: tarPath, permissions: 0o600, syncOnFinish: false))
            }
            let writer = TarWriter(uncompressed)
            var files = 0
            func add(_ relative: String) throws {
                let full = relative.isEmpty ? directory : directory + "/" + relative
                let target = relative.isEmpty ? imagePath : imagePath + "/" + relative
                guard let info = try FileSystem.info(full) else {
                    throw ContainerError(
                        .layout, "\(full) disappeared while the layer was written: nothing may change the directory meanwhile")
                }
                switch info.kind {
                case .directory:
                    try writer.add(
                        TarEntry(path: target, kind: .directory, mode: UInt32(info.permissions), uid: uid, gid: gid, mtime: mtime))
                    for name in try FileSystem.contents(ofDirectory: full) {
                        let child = relative.isEmpty ? name : relative + "/" + name
                        if !skip(child) { try add(child) }
                    }
                case .regular:
                    try writer.add(
                        TarEntry(
                            path: target, kind: .file, mode: UInt32(info.permissions), uid: uid, gid: gid, mtime: mtime, size: info.size),
                        content: try FileSource(path: full))
                    files += 1
                case .symlink:
                    try writer.add(
                        TarEntry(
                            path: target, kind: .symlink(target: try FileSystem.symlinkTarget(full)), mode: 0o777, uid: uid, gid: gid,
                            mtime: mtime))
                case .other:
                    throw ContainerError(.layout, "\(full) is neither a file, a directory nor a symlink: it cannot go into an image layer")
                }
            }
            try add("")
            try writer.finish()
            var digest = "sha256:" + (compressed?.digest ?? "")
            var size = compressed?.count ?? 0
            if case .zstd(let level, let program) = compression {
                let result = try ToolProcess.run(program, ["-q", "-\(level)", "-T1", "--no-progress", "-f", "-o", temporary, tarPath])
                guard result.succeeded else {
                    throw ContainerError(
                        .layout, "\(program) could not compress the layer (\(result.statusDescription)): \(result.standardError)")
                }
                let hashed = try sha256(ofFile: temporary)
                digest = "sha256:" + hashed.digest
                size = hashed.size
            }
            let final = layout.blobPath(digest)
            if rename(temporary, final) != 0 {
                throw ContainerError(.layout, "cannot move the layer to \(final): \(String(cString: strerror(errno)))")
            }
            return WrittenLayer(
                descriptor: OCIDescriptor(mediaType: compression.mediaType, digest: digest, size: size),
                diffID: "sha256:" + uncompressed.digest, uncompressedSize: uncompressed.count, files: files)
        } catch let error as ContainerError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw ContainerError(.layout, "cannot write the layer from \(directory): \(error)")
        }
    }
}

/// Adds layers and metadata to an image in an OCI layout, the way a
/// Dockerfile's COPY + LABEL would, but without a daemon. Every field of the
/// base config and manifest that is not touched is kept as it was.
public enum ImageAssembly {
    public struct Addition: Sendable {
        public var layer: WrittenLayer
        /// Merged into the config's Labels (docker inspect, skopeo inspect).
        public var labels: [String: String]
        /// Merged into the manifest's annotations.
        public var annotations: [String: String]
        /// The config's `created` (RFC 3339).
        public var created: String
        /// The history entry's `created_by`.
        public var createdBy: String

        public init(layer: WrittenLayer, labels: [String: String], annotations: [String: String], created: String, createdBy: String) {
            self.layer = layer
            self.labels = labels
            self.annotations = annotations
            self.created = created
            self.createdBy = createdBy
        }
    }

    /// Docker's media types, for images kept in Docker's format.
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// A manifest and its config, as objects (every field kept).
    public static func load(
        manifest data: Data, in store: some BlobStore
    ) throws(ContainerError) -> (
        manifest: [String: Any], config: [String: Any]
    ) {
        let manifest = try OCIJSON.object(data, name: "the base manifest")
        guard let configDescriptor = manifest["config"] as? [String: Any], let configDigest = configDescriptor["digest"] as? String else {
            throw ContainerError(.layout, "the base manifest has no config (is it an index? pass one platform's image)")
        }
        return (manifest, try OCIJSON.object(try store.readBlob(configDigest), name: "the base config"))
    }

    /// Labels of the image a manifest names.
    public static func labels(ofManifest data: Data, in store: some BlobStore) throws(ContainerError) -> [String: String] {
        let (_, config) = try load(manifest: data, in: store)
        return ((config["config"] as? [String: Any])?["Labels"] as? [String: String]) ?? [:]
    }

    /// Writes the new config blob and returns the new manifest's bytes. The
    /// manifest keeps its format (OCI or Docker schema 2); the new layer and
    /// config get that format's media types. A zstd layer needs OCI (Docker
    /// schema 2 has no zstd media type): a Docker-format base is then rewritten
    /// as OCI, its layers' bytes and the config's content unchanged.
    public static func add(_ addition: Addition, toManifest data: Data, in store: some BlobStore) throws(ContainerError) -> Data {
        var (manifest, config) = try load(manifest: data, in: store)
        let mediaType = manifest["mediaType"] as? String ?? OCIMediaType.manifest
        var docker: Bool
        switch mediaType {
        case OCIMediaType.manifest: docker = false
        case OCIMediaType.dockerManifest: docker = true
        default:
            throw ContainerError(
                .layout, "the base manifest is \(mediaType), not one image's manifest (a multi-platform index? pass one platform's image)")
        }
        var layers = manifest["layers"] as? [[String: Any]] ?? []
        if docker && addition.layer.descriptor.mediaType == OCIMediaType.layerZstd {
            layers = try layers.map { layer throws(ContainerError) in
                var layer = layer
                switch layer["mediaType"] as? String {
                case dockerLayerGzip: layer["mediaType"] = OCIMediaType.layerGzip
                case "application/vnd.docker.image.rootfs.diff.tar": layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
                default:
                    throw ContainerError(
                        .layout,
                        "the base image has a \(layer["mediaType"] as? String ?? "?") layer, which an OCI image cannot carry: use gzip layers (--layer-compression gzip)"
                    )
                }
                return layer
            }
            manifest["mediaType"] = OCIMediaType.manifest
            docker = false
        }
        var rootfs = config["rootfs"] as? [String: Any] ?? ["type": "layers"]
        var diffIDs = rootfs["diff_ids"] as? [String] ?? []
        guard diffIDs.count == layers.count else {
            throw ContainerError(.layout, "the base image lists \(layers.count) layers but \(diffIDs.count) diff_ids: it is malformed")
        }
        diffIDs.append(addition.layer.diffID)
        rootfs["diff_ids"] = diffIDs
        config["rootfs"] = rootfs
        var runtime = config["config"] as? [String: Any] ?? [:]
        var labels = runtime["Labels"] as? [String: String] ?? [:]
        labels.merge(addition.labels) { $1 }
        runtime["Labels"] = labels
        config["config"] = runtime
        config["created"] = addition.created
        var history = config["history"] as? [[String: Any]] ?? []
        history.append(["created": addition.created, "created_by": addition.createdBy, "comment": "bbf"])
        config["history"] = history
        let configType = docker ? dockerConfig : OCIMediaType.config
        let configDescriptor = try store.writeBlob(try OCIJSON.data(config), mediaType: configType)

        manifest["config"] = ["mediaType": configType, "digest": configDescriptor.digest, "size": configDescriptor.size]
        manifest["layers"] =
            layers + [
                [
                    "mediaType": docker ? dockerLayerGzip : addition.layer.descriptor.mediaType, "digest": addition.layer.descriptor.digest,
                    "size": addition.layer.descriptor.size,
                ]
            ]
        if !docker {
            // Docker schema 2 has no annotations.
            var annotations = manifest["annotations"] as? [String: String] ?? [:]
            annotations.merge(addition.annotations) { $1 }
            manifest["annotations"] = annotations
        }
        return try OCIJSON.data(manifest)
    }

    /// The same, on an image in an OCI layout: returns the new manifest's descriptor.
    public static func add(_ addition: Addition, to base: OCIDescriptor, in layout: OCILayout) throws(ContainerError) -> OCIDescriptor {
        let data = try add(addition, toManifest: try layout.readBlob(base.digest), in: layout)
        return try layout.writeBlob(data, mediaType: OCIMediaType.manifest)
    }
}
