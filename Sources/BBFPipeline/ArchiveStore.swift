import BBFProcess
import Foundation

/// A place that holds backup archives and their records: a directory or an
/// S3 prefix. Names are plain file names (no slashes).
public protocol ArchiveStore {
    var description: String { get }
    /// Fails early, before a long dump, when the store cannot be used.
    func preflight() throws(PipelineError)
    func list() throws(PipelineError) -> [String]
    /// Publishes a local file under `name`; a reader never sees a partial one.
    func put(_ localPath: String, as name: String) throws(PipelineError)
    func get(_ name: String, to localPath: String) throws(PipelineError)
    func delete(_ name: String) throws(PipelineError)
    /// The full address of a name, for messages and image labels.
    func address(of name: String) -> String
}

/// Archives in a local directory. A put writes `.<name>.partial`, fsyncs and
/// renames it, so the name appears only when the file is whole.
public struct DirectoryStore: ArchiveStore {
    public var directory: String

    public init(directory: String) { self.directory = directory }

    public var description: String { directory }

    public func address(of name: String) -> String { directory + "/" + name }

    public func preflight() throws(PipelineError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PipelineError(.storage, "\(directory) is not a directory: create it first (mkdir -p \(directory))")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw PipelineError(.storage, "\(directory) is not writable by uid \(getuid()): fix its owner or mode")
        }
    }

    public func list() throws(PipelineError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw PipelineError(.storage, "cannot list \(directory): \(error.localizedDescription)")
        }
    }

    public func put(_ localPath: String, as name: String) throws(PipelineError) {
        let target = address(of: name)
        let partial = directory + "/." + name + ".partial"
        do {
            if localPath != partial {
                try? FileManager.default.removeItem(atPath: partial)
                try FileManager.default.copyItem(atPath: localPath, toPath: partial)
            }
            try Durable.sync(partial)
            guard rename(partial, target) == 0 else {
                throw PipelineError(.storage, "cannot rename \(partial) to \(target): \(String(cString: strerror(errno)))")
            }
            try Durable.sync(directory)
        } catch let error as PipelineError {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw PipelineError(.storage, "cannot write \(target): \(error.localizedDescription)")
        }
    }

    /// Where `put` stages `name`: write there directly to avoid a copy.
    public func stagingPath(for name: String) -> String { directory + "/." + name + ".partial" }

    public func get(_ name: String, to localPath: String) throws(PipelineError) {
        let source = address(of: name)
        guard FileManager.default.fileExists(atPath: source) else {
            throw PipelineError(.storage, "\(source) does not exist")
        }
        do {
            try? FileManager.default.removeItem(atPath: localPath)
            try FileManager.default.copyItem(atPath: source, toPath: localPath)
        } catch {
            throw PipelineError(.storage, "cannot copy \(source) to \(localPath): \(error.localizedDescription)")
        }
    }

    public func delete(_ name: String) throws(PipelineError) {
        do {
            try FileManager.default.removeItem(atPath: address(of: name))
        } catch {
            throw PipelineError(.storage, "cannot delete \(address(of: name)): \(error.localizedDescription)")
        }
    }
}

/// fsync of files and directories.
enum Durable {
    static func sync(_ path: String) throws(PipelineError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PipelineError(.fileSystem, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PipelineError(.fileSystem, "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }
}

/// Archives under an S3 prefix, through the AWS CLI: its credential chain
/// (environment, profiles, IAM roles for service accounts), its retries and
/// multipart uploads. An S3 object becomes visible only once its upload
/// completed, and the record goes up after the archive, so readers that go by
/// records never pick a partial upload.
public struct S3Store: ArchiveStore {
    public var bucket: String
    /// Ends with "/" or is empty.
    public var prefix: String
    public var aws: AWSCLI

    public init(bucket: String, prefix: String, aws: AWSCLI) {
        self.bucket = bucket
        self.prefix = prefix
        self.aws = aws
    }

    public var description: String { "s3://\(bucket)/\(prefix)" }

    public func address(of name: String) -> String { "s3://\(bucket)/\(prefix)\(name)" }

    public func preflight() throws(PipelineError) {
        try aws.run(["s3api", "head-bucket", "--bucket", bucket], doing: "check the bucket \(bucket)", bucket: bucket)
    }

    public func list() throws(PipelineError) -> [String] {
        let result = try aws.run(
            ["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--output", "json"],
            doing: "list \(description)", bucket: bucket)
        return try Self.names(inListing: result.standardOutput, prefix: prefix)
    }

    /// The file names directly under `prefix` in a list-objects-v2 answer. Pure.
    public static func names(inListing json: Data, prefix: String) throws(PipelineError) -> [String] {
        if json.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d }) { return [] }
        struct Listing: Decodable {
            struct Object: Decodable {
                var key: String
                enum CodingKeys: String, CodingKey { case key = "Key" }
            }
            var contents: [Object]?
            enum CodingKeys: String, CodingKey { case contents = "Contents" }
        }
        let listing = try PipelineJSON.decode(Listing.self, from: json, name: "the S3 listing")
        return (listing.contents ?? []).compactMap { object in
            guard object.key.hasPrefix(prefix) else { return nil }
            let name = String(object.key.dropFirst(prefix.count))
            return name.isEmpty || name.contains("/") ? nil : name
        }.sorted()
    }

    public func put(_ localPath: String, as name: String) throws(PipelineError) {
        try aws.run(["s3", "cp", "--only-show-errors", localPath, address(of: name)], doing: "upload \(address(of: name))", bucket: bucket)
    }

    public func get(_ name: String, to localPath: String) throws(PipelineError) {
        try aws.run(
            ["s3", "cp", "--only-show-errors", address(of: name), localPath], doing: "download \(address(of: name))", bucket: bucket)
    }

    public func delete(_ name: String) throws(PipelineError) {
        try aws.run(["s3", "rm", "--only-show-errors", address(of: name)], doing: "delete \(address(of: name))", bucket: bucket)
    }
}

/// The AWS CLI, found on PATH, with the endpoint of an S3-compatible store
/// passed on explicitly (older CLIs ignore `AWS_ENDPOINT_URL`).
public struct AWSCLI: Sendable {
    public var executable: String
    public var environment: [String: String]

    public init(environment: [String: String]) throws(PipelineError) {
        guard let executable = ToolProcess.find(environment["BBF_AWS_CLI"] ?? "aws", path: environment["PATH"]) else {
            throw PipelineError(
                .tool,
                "the AWS CLI (aws) is not on PATH: install it (apt-get install awscli, or pip install awscli), or set BBF_AWS_CLI to its path"
            )
        }
        self.executable = executable
        var environment = environment
        environment["AWS_PAGER"] = ""
        self.environment = environment
    }

    /// `--endpoint-url` from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.
    public var endpointArguments: [String] {
        guard let endpoint = environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"], !endpoint.isEmpty else { return [] }
        return ["--endpoint-url", endpoint]
    }

    @discardableResult
    func run(_ arguments: [String], doing action: String, bucket: String) throws(PipelineError) -> ToolResult {
        let result: ToolResult
        do {
            result = try ToolProcess.run(executable, endpointArguments + arguments, environment: environment)
        } catch {
            throw PipelineError(.tool, "cannot \(action): \(error)")
        }
        guard result.succeeded else {
            throw PipelineError(
                .storage, "cannot \(action): " + Self.explain(result.errorTail(lines: 6), bucket: bucket, endpoint: endpointArguments.last))
        }
        return result
    }

    /// Turns the AWS CLI's error text into what to do about it. Pure.
    public static func explain(_ stderr: String, bucket: String, endpoint: String?) -> String {
        let text = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let said = text.isEmpty ? "" : " (aws said: \(text.split(separator: "\n").last.map(String.init) ?? text))"
        if lower.contains("unable to locate credentials") || lower.contains("nocredentials") {
            return
                "no AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role (in Kubernetes: IAM roles for service accounts, which set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)."
        }
        if lower.contains("nosuchbucket") || (lower.contains("head") && (lower.contains("404") || lower.contains("not found"))) {
            return
                "the bucket \(bucket) does not exist (or is not visible to these credentials): create it, or fix the s3:// address.\(said)"
        }
        if lower.contains("accessdenied") || lower.contains("forbidden") || lower.contains("(403)") {
            return
                "access denied: the credentials need s3:ListBucket on \(bucket) and s3:GetObject, s3:PutObject, s3:DeleteObject under the prefix.\(said)"
        }
        if lower.contains("invalidaccesskeyid") || lower.contains("signaturedoesnotmatch") || lower.contains("expiredtoken") {
            return
                "S3 rejected the credentials (unknown, wrong or expired key): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the role.\(said)"
        }
        if lower.contains("could not connect to the endpoint") || lower.contains("connection refused")
            || lower.contains("name or service not known")
        {
            return "S3 is not reachable\(endpoint.map { " at \($0)" } ?? ""): check the network and AWS_ENDPOINT_URL / AWS_REGION.\(said)"
        }
        if lower.contains("nosuchkey") || lower.contains("(404)") || lower.contains("does not exist") {
            return "no such object.\(said)"
        }
        return text.isEmpty ? "the AWS CLI failed without a message" : text
    }
}
