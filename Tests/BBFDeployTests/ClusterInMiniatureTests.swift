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

/// Any image with a POSIX shell and coreutils (the plain engine image CI builds will do).
let probeImage = [pipelineImage, engineImage, ProcessEnvironment.current()["BBF_TEST_PLAIN_ENGINE_IMAGE"]].compactMap { $0 }.first {
    !$0.isEmpty
}

@Suite(
    "The reproduction is faithful: inside the container, what the manifests promise",
    .serialized,
    .enabled(
        if: probeImage != nil, "needs an image with /bin/sh: BBF_TEST_PIPELINE_IMAGE, BBF_TEST_ENGINE_IMAGE or BBF_TEST_PLAIN_ENGINE_IMAGE"),
    .enabled(if: DockerEngine.available != nil, Comment(rawValue: DockerEngine.reason)),
    .enabled(if: getuid() == 0, "needs root: the Secrets' files are written root:fsGroup as the kubelet writes them"))
struct ReproductionTests {
    @Test(
        "The bake's pod, its command swapped for a probe: uid 999 in group 999, read-only root, capped writable tmpfs volumes, the Secret's file root:999 0440, no capabilities, no new privileges, seccomp on, no engine socket"
    )
    func probe() throws {
        let docker = try #require(DockerEngine.available)
        let image = try #require(probeImage)
        let manifests = try skippingIfMissing { try RenderedManifests(yaml: try Deployment.renderOverlay("local")) }
        let settings = try manifests.settings()
        var job = try manifests.cronJob("bbf-bake")
        job.spec.jobTemplate.spec.template.spec.containers[0].image = image
        job.spec.jobTemplate.spec.template.spec.containers[0].command = ["/bin/sh", "-c", Self.probe]
        job.spec.jobTemplate.spec.template.spec.containers[0].args = []
        let scratch = try Scratch()
        let cluster = MiniatureCluster(
            docker: docker, scratch: scratch,
            state: ClusterState(
                configMaps: [settings.metadata.name: settings.data ?? [:]],
                secrets: [
                    "bbf-aws-credentials": ["AWS_ACCESS_KEY_ID": "probe-id", "AWS_SECRET_ACCESS_KEY": "probe-secret"],
                    "bbf-login-passwords": ["passwords": "*=Probe-1\n"], "bbf-registry-auth": [".dockerconfigjson": #"{"auths":{}}"#],
                ]))
        let run = try cluster.run(job, timeoutSeconds: 120)
        try #require(run.finished.succeeded, "\(run.finished.output)")
        let facts = Dictionary(
            run.finished.standardOutput.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let equals = line.firstIndex(of: "=") else { return nil }
                return (String(line[..<equals]), String(line[line.index(after: equals)...]))
            }
        ) { $1 }
        #expect(facts["uid"] == "999" && facts["groups"]?.split(separator: " ").contains("999") == true, "\(facts)")
        #expect(facts["rootfs"] == "read-only" && facts["work"] == "writable" && facts["tmp"] == "writable", "\(facts)")
        #expect(facts["work-kb"] == String(8 * 1024 * 1024) && facts["shm-kb"] == String(256 * 1024), "tmpfs at the sizeLimit: \(facts)")
        #expect(facts["passwords"] == "440 0 999 readable", "\(facts)")
        #expect(facts["registry"] == "440 0 999 readable", "\(facts)")
        #expect(facts["post-restore"] == "empty", "an absent optional ConfigMap is an empty directory: \(facts)")
        #expect(facts["CapEff"] == "0000000000000000" && facts["NoNewPrivs"] == "1" && facts["Seccomp"] == "2", "\(facts)")
        #expect(facts["socket"] == "none" && facts["home"] == "/work" && facts["tmpdir"] == "/work/tmp", "\(facts)")
        #expect(facts["repository"] == settings.data?["BBF_TARGET_REPOSITORY"], "\(facts)")
        #expect(facts["aws-secret"] == "set", "\(facts)")
        ClusterInMiniatureTests.expectRestricted(run)
    }

    static let probe = #"""
        echo "uid=$(id -u)"; echo "groups=$(id -G)"
        if touch /probe 2>/dev/null; then echo rootfs=writable; else echo rootfs=read-only; fi
        touch /work/probe && echo work=writable; touch /work/tmp/probe && echo tmp=writable
        echo "work-kb=$(df -k /work | awk 'NR==2 {print $2}')"; echo "shm-kb=$(df -k /dev/shm | awk 'NR==2 {print $2}')"
        for f in passwords:/secrets/logins/passwords registry:/secrets/registry/config.json; do
            path=${f#*:}; if head -c1 "$path" >/dev/null 2>&1; then r=readable; else r=unreadable; fi
            echo "${f%%:*}=$(stat -L -c '%a %u %g' "$path") $r"
        done
        if [ -z "$(ls -A /post-restore)" ]; then echo post-restore=empty; else echo post-restore=files; fi
        grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -d ' \t' | tr ':' '='
        if ls /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock >/dev/null 2>&1; then echo socket=present; else echo socket=none; fi
        echo "home=$HOME"; echo "tmpdir=$TMPDIR"; echo "repository=$BBF_TARGET_REPOSITORY"
        if [ -n "$AWS_SECRET_ACCESS_KEY" ]; then echo aws-secret=set; fi
        """#
}
