/// A file the generator produces, with its rendered content.
public struct GeneratedFile: Equatable, Sendable {
    public var target: DockerfileTarget
    public var text: String
}

/// Renders the committed Dockerfiles.
public enum Generator {
    /// Every generated Dockerfile (optionally of one line only).
    public static func render(_ versions: Versions, line: String? = nil) throws(BuildToolError) -> [GeneratedFile] {
        var targets = versions.dockerfileTargets
        if let line {
            _ = try versions.line(named: line)
            targets = targets.filter { $0.line == line }
        }
        var files: [GeneratedFile] = []
        for target in targets {
            let renderer = try DockerfileRenderer(versions: versions, line: target.line, distribution: target.distribution)
            files.append(GeneratedFile(target: target, text: renderer.render()))
        }
        return files
    }

    /// Writes the files whose content changed; returns their paths (relative).
    @discardableResult
    public static func write(
        _ generated: [GeneratedFile], layout: RepositoryLayout, files: some RepositoryFiles
    ) throws(BuildToolError) -> [String] {
        var written: [String] = []
        for file in generated {
            let path = layout.path(file.target.path)
            if try files.read(path) != file.text {
                try files.write(path, file.text)
                written.append(file.target.path)
            }
        }
        return written
    }
}
