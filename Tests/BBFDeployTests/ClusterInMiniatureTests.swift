import BBFContainer
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The pipeline image (engine + bbf + aws + skopeo) in the test Docker engine.
let pipelineImage = ProcessEnvironment.current()["BBF_TEST_PIPELINE_IMAGE"].flatMap { $0.isEmpty ? nil : $0 }
/// The engine image of the same versions, which the bake puts the data on.
let engineImage = ProcessEnvironment.current()["BBF_TEST_ENGINE_IMAGE"].flatMap { $0.isEmpty ? nil : $0 }

@Suite(
    "Cluster in miniature: the rendered CronJobs' containers, run as written under Docker against DEV, S3 and a registry on loopback",
    .serialized,
    .enabled(if: TestTools.babelfishHome != nil, Comment(rawValue: TestTools.babelfishReason)),
    .enabled(
        if: pipelineImage != nil,
        "needs BBF_TEST_PIPELINE_IMAGE: the pipeline image of BBF_TEST_BABELFISH_HOME's versions in the test Docker engine"),
    .enabled(if: engineImage != nil, "needs BBF_TEST_ENGINE_IMAGE: the engine image of the same versions in the test Docker engine"),
    .enabled(if: DockerEngine.available != nil, Comment(rawValue: DockerEngine.reason)),
    .enabled(if: getuid() == 0, "needs root: the Secrets' files are written root:fsGroup as the kubelet writes them"))
struct ClusterInMiniatureTests {
    static let dev = """
        CREATE DATABASE sales
        go
        USE sales
        go
        CREATE TABLE dbo.customers (id INT IDENTITY(1,1) PRIMARY KEY, name NVARCHAR(100) NOT NULL)
        go
        INSERT INTO dbo.customers (name) VALUES (N'Zoë'), (N'Łukasz'), (N'東京')
        go
        USE master
        go
        CREATE LOGIN app_login WITH PASSWORD = 'App-pass-1'
        go
        USE sales
        go
        CREATE USER app_login FOR LOGIN app_login
        go
        """

    @Test(
        "examples/local with this run's ports: the backup publishes an archive and its record; the bake pushes :<backup time> and :latest; a second bake says already baked"
    )
    func backupThenBakeTwice() throws {
        let docker = try #require(DockerEngine.available)
        let pipeline = try #require(pipelineImage)
        let engine = try #require(engineImage)
        let s3 = try skippingIfMissing { try MotoS3() }
        let registry = try skippingIfMissing { try LocalRegistry() }
        let dev = try skippingIfMissing { try BootedServer(babelfish: true) }
        let created = try dev.tsql(Self.dev)
        #expect(!created.contains("Msg "), "\(created)")
        let scratch = try Scratch()

        // examples/local, overlaid with only the values this run was given.
        let local = try RenderedManifests(yaml: try Deployment.renderOverlay("local")).settings().data ?? [:]
        func onThisRegistry(_ key: String) throws -> String {
            try #require(local[key]).replacingOccurrences(of: "127.0.0.1:5000", with: registry.host)
        }
        let values = [
            "PGPORT": String(dev.port), "AWS_ENDPOINT_URL": s3.endpoint, "BBF_ENGINE_IMAGE": try onThisRegistry("BBF_ENGINE_IMAGE"),
            "BBF_TARGET_REPOSITORY": try onThisRegistry("BBF_TARGET_REPOSITORY"),
        ]
        let overlay = try scratch.sub("overlay")
        try FileSystem.writeAtomically(
            overlay + "/kustomization.yaml",
            Self.overlay(
                on: Deployment.relativePath(from: overlay, to: Deployment.root + "/examples/local"), values: values, image: pipeline),
            permissions: 0o644)
        let manifests = try RenderedManifests(yaml: try Deployment.render(overlay))
        #expect(try DeploymentPolicy.violations(in: manifests).isEmpty)
        let settings = try manifests.settings()
        let data = settings.data ?? [:]
        #expect(data["PGPORT"] == String(dev.port) && data["PGHOST"] == "127.0.0.1")

        // What the cluster holds: the bucket, the engine image, the Secrets.
        let location = try #require(data["BBF_BACKUP_LOCATION"])
        let bucketAndPrefix = location.dropFirst("s3://".count).split(separator: "/", maxSplits: 1).map(String.init)
        let bucket = bucketAndPrefix[0]
        try s3.makeBucket(bucket)
        var skopeoEnvironment = ProcessEnvironment.current()
        if let host = docker.host { skopeoEnvironment["DOCKER_HOST"] = host }
        let skopeo = try Skopeo(environment: skopeoEnvironment, tlsVerify: false)
        try skopeo.copy(from: .dockerDaemon(engine), to: .registry(try #require(data["BBF_ENGINE_IMAGE"])), doing: "push the engine")
        let cluster = MiniatureCluster(
            docker: docker, scratch: scratch,
            state: ClusterState(
                configMaps: [
                    settings.metadata.name: data,
                    "bbf-post-restore": ["10-mask.sql": "UPDATE sales_dbo.customers SET name = 'masked ' || id;\n"],
                ],
                secrets: [
                    "bbf-dev-db": ["password": dev.superuserPassword],
                    "bbf-aws-credentials": ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"],
                    "bbf-login-passwords": ["passwords": "app_login=App-local-1\n*=Local-Dev-Password-1\n"],
                    "bbf-registry-auth": [".dockerconfigjson": #"{"auths":{}}"#],
                ]))

        // The backup.
        let backup = try cluster.run(try manifests.cronJob("bbf-backup"))
        try #require(backup.finished.succeeded, "\(backup.finished.output)")
        Self.expectRestricted(backup)
        #expect(!backup.finished.output.contains(dev.superuserPassword), "no password in the log")
        let archive = try #require(backup.finished.standardOutput.split(separator: "\n").last.map(String.init))
        #expect(archive.hasPrefix(location + "bbf-backup-") && archive.hasSuffix(".tar.gz"), "\(archive)")
        let archiveName = String(archive.dropFirst(location.count))
        let keys = try s3.keys(bucket: bucket)
        let prefix = bucketAndPrefix.count > 1 ? bucketAndPrefix[1] : ""
        #expect(
            keys.contains(prefix + archiveName)
                && keys.contains(prefix + archiveName.replacingOccurrences(of: ".tar.gz", with: ".manifest.json")), "\(keys)")

        // The bake.
        let bakeJob = try manifests.cronJob("bbf-bake")
        let bake = try cluster.run(bakeJob)
        try #require(bake.finished.succeeded, "\(bake.finished.output)")
        Self.expectRestricted(bake)
        #expect(bake.finished.standardOutput.contains("sha256:"), "\(bake.finished.standardOutput)")
        #expect(bake.finished.output.contains("10-mask.sql"), "the post-restore ConfigMap's script ran")
        for secret in ["App-local-1", "Local-Dev-Password-1"] { #expect(!bake.finished.output.contains(secret), "no password in the log") }
        let repository = try #require(data["BBF_TARGET_REPOSITORY"])
        let latest = try #require(try skopeo.labelsIfPresent(.registry(repository + ":latest")), "\(repository):latest was pushed")
        #expect(latest["babelfish-dev.snapshot.archive"] == archiveName, "\(latest)")
        #expect(latest["babelfish-dev.snapshot.passwords"] == data["BBF_PASSWORD_SOURCE"])
        let stamp = archiveName.dropFirst("bbf-backup-".count).dropLast(".tar.gz".count).lowercased()
        let dated = try skopeo.labelsIfPresent(.registry("\(repository):\(stamp)"))
        #expect(dated?["babelfish-dev.snapshot.archive"] == archiveName, "\(repository):\(stamp) was pushed")

        // The next scheduled run finds nothing new.
        let again = try cluster.run(bakeJob)
        #expect(again.finished.succeeded && again.finished.standardOutput.hasPrefix("already baked"), "\(again.finished.output)")
    }

    static func overlay(on base: String, values: [String: String], image: String) -> String {
        let slash = image.lastIndex(of: "/") ?? image.startIndex
        let colon = image[slash...].lastIndex(of: ":")
        let name = colon.map { String(image[..<$0]) } ?? image
        let tag = colon.map { String(image[image.index(after: $0)...]) } ?? "latest"
        return """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - \(base)
            configMapGenerator:
              - name: bbf-pipeline-settings
                behavior: merge
                literals:
            \(values.keys.sorted().map { "      - \($0)=\(values[$0] ?? "")" }.joined(separator: "\n"))
            images:
              - name: babelfish-dev-pipeline
                newName: \(name)
                newTag: "\(tag)"

            """
    }

    /// What the engine says it ran: the manifests' restrictions, and no socket.
    static func expectRestricted(_ run: MiniatureCluster.Run, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.user == "999:999", sourceLocation: sourceLocation)
        #expect(run.hostConfig["ReadonlyRootfs"] as? Bool == true, sourceLocation: sourceLocation)
        #expect(run.hostConfig["Privileged"] as? Bool == false, sourceLocation: sourceLocation)
        #expect((run.hostConfig["CapDrop"] as? [String]) == ["ALL"], sourceLocation: sourceLocation)
        #expect((run.hostConfig["SecurityOpt"] as? [String])?.contains("no-new-privileges") == true, sourceLocation: sourceLocation)
        #expect(run.hostConfig["NetworkMode"] as? String == "host", sourceLocation: sourceLocation)
        #expect(!run.mountSources.contains { $0.contains(".sock") }, "\(run.mountSources)", sourceLocation: sourceLocation)
    }
}
