import BBFContainer
import BBFProcess
import BBFSystem
import BBFTestSupport
import Foundation
import TDSClient

#if canImport(Glibc)
    import Glibc
#endif

/// The part of a daily snapshot a developer waits for, measured on real
/// components: the bake's push to a registry that already holds the engine
/// layers, `docker pull` of the new snapshot on a machine that already has the
/// engine image, and the first `docker run` with a new named volume (the engine
/// copies the image's data directory into the volume, then the entrypoint boots
/// it as an existing cluster).
struct DeveloperSide {
    var docker: String
    var environment: [String: String]
    var registry: String
    var engineBase: String
    /// Debian's docker-registry on loopback (plain HTTP), the one the tests use;
    /// it ends with this value, or at exit (also on fail()'s).
    private let server: LocalRegistry

    /// Starts the registry and pushes the engine image there with docker, so
    /// that what follows measures a day's snapshot rather than the first download.
    init(engineImage: String, docker: String) throws {
        self.docker = docker
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_CLI_HINTS"] = "false"
        self.environment = environment
        server = try LocalRegistry()
        registry = server.host
        engineBase = registry + "/bench-engine:base"
        // docker push, not skopeo: Docker skips a pull whose image it already has
        // (so it would learn nothing), but records each layer's registry digest when
        // it pushes, as when a developer pulled the engine from the registry.
        try Self.check(ToolProcess.run(docker, ["tag", engineImage, engineBase], environment: environment))
        try Self.check(ToolProcess.run(docker, ["push", "-q", engineBase], environment: environment))
    }

    /// Untags what the bench pulled from the registry (the layers stay while
    /// the engine image uses them); the registry itself ends with this value.
    func stop() {
        let listed = try? ToolProcess.run(docker, ["images", "--format", "{{.Repository}}:{{.Tag}}"], environment: environment)
        let pulled = (listed?.output ?? "").split(separator: "\n").map(String.init).filter { $0.hasPrefix(registry + "/") }
        if !pulled.isEmpty { _ = try? ToolProcess.run(docker, ["rmi"] + pulled, environment: environment) }
    }

    /// The figures of one snapshot `image` (already pushed by the bake).
    struct Figures {
        var pull: Double
        var layersPulled: Int
        var layersPresent: Int
        var pulledBytes: Double
        var volumeCopy: Double
        var emptyRun: Double
        var firstAnswer: Double
        var healthy: Double?
    }

    func measure(image: String, login: String, password: String, dataDirectory: String) throws -> Figures {
        let reference = registry + "/" + image
        let pullStarted = Date()
        let pulling = try ToolProcess.run(docker, ["pull", reference], environment: environment)
        let pull = Date().timeIntervalSince(pullStarted)
        try Self.check(pulling)
        let progress = pulling.output.split(separator: "\n")
        let pulled = try layerBytes(reference) - layerBytes(engineBase)

        // The copy alone: a container that mounts a new volume and exits, against
        // the same on the engine image, whose data directory is empty.
        let emptyRun = try runTrue(engineBase, dataDirectory: dataDirectory)
        let volumeCopy = try runTrue(reference, dataDirectory: dataDirectory)

        // What a developer does: run with a new volume, wait for TDS, then healthy.
        let name = "bench-dev-\(getpid())"
        let volume = "bench-volume-\(getpid())"
        let port = try Network.freeLoopbackPort()
        let engine = Engine(kind: .docker, executable: docker, environment: environment)
        defer {
            try? engine.remove(name, force: true)
            try? engine.volumeRemove(volume)
        }
        var spec = ContainerSpec(name: name, image: reference)
        spec.volumes = [.init(volume: volume, path: dataDirectory)]
        spec.ports = [.init(hostAddress: "127.0.0.1", hostPort: port, containerPort: 1433)]
        let timing = try StartTiming.measure(engine: engine, spec: spec) {
            (try? TDSConnection(host: "127.0.0.1", port: port, user: login, password: password, application: "bench").execute("SELECT 1"))
                != nil
        }
        return Figures(
            pull: pull, layersPulled: progress.filter { $0.hasSuffix("Pull complete") }.count,
            layersPresent: progress.filter { $0.hasSuffix("Already exists") }.count, pulledBytes: pulled, volumeCopy: volumeCopy,
            emptyRun: emptyRun, firstAnswer: timing.firstAnswer, healthy: timing.healthy)
    }

    /// Seconds for `docker run --rm` of /bin/true with a new named volume on PGDATA.
    private func runTrue(_ reference: String, dataDirectory: String) throws -> Double {
        let volume = "bench-copy-\(getpid())"
        defer { _ = try? ToolProcess.run(docker, ["volume", "rm", "-f", volume], environment: environment) }
        let started = Date()
        try Self.check(
            ToolProcess.run(
                docker, ["run", "--rm", "--entrypoint", "/bin/true", "-v", "\(volume):\(dataDirectory)", reference],
                environment: environment))
        return Date().timeIntervalSince(started)
    }

    /// The compressed size of an image's layers, as the registry serves them.
    private func layerBytes(_ reference: String) throws -> Double {
        let result = try ToolProcess.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://" + reference])
        try Self.check(result)
        guard let manifest = try JSONSerialization.jsonObject(with: result.standardOutput) as? [String: Any],
            let layers = manifest["layers"] as? [[String: Any]]
        else { throw BenchError("\(reference): no layers in its manifest") }
        return layers.compactMap { ($0["size"] as? NSNumber)?.doubleValue }.reduce(0, +)
    }

    private static func check(_ result: ToolResult) throws {
        guard result.succeeded else {
            throw BenchError("\(result.executable) \(result.arguments.joined(separator: " ")): \(result.standardError)")
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
