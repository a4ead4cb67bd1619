import ArgumentParser
import BBFContainer
import BBFPipeline
import Foundation

struct BakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bake",
        abstract: "Restore the newest DEV backup into a fresh cluster and publish it as a data-loaded image, without a Docker daemon.",
        discussion: """
            Runs where the engine's binaries are (the pipeline image): initializes a cluster with bbf-entrypoint's \
            own first boot, restores roles and data in parallel, verifies them against the backup's manifest, sets \
            local passwords, runs --post-restore scripts, and adds the cleanly stopped data directory as one layer \
            on --base-image. Dated tags are pushed before latest. Prints the image digest. See docs/PIPELINE.md.
            """)

    @Option(help: "The backup: s3://BUCKET/PREFIX/ (newest complete), an s3:// archive, a directory, or a .tar.gz file.") var from: String
    @Option(help: "The engine image the data goes on (registry reference, oci:DIR:NAME or docker-daemon:REF).") var baseImage: String
    @Option(help: "A reference to publish (repeatable; e.g. REGISTRY/babelfish-dev-data:2026-12-01 and :latest).") var tag: [String] = []
    @Option(help: "Publish REPOSITORY:<the backup's UTC time> and then REPOSITORY:latest (repeatable).") var datedTag: [String] = []
    @Flag(help: "Log in to the ECR registries of the tags and base image with the AWS credentials (aws ecr get-login-password).")
    var ecrLogin = false
    @Flag(help: "Load into the local engine (docker-daemon:; podman with BBF_CONTAINER_ENGINE=podman) instead of pushing.") var load = false
    @Option(help: "Write the image to an OCI layout directory instead of pushing.") var ociLayout: String?
    @Flag(help: "Talk plain HTTP / skip TLS verification to the registry (test registries only).") var noTlsVerify = false
    @Option(help: "Registry credentials (auth.json / Docker config.json format; default: skopeo's usual places).") var registryAuthFile:
        String?
    @Option(help: "Local passwords: one for every login, or login=password lines (*=default). Never stored in the image.")
    var loginPasswordFile: String
    @Option(help: "Where the passwords come from, recorded in the image's labels (never the values).") var passwordSource: String?
    @Option(help: "Run this directory's *.sql (libpq) and *.tsql (TDS, GO batches) after the restore, in name order.") var postRestore:
        String?
    @Option(help: "Accept pg_restore errors matching this regular expression (repeatable).") var allowRestoreError: [String] = []
    @Option(help: "Parallel restore jobs (default: the cores this process may use, within a cgroup CPU limit).") var jobs: Int?
    @Option(help: "Where to restore and build (default: TMPDIR or /tmp); needs room for the data directory twice.") var workDir: String?
    @Option(help: "The engine's bin directory (default: where postgres is on PATH).") var bin: String?
    @Option(help: "bbf-entrypoint to initialize the cluster with (default: beside bbf, else PATH).") var entrypoint: String?
    @Flag(help: "The backup and engine are plain PostgreSQL without Babelfish (for trying the pipeline).") var plainPostgres = false
    @Flag(help: "Bake even when the first tag already holds this backup on this base image.") var force = false
    @Flag(help: "Keep the WAL of the clean shutdown (by default pg_resetwal drops what a clean start does not need).") var keepWal = false
    @Option(
        help:
            "The data layer's compression: gzip (every engine pulls it) or zstd (Docker 23+, containerd 1.5+, podman 4+; the image becomes OCI format, whose config podman reads without HEALTHCHECK)."
    ) var layerCompression: LayerCompressionArgument = .gzip
    @Flag(help: "Print only errors and the result.") var quiet = false

    func validate() throws {
        if ociLayout == nil && tag.isEmpty && datedTag.isEmpty {
            throw ValidationError("give at least one --tag or --dated-tag (or --oci-layout DIR).")
        }
        for repository in datedTag where ImageReferenceSyntax.parts(repository)?.tag != nil || ImageReferenceSyntax.parts(repository) == nil
        {
            throw ValidationError("--dated-tag \(repository): give a repository without a tag, e.g. REGISTRY/babelfish-dev-data.")
        }
        if load && ociLayout != nil { throw ValidationError("--load and --oci-layout exclude each other.") }
        if load && layerCompression == .zstd {
            throw ValidationError(
                "--layer-compression zstd is for a registry (it makes the pull smaller); --load puts the image straight into the local engine: leave the layer gzip."
            )
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs \(jobs): give 1 or more.") }
        for pattern in allowRestoreError where (try? NSRegularExpression(pattern: pattern)) == nil {
            throw ValidationError("--allow-restore-error \(pattern) is not a regular expression.")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let log = PipelineLog(command: "bbf bake", quiet: quiet)
        do {
            let source = try StorageLocation.parse(from, flag: "--from") { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            }
            let base: ImageLocation
            var tags: [ImageLocation] = []
            do {
                base = try ImageLocation.parse(baseImage, flag: "--base-image")
                for value in tag { tags.append(try ImageLocation.parse(value, flag: "--tag")) }
            } catch {
                throw PipelineError(.invalidArgument, error.message)
            }
            var options = BakeOptions(
                source: source, baseImage: base, tags: tags, passwordFile: loginPasswordFile,
                jobs: jobs ?? Cores.available())
            options.output = ociLayout.map { .layout($0) } ?? (load ? .load : .push)
            options.datedRepositories = datedTag
            options.ecrLogin = ecrLogin
            options.tlsVerify = !noTlsVerify
            options.registryAuthFile = registryAuthFile
            options.passwordSource = passwordSource
            options.postRestoreDirectory = postRestore
            options.allowedRestoreErrors = allowRestoreError
            options.workDirectory = workDir
            options.binDirectory = bin
            options.entrypoint = entrypoint
            options.plainPostgres = plainPostgres
            options.force = force
            options.keepWAL = keepWal
            options.zstdLayer = layerCompression == .zstd
            let outcome = try BakeRunner(options: options, environment: environment, log: log).run()
            switch outcome.result {
            case .alreadyBaked(let tag):
                print("already baked: \(tag) holds \(outcome.archive)")
            case .baked(let digest, let tags):
                log.info(
                    "baked \(outcome.archive) into \(tags.joined(separator: ", ")) in \(PipelineLog.duration(outcome.figures["total.seconds"] ?? 0))"
                )
                print(digest)
            }
        } catch {
            // An interruption makes the running tool fail: let its handler finish undoing and exit.
            Interruption.shared.parkIfInterrupted()
            FileHandle.standardError.write(Data("bbf bake: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `--layer-compression`.
enum LayerCompressionArgument: String, ExpressibleByArgument, CaseIterable {
    case gzip
    case zstd
}
