import BBFProcess
import BBFSystem

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
