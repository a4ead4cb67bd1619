import BBFProcess
import BBFSystem

/// Fetches a URL into a file. The live one runs curl; tests use a fake.
public protocol Downloader {
    func download(_ url: String, to path: String) throws(BuildToolError)
}

/// Computes a file's sha256 (a protocol so tests need no files).
public protocol FileHasher {
    func sha256(ofFile path: String) throws(BuildToolError) -> String
    func exists(_ path: String) -> Bool
}

/// What `bbf pin` should do.
public struct PinRequest: Equatable, Sendable {
    /// Lines to pin; every line when empty.
    public var lines: [String]
    /// Record `localArchiveSha256` from the archives in this directory instead of downloading.
    public var localArchives: String?
    /// Keep downloaded archives here (usable later as `bbf build --sources DIR`).
    public var downloadDirectory: String
    /// Re-download and re-check archives whose sha256 is already pinned.
    public var force: Bool

    public init(lines: [String] = [], localArchives: String? = nil, downloadDirectory: String, force: Bool = false) {
        self.lines = lines
        self.localArchives = localArchives
        self.downloadDirectory = downloadDirectory
        self.force = force
    }
}

public struct PinResult: Equatable, Sendable {
    public var versions: Versions
    /// "line 5.2: BABEL_5_2_0__PG_17_5.tar.gz sha256 3f2a..." per recorded checksum.
    public var recorded: [String]
    /// Files already pinned and left alone.
    public var skipped: [String]
}

/// `bbf pin`: fills in checksums from real bytes, never from guesses.
public enum Pin {
    public static func run(
        _ request: PinRequest, versions: Versions, downloader: some Downloader, hasher: some FileHasher,
        progress: (String) -> Void = { _ in }
    ) throws(BuildToolError) -> PinResult {
        var result = versions
        var recorded: [String] = []
        var skipped: [String] = []
        let names = request.lines.isEmpty ? versions.lineNames : request.lines
        for name in names {
            var line = try versions.line(named: name)
            for source in versions.sources(for: line) {
                var checksum = line.checksums[source.file] ?? Checksum()
                if let directory = request.localArchives {
                    let path = directory + "/" + source.file
                    guard hasher.exists(path) else {
                        throw BuildToolError(
                            .sourceVerification,
                            "\(path) does not exist: the directory must hold \(versions.sources(for: line).map(\.file).joined(separator: ", "))."
                        )
                    }
                    let digest = try hasher.sha256(ofFile: path)
                    if let known = checksum.localArchiveSha256, known != digest, !request.force {
                        throw BuildToolError(
                            .sourceVerification,
                            "\(path) has sha256 \(digest), but versions.json records \(known) for the local archive; pass --force to replace it if this archive is the one to trust."
                        )
                    }
                    checksum.localArchiveSha256 = digest
                    recorded.append("line \(name): \(source.file) localArchiveSha256 \(digest) (from \(path))")
                } else {
                    if checksum.sha256 != nil && !request.force {
                        skipped.append("line \(name): \(source.file)")
                        continue
                    }
                    let path = request.downloadDirectory + "/" + source.file
                    progress("downloading \(source.url)")
                    try downloader.download(source.url, to: path)
                    let digest = try hasher.sha256(ofFile: path)
                    if let known = checksum.sha256, known != digest {
                        throw BuildToolError(
                            .sourceVerification,
                            "\(source.url) now has sha256 \(digest), but versions.json pins \(known): the upstream archive changed. Find out why before trusting it; versions.json was not changed."
                        )
                    }
                    checksum.sha256 = digest
                    recorded.append("line \(name): \(source.file) sha256 \(digest)")
                }
                line.checksums[source.file] = checksum
            }
            result.lines[name] = line
        }
        return PinResult(versions: result, recorded: recorded, skipped: skipped)
    }
}

/// Downloads with curl, its errors on the terminal.
public struct CurlDownloader: Downloader {
    public var curl: String

    public init(curl: String) {
        self.curl = curl
    }

    public func download(_ url: String, to path: String) throws(BuildToolError) {
        let status: ProcessStatus
        do {
            try FileSystem.createDirectory(FileSystem.parent(of: path))
            status = try ProcessRunner.stream(
                curl, ["--fail", "--location", "--show-error", "--retry", "3", "--output", path, url])
        } catch {
            throw BuildToolError(.download, "cannot run \(curl) to download \(url): \(error)")
        }
        guard status.isSuccess else {
            throw BuildToolError(
                .download,
                "curl \(status) downloading \(url) (its message is above); check the URL in versions.json sources and your network.")
        }
    }
}

/// Hashes files on disk with `ArchiveDigest`, streaming.
public struct LiveFileHasher: FileHasher {
    public init() {}

    public func sha256(ofFile path: String) throws(BuildToolError) -> String {
        do {
            return try ArchiveDigest.sha256(ofFileAt: path)
        } catch {
            throw BuildToolError(.fileSystem, "cannot read \(path): \(error)")
        }
    }

    public func exists(_ path: String) -> Bool {
        FileSystem.isRegularFileFollowingLinks(path)
    }
}
