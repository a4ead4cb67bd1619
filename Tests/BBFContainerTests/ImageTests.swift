import BBFArchive
import BBFContainer
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

func makeTree(_ root: String, reversed: Bool = false) throws {
    let files = [("PG_VERSION", "16\n"), ("base/1/1259", String(repeating: "x", count: 20_000)), ("global/pg_control", "control")]
    for directory in ["base", "base/1", "global"] { try FileSystem.createDirectory(root + "/" + directory, permissions: 0o700) }
    for (name, content) in reversed ? files.reversed() : files {
        try FileSystem.writeAtomically(root + "/" + name, content, permissions: 0o600)
    }
    try FileSystem.changePermissions(root, 0o700)
}

@Suite("Image references")
struct ImageReferenceTests {
    @Test("Registry references parse, with hosts, ports, tags and digests; bad ones name the form")
    func references() throws {
        #expect(
            try ImageLocation.parse("127.0.0.1:5000/team/db:2026-12-01", flag: "--tag") == .registry("127.0.0.1:5000/team/db:2026-12-01"))
        #expect(
            ImageReferenceSyntax.parts("123456789012.dkr.ecr.eu-west-1.amazonaws.com/babelfish-dev-data:latest")?.host
                == "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
        #expect(ImageReferenceSyntax.parts("babelfish-dev:4.2")?.host == "docker.io")
        #expect(ImageReferenceSyntax.parts("localhost/x@sha256:" + String(repeating: "a", count: 64))?.digest != nil)
        #expect(try ImageLocation.parse("oci:/work/layout:base", flag: "--base-image") == .ociLayout(path: "/work/layout", name: "base"))
        #expect(try ImageLocation.parse("docker-daemon:babelfish-dev:4.2", flag: "--tag") == .dockerDaemon("babelfish-dev:4.2"))
        for bad in ["Team/DB:latest", "db:", "db:tag with space", "host:99999/db", ""] {
            let error = try #require(throws: ContainerError.self, "\(bad)") { try ImageLocation.parse(bad, flag: "--tag") }
            #expect(error.message.hasPrefix("--tag \(bad): not an image reference"))
        }
    }
}

@Suite("Image layers and assembly", .serialized)
struct ImageLayerTests {
    @Test("A directory gives the same layer digest however it was written; owners are numeric, times fixed")
    func deterministicLayer() throws {
        let scratch = try Scratch()
        let one = try scratch.sub("one", permissions: 0o700)
        let two = try scratch.sub("two", permissions: 0o700)
        try makeTree(one)
        try makeTree(two, reversed: true)
        let layout = try OCILayout.create(at: scratch.path + "/layout")
        let a = try ImageLayer.write(directory: one, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 1_764_633_600, into: layout)
        let b = try ImageLayer.write(directory: two, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 1_764_633_600, into: layout)
        #expect(a.descriptor.digest == b.descriptor.digest)
        #expect(a.diffID == b.diffID)
        #expect(a.files == 3)
        let c = try ImageLayer.write(directory: one, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: layout)
        #expect(c.diffID != a.diffID, "the time is part of the content")
        let skipped = try ImageLayer.write(
            directory: one, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: layout, skip: { $0 == "global/pg_control" })
        #expect(skipped.files == 2)

        let tar = try TestTools.require("tar", install: "apt-get install tar")
        let listing = try Command.output(tar, ["-tvzf", layout.blobPath(a.descriptor.digest), "--numeric-owner"])
        #expect(listing.contains("drwx------ 999/999"))
        #expect(listing.contains("-rw------- 999/999       20000 2025-12-02 00:00 var/lib/babelfish/data/base/1/1259"), "\(listing)")
    }

    @Test(
        "A data layer on a base image, pushed with skopeo to a real registry: labels set, base layers reused, a second snapshot uploads only its layer"
    )
    func assembleAndPush() throws {
        let registry: LocalRegistry
        let skopeo: Skopeo
        do {
            registry = try LocalRegistry()
            skopeo = try Skopeo(environment: ProcessEnvironment.current(), tlsVerify: false)
        } catch let missing as TestPrerequisite {
            try Test.cancel(Comment(rawValue: missing.reason))
        } catch let error as ContainerError where error.code == .tool {
            try Test.cancel(Comment(rawValue: error.message))
        }
        let scratch = try Scratch()
        // A small base image, made daemonless too, pushed to the registry.
        let baseTree = try scratch.sub("base-tree")
        try FileSystem.createDirectory(baseTree + "/bin")
        try FileSystem.writeAtomically(baseTree + "/bin/hello", "#!/bin/sh\necho hi\n", permissions: 0o755)
        let baseLayout = try OCILayout.create(at: scratch.path + "/base-layout")
        let baseLayer = try ImageLayer.write(directory: baseTree, as: "usr/local", uid: 0, gid: 0, mtime: 0, into: baseLayout)
        let baseConfig = try baseLayout.writeBlob(
            Data(
                #"{"architecture":"amd64","os":"linux","config":{"Labels":{"babelfish-dev.postgresql.version":"16.3"},"Env":["PATH=/usr/local/bin"]},"rootfs":{"type":"layers","diff_ids":["\#(baseLayer.diffID)"]}}"#
                    .utf8), mediaType: OCIMediaType.config)
        let baseManifest = try baseLayout.writeBlob(
            Data(
                #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(baseConfig.digest)","size":\#(baseConfig.size)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(baseLayer.descriptor.digest)","size":\#(baseLayer.descriptor.size)}]}"#
                    .utf8), mediaType: OCIMediaType.manifest)
        try baseLayout.tag(baseManifest, as: "engine")
        try skopeo.copy(
            from: .ociLayout(path: baseLayout.path, name: "engine"), to: .registry("\(registry.host)/engine:1"), doing: "push the base")
        let afterBase = try registry.storedBlobs()

        // The bake's steps: base into a layout, data layer, push.
        func bake(_ content: String, tag: String) throws -> OCIDescriptor {
            let layout = try OCILayout.create(at: scratch.path + "/work-\(tag)")
            try skopeo.copy(
                from: .registry("\(registry.host)/engine:1"), to: .ociLayout(path: layout.path, name: "base"), doing: "pull the base")
            let data = try scratch.sub("data-\(tag)", permissions: 0o700)
            try FileSystem.writeAtomically(data + "/PG_VERSION", content)
            let layer = try ImageLayer.write(directory: data, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: layout)
            let base = try layout.manifestDescriptor(named: "base")
            let image = try ImageAssembly.add(
                .init(
                    layer: layer, labels: ["babelfish-dev.snapshot.archive": "bbf-backup-\(tag).tar.gz"],
                    annotations: ["org.opencontainers.image.created": "2026-12-01T00:00:00Z"],
                    created: "2026-12-01T00:00:00Z", createdBy: "bbf bake"), to: base, in: layout)
            try layout.tag(image, as: "data")
            try skopeo.copy(from: .ociLayout(path: layout.path, name: "data"), to: .registry("\(registry.host)/data:\(tag)"), doing: "push")
            return layer.descriptor
        }
        let first = try bake("16\n", tag: "one")
        let labels = try #require(try skopeo.labelsIfPresent(.registry("\(registry.host)/data:one")))
        #expect(labels["babelfish-dev.snapshot.archive"] == "bbf-backup-one.tar.gz")
        #expect(labels["babelfish-dev.postgresql.version"] == "16.3", "the base's labels stay")
        let afterFirst = try registry.storedBlobs()
        #expect(afterFirst.isSuperset(of: afterBase))
        #expect(afterFirst.contains(first.digest))
        #expect(afterFirst.contains(baseLayer.descriptor.digest))

        let second = try bake("16 second snapshot\n", tag: "two")
        let afterSecond = try registry.storedBlobs()
        // Only the new data layer, its config and its manifest are new.
        #expect(afterSecond.subtracting(afterFirst).count == 3)
        #expect(afterSecond.contains(second.digest))
        #expect(try skopeo.labelsIfPresent(.registry("\(registry.host)/data:missing")) == nil)
    }
}

@Suite("Docker-format images keep their format", .serialized)
struct DockerFormatTests {
    /// A real registry and skopeo, or the test is cancelled saying what is missing.
    static func tools() throws -> (LocalRegistry, Skopeo) {
        do {
            return (try LocalRegistry(), try Skopeo(environment: ProcessEnvironment.current(), tlsVerify: false))
        } catch let missing as TestPrerequisite {
            try Test.cancel(Comment(rawValue: missing.reason))
        } catch let error as ContainerError where error.code == .tool {
            try Test.cancel(Comment(rawValue: error.message))
        }
    }

    /// A Docker schema 2 base with a HEALTHCHECK, pushed to `registry` as engine:docker,
    /// then pulled into a dir: image as the bake does; returns that image and the base layer.
    static func dockerBase(_ scratch: Scratch, registry: LocalRegistry, skopeo: Skopeo) throws -> (DirImage, WrittenLayer) {
        let base = DirImage(path: try scratch.sub("base"))
        try FileSystem.writeAtomically(base.path + "/version", "Directory Transport Version: 1.1\n", permissions: 0o644)
        let tree = try scratch.sub("tree")
        try FileSystem.writeAtomically(tree + "/f", "x", permissions: 0o644)
        let layer = try ImageLayer.write(directory: tree, as: "opt", uid: 0, gid: 0, mtime: 0, into: base)
        let config = try base.writeBlob(
            Data(
                #"{"architecture":"amd64","os":"linux","config":{"Healthcheck":{"Test":["CMD","bbf-entrypoint","healthcheck"],"Interval":10000000000},"Labels":{"a":"b"}},"rootfs":{"type":"layers","diff_ids":["\#(layer.diffID)"]}}"#
                    .utf8), mediaType: ImageAssembly.dockerConfig)
        try base.setManifest(
            Data(
                #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"\#(config.digest)","size":\#(config.size)},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"\#(layer.descriptor.digest)","size":\#(layer.descriptor.size)}]}"#
                    .utf8))
        try skopeo.copy(from: .directory(base.path), to: .registry("\(registry.host)/engine:docker"), doing: "push")
        let work = DirImage(path: scratch.path + "/work")
        try skopeo.copy(from: .registry("\(registry.host)/engine:docker"), to: .directory(work.path), doing: "pull")
        return (work, layer)
    }

    /// The config of a pushed image, as the registry serves it.
    static func runtimeConfig(_ reference: String, skopeo: Skopeo) throws -> [String: Any] {
        let pushedConfig = try skopeo.inspect(.registry(reference), raw: true, config: true)
        let object = try #require(try JSONSerialization.jsonObject(with: pushedConfig) as? [String: Any])
        return try #require(object["config"] as? [String: Any])
    }

    @Test("A Docker schema 2 base keeps its HEALTHCHECK and media types when a layer is added through a dir: image")
    func healthcheckSurvives() throws {
        let (registry, skopeo) = try Self.tools()
        let scratch = try Scratch()
        let (work, _) = try Self.dockerBase(scratch, registry: registry, skopeo: skopeo)
        let data = try scratch.sub("data", permissions: 0o700)
        try FileSystem.writeAtomically(data + "/PG_VERSION", "16\n")
        let added = try ImageLayer.write(directory: data, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: work)
        let manifest = try ImageAssembly.add(
            .init(layer: added, labels: ["c": "d"], annotations: ["x": "y"], created: "2026-12-01T00:00:00Z", createdBy: "bbf bake"),
            toManifest: try work.manifest(), in: work)
        try work.setManifest(manifest)
        try skopeo.copy(from: .directory(work.path), to: .registry("\(registry.host)/data:docker"), doing: "push data")

        let raw = try skopeo.inspect(.registry("\(registry.host)/data:docker"), raw: true)
        let pushed = try #require(try JSONSerialization.jsonObject(with: raw) as? [String: Any])
        #expect(pushed["mediaType"] as? String == OCIMediaType.dockerManifest)
        let layers = try #require(pushed["layers"] as? [[String: Any]])
        #expect(layers.count == 2 && layers.allSatisfy { $0["mediaType"] as? String == ImageAssembly.dockerLayerGzip })
        let runtime = try Self.runtimeConfig("\(registry.host)/data:docker", skopeo: skopeo)
        #expect(runtime["Healthcheck"] != nil, "HEALTHCHECK kept")
        #expect((runtime["Labels"] as? [String: String]) == ["a": "b", "c": "d"])
    }

    /// A zstd data layer on a Docker-format base, assembled and pushed as REGISTRY/data:zstd.
    static func pushZstdSnapshot(
        _ scratch: Scratch, registry: LocalRegistry, skopeo: Skopeo, zstd: String
    ) throws -> (work: DirImage, base: WrittenLayer, added: WrittenLayer) {
        let (work, baseLayer) = try dockerBase(scratch, registry: registry, skopeo: skopeo)
        let data = try scratch.sub("data", permissions: 0o700)
        try makeTree(data)
        let added = try ImageLayer.write(
            directory: data, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: work,
            compression: .zstd(level: 3, program: zstd))
        let manifest = try ImageAssembly.add(
            .init(layer: added, labels: ["c": "d"], annotations: ["x": "y"], created: "2026-12-01T00:00:00Z", createdBy: "bbf bake"),
            toManifest: try work.manifest(), in: work)
        try work.setManifest(manifest)
        try skopeo.copy(from: .directory(work.path), to: .registry("\(registry.host)/data:zstd"), doing: "push data")
        return (work, baseLayer, added)
    }

    @Test(
        "podman, an engine that pulls zstd layers, pulls and unpacks a zstd snapshot; it reads no HEALTHCHECK from the OCI config",
        .enabled(if: TestTools.onPath("podman") != nil, "needs podman (apt-get install podman); Debian's docker.io 20.10 cannot pull zstd"))
    func podmanPullsZstd() throws {
        let zstd = try TestTools.require("zstd", install: "apt-get install zstd")
        let podman = try TestTools.require("podman", install: "apt-get install podman")
        let (registry, skopeo) = try Self.tools()
        let scratch = try Scratch()
        _ = try Self.pushZstdSnapshot(scratch, registry: registry, skopeo: skopeo, zstd: zstd)
        let reference = "\(registry.host)/data:zstd"
        defer { _ = try? Command.output(podman, ["rmi", "--force", reference]) }
        _ = try Command.output(podman, ["pull", "--quiet", "--tls-verify=false", reference])
        let mounted = try Command.output(podman, ["image", "mount", reference]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Command.output(podman, ["image", "unmount", reference]) }
        #expect(try FileSystem.readText(mounted + "/var/lib/babelfish/data/PG_VERSION") == "16\n", "podman unpacked the zstd layer")
        #expect(FileSystem.exists(mounted + "/opt/f"), "and the base layer under it")
        let inspected = try Command.output(podman, ["image", "inspect", "--format", "{{.HealthCheck}}", reference])
        #expect(inspected.contains("<nil>"), "podman reads no HEALTHCHECK from an OCI config (documented): \(inspected)")
    }

    @Test(
        "A zstd data layer (zstd program): deterministic; on a Docker-format base the image becomes OCI, base layers' bytes unchanged, the config's fields kept"
    )
    func zstdLayer() throws {
        let zstd = try TestTools.require("zstd", install: "apt-get install zstd")
        let (registry, skopeo) = try Self.tools()
        let scratch = try Scratch()
        let (work, baseLayer, added) = try Self.pushZstdSnapshot(scratch, registry: registry, skopeo: skopeo, zstd: zstd)
        let data = scratch.path + "/data"
        let again = try ImageLayer.write(
            directory: data, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: work,
            compression: .zstd(level: 3, program: zstd))
        #expect(added == again, "the same tree gives the same zstd blob")
        #expect(added.descriptor.mediaType == OCIMediaType.layerZstd)
        let gzip = try ImageLayer.write(directory: data, as: "var/lib/babelfish/data", uid: 999, gid: 999, mtime: 0, into: work)
        #expect(gzip.diffID == added.diffID, "the same tar under either compression")
        let tar = try TestTools.require("tar", install: "apt-get install tar")
        let listing = try Command.output(tar, ["--zstd", "-tvf", work.blobPath(added.descriptor.digest), "--numeric-owner"])
        #expect(listing.contains("999/999") && listing.contains("var/lib/babelfish/data/PG_VERSION"), "\(listing)")

        let raw = try skopeo.inspect(.registry("\(registry.host)/data:zstd"), raw: true)
        let pushed = try #require(try JSONSerialization.jsonObject(with: raw) as? [String: Any])
        #expect(pushed["mediaType"] as? String == OCIMediaType.manifest, "Docker schema 2 has no zstd layer type")
        let layers = try #require(pushed["layers"] as? [[String: Any]])
        #expect(layers.map { $0["mediaType"] as? String } == [OCIMediaType.layerGzip, OCIMediaType.layerZstd])
        #expect(layers.map { $0["digest"] as? String } == [baseLayer.descriptor.digest, added.descriptor.digest], "base bytes unchanged")
        #expect((pushed["config"] as? [String: Any])?["mediaType"] as? String == OCIMediaType.config)
        let runtime = try Self.runtimeConfig("\(registry.host)/data:zstd", skopeo: skopeo)
        #expect(
            runtime["Healthcheck"] != nil, "the config's HEALTHCHECK field stays in the JSON (Docker reads it; podman does not for OCI)")
        #expect((runtime["Labels"] as? [String: String]) == ["a": "b", "c": "d"])
    }
}
