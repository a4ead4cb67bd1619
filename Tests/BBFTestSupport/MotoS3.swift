import BBFSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A real S3 API server on loopback (moto's server mode), with the
/// environment the AWS CLI needs to reach it. Stopped on deinit.
public final class MotoS3 {
    public let port: Int
    private let child: ChildProcess
    private let scratch: Scratch

    public init() throws {
        let moto = try TestTools.require("moto_server", install: "pip install 'moto[server]'")
        _ = try TestTools.require("aws", install: "pip install awscli (or apt-get install awscli)")
        scratch = try Scratch("bbf-moto-")
        port = try Network.freeLoopbackPort()
        let log = open(scratch.path + "/moto.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(log) }
        child = try ChildProcess.spawn(
            executable: moto, arguments: ["-H", "127.0.0.1", "-p", String(port)], environment: ProcessEnvironment.current(),
            stdin: .null, stdout: .descriptor(log), stderr: .descriptor(log), killWithParent: false)
        TestProcesses.adopt(child.pid)
        let port = self.port
        guard waitUntil(seconds: 30, every: 50, { Network.isListening(host: "127.0.0.1", port: port) }) else {
            child.send(SIGKILL)
            child.wait()
            throw TestSupportError("moto_server did not listen on port \(port)")
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

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Credentials moto accepts, and nothing of the caller's AWS setup.
    public var environment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
    }

    /// Runs the AWS CLI against this server.
    @discardableResult
    public func aws(_ arguments: [String]) throws -> String {
        let aws = try TestTools.require("aws", install: "pip install awscli")
        var environment = ProcessEnvironment.current()
        environment.merge(self.environment) { $1 }
        let result = try Command.run(aws, ["--endpoint-url", endpoint] + arguments, environment: environment)
        guard result.status.isSuccess else {
            throw TestSupportError("aws \(arguments.joined(separator: " ")) \(result.status): \(result.standardError)")
        }
        return result.standardOutput
    }

    public func makeBucket(_ name: String) throws { try aws(["s3", "mb", "s3://\(name)"]) }

    /// The object keys under `prefix`.
    public func keys(bucket: String, prefix: String = "") throws -> [String] {
        let text = try aws(["s3", "ls", "--recursive", "s3://\(bucket)/\(prefix)"])
        return text.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }
        .sorted()
    }
}
