import BBFSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A real image registry on loopback (Debian's docker-registry, plain HTTP),
/// storing into a scratch directory. Stopped on deinit.
public final class LocalRegistry {
    public let port: Int
    public let scratch: Scratch
    private let child: ChildProcess

    /// - Parameter readOnly: a registry in maintenance mode, which refuses every push.
    public init(readOnly: Bool = false) throws {
        let registry = try TestTools.require("docker-registry", install: "apt-get install docker-registry")
        scratch = try Scratch("bbf-registry-")
        port = try Network.freeLoopbackPort()
        let config = scratch.path + "/config.yml"
        try FileSystem.writeAtomically(
            config,
            """
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: \(scratch.path)/storage
              delete:
                enabled: true
              maintenance:
                readonly:
                  enabled: \(readOnly)
            http:
              addr: 127.0.0.1:\(port)
            """, permissions: 0o644)
        let log = open(scratch.path + "/registry.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(log) }
        child = try ChildProcess.spawn(
            executable: registry, arguments: ["serve", config], environment: ["PATH": "/usr/bin:/bin"], stdin: .null,
            stdout: .descriptor(log), stderr: .descriptor(log), killWithParent: false)
        TestProcesses.adopt(child.pid)
        let port = self.port
        guard waitUntil(seconds: 20, every: 20, { Network.isListening(host: "127.0.0.1", port: port) }) else {
            child.send(SIGKILL)
            child.wait()
            throw TestSupportError(
                "docker-registry did not listen on port \(port): \((try? FileSystem.readText(scratch.path + "/registry.log")) ?? "")")
        }
    }

    deinit {
        defer { TestProcesses.release(child.pid) }
        child.send(SIGTERM)
        if child.wait(timeoutMilliseconds: 5_000) == nil {
            child.send(SIGKILL)
            child.wait()
        }
    }

    /// `127.0.0.1:PORT`.
    public var host: String { "127.0.0.1:\(port)" }

    /// The layer and config blobs the registry stores (their digests).
    public func storedBlobs() throws -> Set<String> {
        let root = scratch.path + "/storage/docker/registry/v2/blobs/sha256"
        var result: Set<String> = []
        guard FileSystem.exists(root) else { return result }
        for prefix in try FileSystem.contents(ofDirectory: root) {
            for digest in try FileSystem.contents(ofDirectory: root + "/" + prefix) { result.insert("sha256:" + digest) }
        }
        return result
    }
}
