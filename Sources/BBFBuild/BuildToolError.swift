/// One problem found in versions.json: where, what, and how to fix it.
public struct ValidationIssue: Equatable, Sendable, CustomStringConvertible {
    public var path: JSONPath
    public var problem: String
    public var fix: String

    public init(_ path: JSONPath, _ problem: String, fix: String) {
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    public var description: String { "\(path): \(problem)\n    fix: \(fix)" }
}

/// The build tool's error: a stable code, a message that says what to do next,
/// and, for versions.json, every issue found.
public struct BuildToolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable error codes, for scripts and tests.
    public enum Code: String, Sendable {
        /// versions.json cannot be read or parsed.
        case unreadableVersions = "unreadable-versions"
        /// versions.json parsed but breaks the schema or its rules.
        case invalidVersions = "invalid-versions"
        /// A command-line value is wrong (unknown line, bad flag value...).
        case invalidArgument = "invalid-argument"
        /// `bbf bump` refused the new versions.
        case refusedBump = "refused-bump"
        /// A source archive is missing or does not match its checksum.
        case sourceVerification = "source-verification"
        /// A committed file differs from what the generator renders now.
        case drift = "drift"
        /// A file could not be read or written.
        case fileSystem = "file-system"
        /// A download failed.
        case download = "download"
        /// No container engine, or the engine failed.
        case containerEngine = "container-engine"
    }

    public var code: Code
    public var message: String
    public var issues: [ValidationIssue]

    public init(_ code: Code, _ message: String, issues: [ValidationIssue] = []) {
        self.code = code
        self.message = message
        self.issues = issues
    }

    public var description: String {
        var text = message
        for issue in issues {
            text += "\n  - \(issue)"
        }
        return text
    }
}
