import ArgumentParser
import BBFBuild
import BBFSystem

@main
struct BBF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bbf",
        abstract: "Build tool for the Babelfish engine image: versions.json → generated Dockerfiles, validated bumps, image builds.",
        discussion: "Run it from the repository (or pass --root). See docs/BUILDING.md.",
        subcommands: [
            DockerfileCommand.self, CheckCommand.self, BumpCommand.self, PinCommand.self, BuildCommand.self, FormatCommand.self,
            BackupCommand.self, BakeCommand.self,
            DevCommand.self, ConformanceCommand.self,
        ])
}

struct RepositoryOptions: ParsableArguments {
    @Option(
        help: "The repository root (default: the nearest directory at or above the current one holding versions.json and Package.swift).")
    var root: String?

    func validate() throws {
        if let root, !FileSystem.isDirectoryFollowingLinks(root) {
            throw ValidationError("--root \(root) is not a directory: pass the repository root (the directory holding versions.json).")
        }
    }

    func tool() throws -> Tool<LiveRepositoryFiles> {
        if let root {
            return Tool(layout: RepositoryLayout(root: root), files: LiveRepositoryFiles())
        }
        guard let here = Console.currentDirectory(), let layout = RepositoryLayout.find(from: here, exists: FileSystem.exists) else {
            throw fail(
                BuildToolError(
                    .invalidArgument,
                    "no versions.json and Package.swift here or above: run bbf inside the repository, or pass --root PATH."))
        }
        return Tool(layout: layout, files: LiveRepositoryFiles())
    }
}

/// Prints the error (what failed and what to do) and exits non-zero.
func fail(_ error: BuildToolError) -> ExitCode {
    Console.error("error: \(error)")
    return ExitCode(1)
}

/// Runs `body`, turning a `BuildToolError` into its message and exit status 1.
func reporting<T>(_ body: () throws(BuildToolError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw fail(error)
    }
}
