import BBFSystem

/// What the pipeline image's bbf Swift stage builds bbf from: the repository's
/// own package. SwiftPM checks that every target's directory exists, test
/// targets included, so `Tests/` (half a megabyte) comes too; only the bbf
/// product is compiled. Package.resolved is not copied: the repository keeps
/// none, and the stage resolves the manifest's version ranges afresh.
public enum BBFPackage {
    /// The package's files and directories (directories end in /), relative to the repository root.
    public static let files = ["Package.swift", "Sources/", "Tests/"]

    /// Copies them into `directory` at their repository paths (as the Dockerfile copies them from a build context).
    public static func stage(from layout: RepositoryLayout, into directory: String) throws(BuildToolError) {
        do {
            try FileSystem.createDirectory(directory)
            for file in files {
                try BuildContext.copyTree(layout.path(file), to: directory + "/" + file)
            }
        } catch let error as BuildToolError {
            throw error
        } catch {
            throw BuildToolError(.fileSystem, "cannot stage the bbf package in \(directory): \(error)")
        }
    }
}
