import Foundation

/// Why a file's output differs from upstream's expected output.
public enum DifferenceClass: String, Sendable, Codable, CaseIterable {
    /// Every difference is a documented limit of this renderer (KnownLimits).
    case rendererLimit = "renderer limit"
    /// A feature Aurora has and this image lacks (MissingFeatures).
    case missingFeature = "missing feature"
    /// Multi-db mode only: schema and user names carry their database
    /// (`db1_dbo` for single-db's `dbo`), or single-db's one-user-database rule.
    case multiDbNaming = "multi-db naming"
    /// Anything else: Babelfish here answered differently.
    case realBehaviour = "real behaviour"
}

/// A documented gap between this renderer and mssql-jdbc + the upstream runner.
public struct RendererLimit: Sendable, Equatable {
    /// The test it applies to, or nil for every test.
    public var test: String?
    /// Matched against each changed line (ours and expected).
    public var linePattern: String
    public var reason: String
}

/// The features of Aurora's Babelfish that this image does not have yet,
/// recognised by the errors our run prints.
public struct MissingFeature: Sendable, Equatable {
    public var name: String
    /// Matched against the error and warning lines of our output inside a difference.
    public var errorPattern: String
    /// Matched against expected lines missing from our output (a difference
    /// that only removes lines), for features whose absence shows no error:
    /// catalog rows of types that do not exist here.
    public var absentRowPattern: String? = nil
}

public enum Rules {
    /// The renderer's known limits, each with its reason. Keep this list
    /// short: an entry is a place where this gate cannot tell what
    /// upstream's Java stack would print.
    public static let rendererLimits: [RendererLimit] = [
        RendererLimit(
            test: nil, linePattern: #"\[B@[0-9a-f]+"#,
            reason:
                "mssql-jdbc returns a binary sql_variant as byte[] and the runner prints byte[].toString(): an identity hash (\"[B@1b6d3586\") that changes every run"
        )
    ]

    /// Errors that name a feature this image lacks. A file whose differences
    /// include one of these errors is classified as a missing feature as a
    /// whole: what follows in the file (hinted plans, formatted values)
    /// depends on the feature that failed.
    public static let missingFeatures: [MissingFeature] = [
        MissingFeature(name: "pg_hint_plan", errorPattern: #"could not access file "pg_hint_plan"|pg_hint_plan"#),
        MissingFeature(
            name: "culture locales",
            errorPattern:
                #"invalid value for parameter "lc_(numeric|time|monetary|collate|ctype|messages)"|locale ".*" (does not exist|is not supported)"#
        ),
        MissingFeature(
            name: "spatial types (PostGIS)",
            errorPattern: #"type "(sys\.)?(geometry|geography)" does not exist|postgis|spatial type|geography|geometry"#,
            absentRowPattern: #"^(geometry|geography)(#!#|$)"#),
        MissingFeature(
            name: "linked servers (babelfishpg_tsql built without ENABLE_TDS_LIB)",
            errorPattern: #"use of TDS client library has been disabled|ENABLE_TDS_LIB"#),
        MissingFeature(name: "tds_fdw", errorPattern: #"tds_fdw"#),
        MissingFeature(name: "pgvector", errorPattern: #"type "(sys\.)?vector" does not exist|extension "vector""#),
    ]

    static func matches(_ pattern: String, _ line: String) -> Bool {
        line.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// Names of T-SQL databases whose prefix multi-db puts in front of schema
    /// and user names: the system ones and every CREATE DATABASE in the suite's inputs.
    public static func databaseNames(in sql: String) -> Set<String> {
        var names: Set<String> = ["master", "tempdb", "msdb", "jdbc_testdb"]
        let pattern = #"(?i)create\s+database\s+\[?([A-Za-z_][A-Za-z0-9_]*)"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return names }
        let range = NSRange(sql.startIndex..., in: sql)
        for match in regex.matches(in: sql, range: range) {
            if let r = Range(match.range(at: 1), in: sql) { names.insert(sql[r].lowercased()) }
        }
        return names
    }

    /// A line with every `<database>_` prefix of a name removed, so
    /// `db1_dbo` and `dbo` compare equal.
    static func withoutDatabasePrefixes(_ line: String, databases: Set<String>) -> String {
        var out = line.lowercased()
        for database in databases.sorted(by: { $0.count > $1.count }) {
            out = out.replacingOccurrences(of: database + "_", with: "")
        }
        return out
    }

    /// Classifies a file's differences; also says which hunks each rule explained.
    /// - Parameter batchAt: the SQL of the batch whose output holds a line of ours.
    public static func classify(
        test: String, diff: LineDiff, multiDb: Bool, databases: Set<String>, batchAt: (Int) -> String? = { _ in nil }
    ) -> (DifferenceClass, feature: String?) {
        var classes: [DifferenceClass] = []
        var feature: String?
        for hunk in diff.hunks {
            if feature == nil, let found = missingFeatures.first(where: { shows($0, in: hunk) }) {
                feature = found.name
            }
            var hunkClass = classifyHunk(test: test, hunk: hunk, multiDb: multiDb, databases: databases)
            if multiDb, hunkClass == .realBehaviour, isModeDependent(test: test, sql: batchAt(hunk.actualStart)) {
                hunkClass = .multiDbNaming
            }
            classes.append(hunkClass)
        }
        // Where single-db refused a second user database, what follows in the
        // file (USE of it, lists of databases, creating it again) depends on
        // that database existing in multi-db.
        if multiDb,
            diff.hunks.contains(where: { hunk in (hunk.removed + hunk.added).contains { matches("single-db|only one user database", $0) } })
        {
            classes = classes.map { $0 == .realBehaviour ? .multiDbNaming : $0 }
        }
        // Rows sorted by name come out in another order once multi-db prefixes
        // them: the same lines, moved.
        if multiDb {
            let unexplained = zip(diff.hunks, classes).filter { $0.1 == .realBehaviour }.map(\.0)
            let removed = unexplained.flatMap(\.removed).map { withoutDatabasePrefixes($0, databases: databases) }
            let added = unexplained.flatMap(\.added).map { withoutDatabasePrefixes($0, databases: databases) }
            if !unexplained.isEmpty, removed.sorted() == added.sorted() {
                classes = classes.map { $0 == .realBehaviour ? .multiDbNaming : $0 }
            }
        }
        if let feature, classes.contains(.realBehaviour) || classes.contains(.missingFeature) {
            return (.missingFeature, feature)
        }
        if classes.contains(.realBehaviour) { return (.realBehaviour, nil) }
        if classes.contains(.multiDbNaming) { return (.multiDbNaming, nil) }
        return (.rendererLimit, nil)
    }

    /// Errors of single-db's one-user-database rule, and of databases that
    /// earlier files could create only because multi-db allowed them.
    static let singleDbRulePattern = #"single-db|only one user database|Database '[^']+' already exists"#

    /// SQL that reads names the migration mode defines: PostgreSQL's own
    /// catalogs of roles and schemas, Babelfish's mapping catalogs, the
    /// session's role and search path, the mode itself.
    static let physicalNamePattern =
        #"pg_roles|pg_namespace|pg_authid|pg_auth_members|pg_user\b|rolname|nspname|babelfish_sysdatabases|babelfish_namespace_ext|babelfish_authid_user_ext|current_setting\('(role|search_path)'|migration_mode|session_user"#

    /// In multi-db, a difference in the output of a batch that reads
    /// physical names, or anywhere in a test written for single-db, is the mode's.
    static func isModeDependent(test: String, sql: String?) -> Bool {
        if matches("single[-_]?db", test) { return true }
        guard let sql else { return false }
        return matches(physicalNamePattern, sql)
    }

    /// Whether a difference shows this feature missing: our output has its
    /// error, or lacks only expected rows of its catalog entries.
    static func shows(_ feature: MissingFeature, in hunk: LineDiff.Hunk) -> Bool {
        if errorLines(hunk.added).contains(where: { matches(feature.errorPattern, $0) }) { return true }
        if let rows = feature.absentRowPattern, hunk.added.isEmpty, !hunk.removed.isEmpty {
            return hunk.removed.allSatisfy { matches(rows, $0) }
        }
        return false
    }

    /// The error and warning lines of our output, where missing features show.
    static func errorLines(_ lines: [String]) -> [String] {
        lines.filter { $0.hasPrefix("~~ERROR (Message:") || $0.hasPrefix("~~WARNING (Message:") }
    }

    static func classifyHunk(test: String, hunk: LineDiff.Hunk, multiDb: Bool, databases: Set<String>) -> DifferenceClass {
        let limits = rendererLimits.filter { $0.test == nil || $0.test == test }
        let changed = hunk.removed + hunk.added
        if !changed.isEmpty, changed.allSatisfy({ line in limits.contains { matches($0.linePattern, line) } }) {
            return .rendererLimit
        }
        if multiDb {
            let removed = hunk.removed.map { withoutDatabasePrefixes($0, databases: databases) }
            let added = hunk.added.map { withoutDatabasePrefixes($0, databases: databases) }
            if removed == added { return .multiDbNaming }
            if changed.contains(where: { matches(singleDbRulePattern, $0) }) { return .multiDbNaming }
        }
        if missingFeatures.contains(where: { shows($0, in: hunk) }) { return .missingFeature }
        return .realBehaviour
    }
}
