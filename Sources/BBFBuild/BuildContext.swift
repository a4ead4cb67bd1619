import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Assembles the build context a plan needs under .build/bbf/context/:
/// the Dockerfile, the line's patches, bbf-entrypoint's own package (its
/// manifest and its targets' sources, for the Swift stage), for the pipeline
/// target bbf's package (for bbf's Swift stage), and in air-gapped mode the
/// verified archives and the prebuilt entrypoint and bbf. Only what the
/// Dockerfile reads is sent to the engine.
public enum BuildContext {
    /// Stages the context; returns remarks to show (checksum results, warnings).
    public static func stage(_ plan: BuildPlan, layout: RepositoryLayout, hasher: some FileHasher) throws(BuildToolError) -> [String] {
        var remarks: [String] = []
        for staged in plan.sources {
            remarks.append(try verify(staged, line: plan.line, hasher: hasher))
        }
        for entrypoint in plan.entrypoints {
            try checkBinary(entrypoint, flag: "--entrypoint-binary")
        }
        for bbf in plan.bbfBinaries {
            try checkBinary(bbf, flag: "--bbf-binary")
        }
        let context = plan.contextDirectory
        do {
            try FileSystem.removeTree(context)
            try FileSystem.createDirectory(context)
            if plan.healthStartInterval {
                let text = try FileSystem.readText(layout.path(plan.dockerfile))
                try FileSystem.writeAtomically(context + "/Dockerfile", HealthcheckStartInterval.adding(to: text), permissions: 0o644)
            } else {
                try copyFile(layout.path(plan.dockerfile), to: context + "/Dockerfile")
            }
            try FileSystem.createDirectory(context + "/sources")
            try FileSystem.createDirectory(context + "/entrypoint")
            try FileSystem.createDirectory(context + "/bbf")
            try FileSystem.createDirectory(context + "/patches")
            for patch in plan.patches {
                try FileSystem.createDirectory(FileSystem.parent(of: context + "/" + patch))
                try copyFile(layout.path(patch), to: context + "/" + patch)
            }
            for staged in plan.sources {
                try linkOrCopy(staged.path, to: context + "/sources/" + staged.source.file)
            }
            for entrypoint in plan.entrypoints {
                try FileSystem.createDirectory(context + "/entrypoint/" + entrypoint.architecture)
                try copyFile(entrypoint.path, to: context + "/entrypoint/\(entrypoint.architecture)/bbf-entrypoint")
            }
            for bbf in plan.bbfBinaries {
                try FileSystem.createDirectory(context + "/bbf/" + bbf.architecture)
                try copyFile(bbf.path, to: context + "/bbf/\(bbf.architecture)/bbf")
            }
            // The Swift stages' packages, at their repository paths (the Dockerfile copies from there).
            try EntrypointPackage.stage(from: layout, into: context, as: .repository)
            if plan.target == .pipeline {
                try BBFPackage.stage(from: layout, into: context)
            }
        } catch let error as BuildToolError {
            throw error
        } catch {
            throw BuildToolError(.fileSystem, "cannot stage the build context in \(context): \(error)")
        }
        return remarks
    }

    /// Checks an archive against versions.json before the engine sees it.
    static func verify(_ staged: StagedSource, line: String, hasher: some FileHasher) throws(BuildToolError) -> String {
        let source = staged.source
        guard hasher.exists(staged.path) else {
            throw BuildToolError(
                .sourceVerification,
                "\(staged.path) is missing: the --sources directory must hold \(source.file) (the \(source.role.rawValue) archive of line \(line), from \(source.url))."
            )
        }
        let digest = try hasher.sha256(ofFile: staged.path)
        if digest == source.checksum.sha256 {
            return "sha256 OK: \(source.file) is the upstream archive"
        }
        if digest == source.checksum.localArchiveSha256 {
            return "sha256 OK: \(source.file) is the recorded local git-archive copy"
        }
        if source.checksum.isEmpty {
            return
                "WARNING: \(source.file) is NOT VERIFIED: versions.json has no checksum for it (its sha256 is \(digest)). Pin it with bbf pin --line \(line)."
        }
        throw BuildToolError(
            .sourceVerification,
            "\(staged.path) has sha256 \(digest), but versions.json lines[\"\(line)\"].checksums[\"\(source.file)\"] expects \(source.checksum.sha256 ?? "(none)") (upstream) or \(source.checksum.localArchiveSha256 ?? "(none)") (local archive). Use the right archive; never edit the checksum to match."
        )
    }

    static func checkBinary(_ binary: StagedBinary, flag: String) throws(BuildToolError) {
        let header: [UInt8]
        do {
            header = Array(try FileSystem.readBytes(binary.path).prefix(20))
        } catch {
            throw BuildToolError(.invalidArgument, "\(flag) \(binary.path): \(error)")
        }
        guard FileSystem.isExecutable(binary.path) else {
            throw BuildToolError(.invalidArgument, "\(flag) \(binary.path) is not executable.")
        }
        guard let architecture = ELFHeader.architecture(header) else {
            throw BuildToolError(.invalidArgument, "\(flag) \(binary.path) is not a Linux executable for amd64 or arm64.")
        }
        guard architecture == binary.architecture else {
            throw BuildToolError(
                .invalidArgument, "\(flag) \(binary.path) is built for \(architecture), but is given for \(binary.architecture).")
        }
    }

    private static func copyFile(_ source: String, to destination: String) throws {
        let mode = try FileSystem.info(source)?.permissions ?? 0o644
        try FileSystem.writeAtomically(destination, try FileSystem.readBytes(source), permissions: mode)
    }

    /// Hard-links large archives when they are on the same file system.
    private static func linkOrCopy(_ source: String, to destination: String) throws {
        if link(source, destination) == 0 { return }
        try copyFile(source, to: destination)
    }

    private static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// Copies a file, or a directory without .build/ and .swiftpm/; a missing source is an error.
    static func copyTree(_ source: String, to destination: String) throws {
        guard let info = try FileSystem.info(source) else {
            throw BuildToolError(.fileSystem, "\(source) does not exist (it is part of what the image build copies).")
        }
        switch info.kind {
        case .directory:
            try FileSystem.createDirectory(destination)
            for name in try FileSystem.contents(ofDirectory: source) where name != ".build" && name != ".swiftpm" {
                try copyTree(trimmed(source) + "/" + name, to: trimmed(destination) + "/" + name)
            }
        case .regular:
            try FileSystem.createDirectory(FileSystem.parent(of: destination))
            try copyFile(source, to: destination)
        case .symlink, .other:
            break
        }
    }
}

/// The architecture an ELF header is for.
public enum ELFHeader {
    /// "amd64" or "arm64" for a 64-bit little-endian ELF file of that machine, else nil.
    public static func architecture(_ header: [UInt8]) -> String? {
        guard header.count >= 20, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
            header[4] == 2, header[5] == 1
        else { return nil }
        switch UInt16(header[18]) | UInt16(header[19]) << 8 {
        case 62: return "amd64"
        case 183: return "arm64"
        default: return nil
        }
    }
}
