import BBFArchive
import Foundation

/// An OCI content descriptor.
public struct OCIDescriptor: Codable, Equatable, Sendable {
    public var mediaType: String
    /// `sha256:<hex>`.
    public var digest: String
    public var size: Int64
    public var annotations: [String: String]?

    public init(mediaType: String, digest: String, size: Int64, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
    }
}

public enum OCIMediaType {
    public static let index = "application/vnd.oci.image.index.v1+json"
    public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    public static let config = "application/vnd.oci.image.config.v1+json"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
}

/// The OCI annotation that names a manifest in an index (`oci:DIR:NAME`).
public let refNameAnnotation = "org.opencontainers.image.ref.name"

/// Where image blobs live, by digest: an OCI layout or a skopeo `dir:` image.
public protocol BlobStore: Sendable {
    var path: String { get }
    func blobPath(_ digest: String) -> String
}

extension BlobStore {
    public func readBlob(_ digest: String) throws(ContainerError) -> Data {
        guard let data = FileManager.default.contents(atPath: blobPath(digest)) else {
            throw ContainerError(.layout, "\(path) lacks the blob \(digest)")
        }
        guard "sha256:" + sha256(of: [UInt8](data)) == digest else {
            throw ContainerError(.layout, "the blob \(digest) in \(path) does not match its digest: the image is damaged")
        }
        return data
    }

    /// Stores bytes as a blob; returns its descriptor.
    @discardableResult
    public func writeBlob(_ data: Data, mediaType: String) throws(ContainerError) -> OCIDescriptor {
        let digest = "sha256:" + sha256(of: [UInt8](data))
        let target = blobPath(digest)
        if !FileManager.default.fileExists(atPath: target) {
            do {
                try data.write(to: URL(fileURLWithPath: target), options: .atomic)
            } catch {
                throw ContainerError(.layout, "cannot write \(target): \(error.localizedDescription)")
            }
        }
        return OCIDescriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// A temporary file next to the blobs, for a blob being streamed.
    func temporaryBlobPath() -> String {
        (blobPath("sha256:x") as NSString).deletingLastPathComponent + "/.blob-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
    }
}

/// One image as skopeo's `dir:` transport stores it: `manifest.json` and the
/// blobs by hex digest, exactly as the source had them. Unlike an OCI
/// layout, nothing is converted, so Docker-only config fields (HEALTHCHECK,
/// which the OCI config format has no place for) survive.
public struct DirImage: BlobStore {
    public var path: String

    public init(path: String) { self.path = path }

    public func blobPath(_ digest: String) -> String {
        path + "/" + (digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest)
    }

    public func manifest() throws(ContainerError) -> Data {
        guard let data = FileManager.default.contents(atPath: path + "/manifest.json") else {
            throw ContainerError(.layout, "\(path) holds no manifest.json (not a skopeo dir: image)")
        }
        return data
    }

    public func setManifest(_ data: Data) throws(ContainerError) {
        do {
            try data.write(to: URL(fileURLWithPath: path + "/manifest.json"), options: .atomic)
        } catch {
            throw ContainerError(.layout, "cannot write \(path)/manifest.json: \(error.localizedDescription)")
        }
    }
}

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/`),
/// the daemonless exchange format skopeo copies to and from registries.
public struct OCILayout: BlobStore {
    public var path: String

    public init(path: String) { self.path = path }

    /// Creates an empty layout (or opens an existing one).
    public static func create(at path: String) throws(ContainerError) -> OCILayout {
        let layout = OCILayout(path: path)
        do {
            try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path + "/oci-layout") {
                try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
            }
            if !FileManager.default.fileExists(atPath: path + "/index.json") {
                try layout.writeIndex([])
            }
        } catch let error as ContainerError {
            throw error
        } catch {
            throw ContainerError(.layout, "cannot create an OCI layout at \(path): \(error.localizedDescription)")
        }
        return layout
    }

    public func blobPath(_ digest: String) -> String {
        path + "/blobs/" + digest.replacingOccurrences(of: ":", with: "/")
    }

    /// The manifests the index lists.
    public func index() throws(ContainerError) -> [OCIDescriptor] {
        guard let data = FileManager.default.contents(atPath: path + "/index.json") else {
            throw ContainerError(.layout, "\(path) is not an OCI layout (no index.json)")
        }
        struct Index: Decodable { var manifests: [OCIDescriptor]? }
        do {
            return try JSONDecoder().decode(Index.self, from: data).manifests ?? []
        } catch {
            throw ContainerError(.layout, "\(path)/index.json cannot be read: \(error)")
        }
    }

    func writeIndex(_ manifests: [OCIDescriptor]) throws(ContainerError) {
        struct Index: Encodable {
            var schemaVersion = 2
            var mediaType = OCIMediaType.index
            var manifests: [OCIDescriptor]
        }
        do {
            try OCIJSON.encode(Index(manifests: manifests)).write(to: URL(fileURLWithPath: path + "/index.json"), options: .atomic)
        } catch {
            throw ContainerError(.layout, "cannot write \(path)/index.json: \(error)")
        }
    }

    /// The manifest named `name` in the index (or the only one).
    public func manifestDescriptor(named name: String?) throws(ContainerError) -> OCIDescriptor {
        let manifests = try index()
        if let name {
            guard let found = manifests.first(where: { $0.annotations?[refNameAnnotation] == name }) else {
                throw ContainerError(.notFound, "the OCI layout \(path) has no image named \(name)")
            }
            return found
        }
        guard manifests.count == 1, let only = manifests.first else {
            throw ContainerError(.notFound, "the OCI layout \(path) holds \(manifests.count) images: name one (oci:\(path):NAME)")
        }
        return only
    }

    /// Points `name` at `descriptor` in the index (replacing an older entry of that name).
    public func tag(_ descriptor: OCIDescriptor, as name: String) throws(ContainerError) {
        var manifests = try index().filter { $0.annotations?[refNameAnnotation] != name }
        var named = descriptor
        named.annotations = (descriptor.annotations ?? [:]).merging([refNameAnnotation: name]) { $1 }
        manifests.append(named)
        try writeIndex(manifests)
    }
}

/// JSON for image metadata: sorted keys, no escaped slashes, so the same
/// content always gives the same digest.
public enum OCIJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// A JSON object as a dictionary (every field kept, known or not).
    public static func object(_ data: Data, name: String) throws(ContainerError) -> [String: Any] {
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ContainerError(.layout, "\(name) is not a JSON object")
            }
            return object
        } catch let error as ContainerError {
            throw error
        } catch {
            throw ContainerError(.layout, "\(name) is not valid JSON: \(error.localizedDescription)")
        }
    }

    public static func data(_ object: [String: Any]) throws(ContainerError) -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ContainerError(.layout, "cannot encode JSON: \(error.localizedDescription)")
        }
    }
}
