import BBFSystem

/// The package the image's Swift stage builds bbf-entrypoint from: a manifest
/// of its own, `docker/entrypoint/Package.swift`, that lists only
/// bbf-entrypoint's targets and no package dependencies, next to those
/// targets' source directories. The image build resolves nothing, and bbf's
/// own dependencies (ArgumentParser, swift-crypto) never reach it.
public enum EntrypointPackage {
    /// The manifest, relative to the repository root.
    public static let manifest = "docker/entrypoint/Package.swift"

    /// bbf-entrypoint's targets (the directories under Sources/), dependencies first.
    public static let targets = [
        "CBBFSupport", "CLibPQ", "CSybDB", "BBFImage", "BBFSystem", "PostgresClient", "TDSClient", "BBFEntrypoint", "bbf-entrypoint",
    ]

    /// The package's files: where each is in the repository, and where it goes
    /// in the package (the manifest becomes Package.swift; directories end in /).
    public static var files: [(repository: String, package: String)] {
        [(manifest, "Package.swift")] + targets.map { ("Sources/\($0)/", "Sources/\($0)/") }
    }

    /// Where `stage` puts the files.
    public enum Layout: Sendable {
        /// As SwiftPM and the Swift stage see the package: Package.swift, Sources/...
        case package
        /// At their repository paths, as the Dockerfile copies them from a build context.
        case repository
    }

    /// Copies the package's files out of the repository into `directory` (created).
    public static func stage(from layout: RepositoryLayout, into directory: String, as placement: Layout = .package) throws(BuildToolError)
    {
        do {
            try FileSystem.createDirectory(directory)
            for file in files {
                let destination = placement == .package ? file.package : file.repository
                try BuildContext.copyTree(layout.path(file.repository), to: directory + "/" + destination)
            }
        } catch let error as BuildToolError {
            throw error
        } catch {
            throw BuildToolError(.fileSystem, "cannot stage the bbf-entrypoint package in \(directory): \(error)")
        }
    }
}
