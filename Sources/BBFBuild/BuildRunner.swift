import BBFProcess
import BBFSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a plan's build command with its output streamed to this terminal.
public enum BuildRunner {
    /// Runs the build; throws when it fails, after the engine's own output.
    public static func run(_ plan: BuildPlan, environment: [String: String]) throws(BuildToolError) {
        let command = plan.command
        var childEnvironment = environment
        for (key, value) in plan.environment { childEnvironment[key] = value }
        let status: ProcessStatus
        do {
            status = try ProcessRunner.stream(command[0], Array(command.dropFirst()), environment: childEnvironment)
        } catch {
            throw BuildToolError(.containerEngine, "cannot start \(command[0]): \(error)")
        }
        guard status.isSuccess else {
            var message = "\(plan.engine.kind.rawValue) build \(status); its output is above (the failing step is the last one it printed)."
            if plan.engine.kind == .docker {
                message +=
                    " If it says BuildKit or buildx is missing: install the docker buildx plugin, or pass --engine with a docker client that has BuildKit built in (20.10-22.x), or use podman."
            }
            throw BuildToolError(.containerEngine, message)
        }
    }

    /// Checks that the build produced its first tag (an engine killed by a
    /// signal can still exit 0); returns the image size in bytes when known.
    public static func verifyImage(_ plan: BuildPlan, environment: [String: String]) throws(BuildToolError) -> Int? {
        guard let reference = plan.tags.first else { return nil }
        let result: ProcessResult
        do {
            result = try ProcessRunner.run(
                plan.engine.path, ["image", "inspect", "--format", "{{.Size}}", reference], environment: environment)
        } catch {
            throw BuildToolError(.containerEngine, "cannot run \(plan.engine.path) image inspect: \(error)")
        }
        guard result.status.isSuccess else {
            throw BuildToolError(
                .containerEngine,
                "\(plan.engine.kind.rawValue) build reported success, but there is no image \(reference): the build did not finish (was it interrupted?). Run bbf build again."
            )
        }
        return Int(result.standardOutput.trimmed())
    }

    /// The image's layers, newest first, as the engine's `history` reports them
    /// (empty when it cannot say: the summary then shows only the total).
    public static func layers(_ plan: BuildPlan, environment: [String: String]) -> [ImageLayerSize] {
        guard let reference = plan.tags.first,
            let result = try? ProcessRunner.run(
                plan.engine.path, ["history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", reference],
                environment: environment),
            result.status.isSuccess
        else { return [] }
        return ImageLayerSize.parse(history: result.standardOutput)
    }

    /// This repository's revision (`git rev-parse HEAD`, "-dirty" with local changes), or "unknown".
    public static func revision(of layout: RepositoryLayout, environment: [String: String]) -> String {
        func git(_ arguments: [String]) -> String? {
            guard let git = findExecutable("git", path: environment["PATH"]),
                let result = try? ProcessRunner.run(git, ["-C", layout.root] + arguments, environment: environment),
                result.status.isSuccess
            else { return nil }
            return result.standardOutput.trimmed()
        }
        guard let revision = git(["rev-parse", "--verify", "--quiet", "HEAD"]), !revision.isEmpty else { return "unknown" }
        let status = git(["status", "--porcelain", "--untracked-files=no"]) ?? ""
        return status.isEmpty ? revision : revision + "-dirty"
    }

    /// Docker's architecture name for this machine.
    public static func hostArchitecture() -> String {
        var names = utsname()
        uname(&names)
        var field = names.machine
        let size = MemoryLayout.size(ofValue: field)
        let machine = withUnsafePointer(to: &field) {
            $0.withMemoryRebound(to: CChar.self, capacity: size) { String(cString: $0) }
        }
        return BuildPlanner.architecture(ofMachine: machine)
    }
}

extension String {
    /// Without leading and trailing whitespace.
    func trimmed() -> String {
        var copy = Substring(self)
        while let first = copy.first, first.isWhitespace { copy.removeFirst() }
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return String(copy)
    }
}

/// One layer of a built image: its size and the instruction that made it.
public struct ImageLayerSize: Equatable, Sendable {
    public var bytes: Int
    public var createdBy: String

    public init(bytes: Int, createdBy: String) {
        self.bytes = bytes
        self.createdBy = createdBy
    }

    /// `<bytes>\t<created by>` lines of `docker history` / `podman history`; layers without content are left out.
    public static func parse(history: String) -> [ImageLayerSize] {
        history.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = Int(fields[0].trimmingWhitespace()), bytes > 0 else { return nil }
            return ImageLayerSize(bytes: bytes, createdBy: fields.count > 1 ? String(fields[1]) : "")
        }
    }

    /// One line for the build summary: size in MB and the instruction, shortened
    /// (BuildKit's `/bin/sh -c` and `# buildkit` noise removed).
    public var summary: String {
        var text = createdBy.replacing("/bin/sh -c ", with: "").replacing(" # buildkit", with: "")
        // BuildKit writes a RUN's build arguments first: "|1 DEBIAN_FRONTEND=noninteractive set -eux; ...".
        if let arguments = text.firstMatch(of: /^RUN \|[0-9]+ (?:[A-Za-z_][A-Za-z0-9_]*=[^ ]* )*/) {
            text = "RUN " + text[arguments.range.upperBound...]
        }
        text = String(text.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(90))
        if text.isEmpty { text = "(base image)" }
        let megabytes = Double(bytes) / 1_000_000
        let size = megabytes >= 10 ? "\(Int(megabytes.rounded()))" : "\(Double(Int(megabytes * 10)) / 10)"
        return "\(String(repeating: " ", count: max(0, 6 - size.count)))\(size) MB  \(text)"
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String { String(self).trimmed() }
}

/// The engine image against the anchor-like image of the same build
/// (`bbf build --compare-anchor`): totals, what each adds to the base image
/// they share, and the ratios.
public struct ImageSizeComparison: Equatable, Sendable {
    public var engine: Int
    public var anchorLike: Int
    /// The bytes of the oldest layers both images have (the runtime base image).
    public var sharedBase: Int
    /// The bytes of the anchor-like image's oldest layer (its base image, when that is one layer).
    public var anchorBase: Int?

    /// - Parameters:
    ///   - engineLayers, anchorLayers: newest first, as `BuildRunner.layers` gives them.
    public init(engine: Int, engineLayers: [ImageLayerSize], anchorLike: Int, anchorLayers: [ImageLayerSize]) {
        self.engine = engine
        self.anchorLike = anchorLike
        var shared = 0
        for (mine, theirs) in zip(engineLayers.reversed(), anchorLayers.reversed()) {
            guard mine == theirs else { break }
            shared += mine.bytes
        }
        sharedBase = shared
        anchorBase = anchorLayers.last?.bytes
    }

    /// The engine image's size over the anchor-like image's.
    public var ratio: Double { anchorLike > 0 ? Double(engine) / Double(anchorLike) : 0 }

    /// The same, without the base image both are built on.
    public var ratioAboveBase: Double {
        anchorLike > sharedBase ? Double(engine - sharedBase) / Double(anchorLike - sharedBase) : 0
    }

    /// The summary lines `bbf build --compare-anchor` prints.
    public var lines: [String] {
        func megabytes(_ bytes: Int) -> String { "\(Int((Double(bytes) / 1_000_000).rounded())) MB" }
        func times(_ value: Double) -> String { String(format: "%.2f", value) }
        var lines = [
            "size comparison (same sources; the anchor-like compiled and packaged as docker-babelfishpg does, on the runtime base image):",
            "  engine image        \(megabytes(engine))",
            "  anchor-like image   \(megabytes(anchorLike))",
        ]
        if sharedBase > 0 {
            lines.append(
                "  engine / anchor-like: \(times(ratio))×; above the shared base image (\(megabytes(sharedBase))): \(megabytes(engine - sharedBase)) vs \(megabytes(anchorLike - sharedBase)), \(times(ratioAboveBase))×"
            )
        } else {
            var line = "  engine / anchor-like: \(times(ratio))×; they share no layer (a minimal engine image has no base image)"
            if let anchorBase, anchorLike > anchorBase {
                line +=
                    "; against the anchor-like without its base image's \(megabytes(anchorBase)): \(megabytes(engine)) vs \(megabytes(anchorLike - anchorBase)), \(times(Double(engine) / Double(anchorLike - anchorBase)))×"
            }
            lines.append(line)
        }
        return lines
    }
}
