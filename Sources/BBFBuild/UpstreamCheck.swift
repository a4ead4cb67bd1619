import BBFProcess

/// What asking upstream for an archive found.
public enum UpstreamAnswer: Equatable, Sendable {
    /// The server has it.
    case exists
    /// The server says there is no such archive (e.g. "HTTP 404").
    case missing(String)
    /// No answer either way (no network, a host that does not resolve, a server error...).
    case unknown(String)
}

/// Asks whether an archive URL exists (a protocol so the bump logic can be tested without a network).
public protocol UpstreamProbe {
    func probe(_ url: String) -> UpstreamAnswer
}

/// Asks with curl: a GET of the first byte (`--range 0-0`; release downloads
/// are signed redirects that refuse HEAD), redirects followed, short time limits.
public struct CurlProbe: UpstreamProbe {
    /// curl's path; nil when it is not installed.
    public var curl: String?
    public var environment: [String: String]
    /// Seconds for the whole request.
    public var timeout: Int

    public init(curl: String?, environment: [String: String], timeout: Int = 15) {
        self.curl = curl
        self.environment = environment
        self.timeout = timeout
    }

    public func probe(_ url: String) -> UpstreamAnswer {
        guard let curl else { return .unknown("curl is not on PATH") }
        let arguments = [
            "--silent", "--show-error", "--location", "--range", "0-0", "--output", "/dev/null", "--write-out", "%{http_code}",
            "--connect-timeout", "5", "--max-time", String(timeout), url,
        ]
        do {
            let result = try ProcessRunner.run(curl, arguments, environment: environment, timeout: Double(timeout + 5))
            return Self.answer(result)
        } catch {
            return .unknown("cannot run \(curl): \(error)")
        }
    }

    /// What curl's result means.
    public static func answer(_ result: ProcessResult) -> UpstreamAnswer {
        guard result.status.isSuccess, !result.timedOut else {
            let said = result.standardError.trimmed()
            return .unknown(said.isEmpty ? "curl \(result.status)" : said)
        }
        switch result.standardOutput.trimmed() {
        case "200", "206": return .exists
        case "404", "410": return .missing("HTTP \(result.standardOutput.trimmed())")
        case let code: return .unknown("HTTP \(code)")
        }
    }
}

extension Bump {
    /// What upstream says about the archives a bump introduced: remarks to
    /// print, or a refusal when one of them does not exist.
    public static func checkUpstream(
        _ result: BumpResult, line name: String, probe: some UpstreamProbe
    ) throws(BuildToolError) -> [String] {
        guard let line = result.versions.lines[name] else { return [] }
        var remarks: [String] = []
        for source in result.versions.sources(for: line) where result.newFiles.contains(source.file) {
            let what: String
            switch source.role {
            case .release, .engine: what = "tag \(line.engineTag) (PostgreSQL \(line.postgres), Babelfish \(line.babelfish))"
            case .extensions: what = "tag \(line.extensionsTag) (Babelfish \(line.babelfish))"
            case .antlr: what = "ANTLR \(line.antlr)"
            case .pgHintPlan: what = "pg_hint_plan \(line.pgHintPlan)"
            case .postgis: what = "PostGIS \(line.postgis)"
            }
            switch probe.probe(source.url) {
            case .exists:
                remarks.append("upstream has \(source.file) (\(source.url))")
            case .missing(let answer):
                throw BuildToolError(
                    .refusedBump,
                    "bbf bump refused: \(source.url) answers \(answer): there is no such archive upstream, so \(what) does not seem to exist. Check the versions; if the tag is not published yet, pass --no-verify-upstream. Nothing was changed."
                )
            case .unknown(let reason):
                remarks.append(
                    "could not verify that \(what) exists: \(source.url) gave no answer (\(reason)). Check it is published before building, and run bbf pin --line \(name) when online."
                )
            }
        }
        return remarks
    }
}
