/// A requested version bump (the values as typed on the command line).
public struct BumpRequest: Equatable, Sendable {
    public var line: String
    public var postgres: String
    public var babelfish: String
    /// The ANTLR version; unchanged when nil.
    public var antlr: String?
    /// Start a new line as a copy of this one (distribution and source layout; no patches or checksums).
    public var from: String?
    /// The source layout; unchanged when nil.
    public var sourceLayout: SourceLayout?

    public init(
        line: String, postgres: String, babelfish: String, antlr: String? = nil, from: String? = nil, sourceLayout: SourceLayout? = nil
    ) {
        self.line = line
        self.postgres = postgres
        self.babelfish = babelfish
        self.antlr = antlr
        self.from = from
        self.sourceLayout = sourceLayout
    }
}

/// The outcome of a bump: the new versions and what changed.
public struct BumpResult: Equatable, Sendable {
    public var versions: Versions
    /// Human-readable changes ("postgres 17.5 → 17.6").
    public var changes: [String]
    /// Archive files whose checksums were dropped because the line no longer uses them.
    public var clearedChecksums: [String]
    /// Archive files the line now uses whose checksums are not known yet.
    public var unpinnedFiles: [String]
    /// Archive files the line did not use before (new versions: they may not exist upstream).
    public var newFiles: [String]
    /// Remarks that need a person's attention (e.g. patches kept across a bump).
    public var notes: [String]

    public var isNoOp: Bool { changes.isEmpty }
}

/// `bbf bump`: validates a new PostgreSQL/Babelfish pairing and applies it.
public enum Bump {
    /// Validates `request` against `versions` and returns the bumped versions;
    /// throws `.refusedBump` (with the reason) for anything that cannot be right.
    public static func apply(_ request: BumpRequest, to versions: Versions) throws(BuildToolError) -> BumpResult {
        func refuse(_ message: String) -> BuildToolError {
            BuildToolError(.refusedBump, "bbf bump refused: \(message) Nothing was changed.")
        }
        guard let postgres = PostgresVersion(request.postgres) else {
            throw refuse("--postgres \(request.postgres) is not a PostgreSQL version; write MAJOR.MINOR, e.g. 17.5.")
        }
        guard let babelfish = BabelfishVersion(request.babelfish) else {
            throw refuse("--babelfish \(request.babelfish) is not a Babelfish version; write MAJOR.MINOR.PATCH, e.g. 5.2.0.")
        }
        if let antlr = request.antlr, !VersionsValidator.isDottedVersion(antlr, parts: 2...3) {
            throw refuse("--antlr \(antlr) is not an ANTLR version; write e.g. 4.13.2.")
        }
        if babelfish.lineName != request.line {
            let hint =
                versions.lines[babelfish.lineName] != nil
                ? "bump line \(babelfish.lineName) instead"
                : "start line \(babelfish.lineName) with --line \(babelfish.lineName) --from \(request.line)"
            throw refuse(
                "Babelfish \(babelfish) belongs to line \(babelfish.lineName), not \(request.line) (a line holds one Babelfish MAJOR.MINOR, the pairing Aurora ships); \(hint)."
            )
        }
        if postgres.major != babelfish.postgresMajor {
            throw refuse(
                "Babelfish \(babelfish.major).x is built on PostgreSQL \(babelfish.postgresMajor) (engine tags BABEL_\(babelfish.major)_*__PG_\(babelfish.postgresMajor)_*), so --postgres \(postgres) cannot be right; a PostgreSQL major change also needs pg_upgrade, never a bump."
            )
        }

        var result = versions
        var old: ReleaseLine
        if let from = request.from {
            guard versions.lines[request.line] == nil else {
                throw refuse("line \(request.line) already exists; drop --from to bump it.")
            }
            guard let source = versions.lines[from] else {
                throw refuse("--from \(from) is not a line; the lines are \(versions.lineNames.joined(separator: ", ")).")
            }
            old = source
            old.patches = []
            old.checksums = [:]
        } else {
            guard let existing = versions.lines[request.line] else {
                throw refuse(
                    "there is no line \(request.line) (the lines are \(versions.lineNames.joined(separator: ", "))); to start one, add --from <existing line>."
                )
            }
            old = existing
        }

        var line = old
        line.postgres = postgres
        line.babelfish = babelfish
        line.antlr = request.antlr ?? old.antlr
        line.sourceLayout = request.sourceLayout ?? old.sourceLayout
        for tag in [line.engineTag, line.extensionsTag] where tag.wholeMatch(of: /BABEL_[0-9]+_[0-9]+_[0-9]+(__PG_[0-9]+_[0-9]+)?/) == nil {
            throw refuse("the derived tag \(tag) is malformed.")
        }

        let files = versions.sources(for: line).map(\.file)
        var checksums: [String: Checksum] = [:]
        for file in files {
            checksums[file] = old.checksums[file] ?? Checksum()
        }
        line.checksums = checksums
        result.lines[request.line] = line

        let issues = result.validationIssues
        if !issues.isEmpty {
            throw BuildToolError(
                .refusedBump, "bbf bump refused: the result would not be a valid versions.json. Nothing was changed.", issues: issues)
        }

        var changes: [String] = []
        if request.from != nil {
            changes.append("new line \(request.line) from line \(request.from ?? "")")
        }
        if old.postgres != line.postgres || request.from != nil { changes.append("postgres \(old.postgres) → \(line.postgres)") }
        if old.babelfish != line.babelfish || request.from != nil { changes.append("babelfish \(old.babelfish) → \(line.babelfish)") }
        if old.antlr != line.antlr { changes.append("antlr \(old.antlr) → \(line.antlr)") }
        if old.sourceLayout != line.sourceLayout {
            changes.append("sourceLayout \(old.sourceLayout.rawValue) → \(line.sourceLayout.rawValue)")
        }
        if old.engineTag != line.engineTag || request.from != nil {
            changes.append("engine tag \(line.engineTag), extensions tag \(line.extensionsTag)")
        }

        let cleared = old.checksums.filter { !files.contains($0.key) && !$0.value.isEmpty }.keys.sorted()
        let unpinned = files.filter { line.checksums[$0]?.sha256 == nil }
        var notes: [String] = []
        if !line.patches.isEmpty && !changes.isEmpty {
            notes.append(
                "line \(request.line) keeps its \(line.patches.count) patch(es) in patches/\(request.line)/: check they still apply (the build fails naming any that does not)."
            )
        }
        if request.from != nil, let source = request.from, let patches = versions.lines[source]?.patches, !patches.isEmpty {
            notes.append("patches of line \(source) were not copied: copy the ones still needed to patches/\(request.line)/ and list them.")
        }
        let new = files.filter { old.checksums[$0] == nil }
        return BumpResult(
            versions: result, changes: changes, clearedChecksums: cleared, unpinnedFiles: unpinned, newFiles: new, notes: notes)
    }
}
