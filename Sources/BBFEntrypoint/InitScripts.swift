import BBFSystem

/// A file of the init scripts directory, and how it runs.
public struct InitScript: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `*.sh`: executed when executable, otherwise run by `sh`.
        case shell(executable: Bool)
        /// `*.sql`, through psql against the temporary server's socket.
        case sql
        /// `*.sql.gz|xz|zst`, decompressed into psql.
        case compressedSQL(decompressor: String)
        /// `*.tsql`: T-SQL batches separated by GO, sent over TDS.
        case tsql
    }

    public var name: String
    public var kind: Kind

    public var needsBabelfish: Bool { kind == .tsql }
}

/// Which files of the init directory run, in what order.
public enum InitScriptPlan {
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var isRegularFile: Bool
        public var isExecutable: Bool
        public init(name: String, isRegularFile: Bool, isExecutable: Bool) {
            self.name = name
            self.isRegularFile = isRegularFile
            self.isExecutable = isExecutable
        }
    }

    /// Scripts in bytewise name order, and the names that are ignored.
    public static func plan(_ entries: [Entry]) -> (scripts: [InitScript], ignored: [String]) {
        var scripts: [InitScript] = []
        var ignored: [String] = []
        let sorted = entries.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        for entry in sorted where !entry.name.hasPrefix(".") {
            guard entry.isRegularFile, let kind = kind(of: entry) else {
                ignored.append(entry.name)
                continue
            }
            scripts.append(InitScript(name: entry.name, kind: kind))
        }
        return (scripts, ignored)
    }

    static func kind(of entry: Entry) -> InitScript.Kind? {
        let name = entry.name
        if name.hasSuffix(".sh") { return .shell(executable: entry.isExecutable) }
        if name.hasSuffix(".sql") { return .sql }
        if name.hasSuffix(".sql.gz") { return .compressedSQL(decompressor: "gzip") }
        if name.hasSuffix(".sql.xz") { return .compressedSQL(decompressor: "xz") }
        if name.hasSuffix(".sql.zst") { return .compressedSQL(decompressor: "zstd") }
        if name.hasSuffix(".tsql") { return .tsql }
        return nil
    }

    /// Reads the directory (a missing directory has no scripts).
    public static func read(directory: String) throws -> (scripts: [InitScript], ignored: [String]) {
        guard FileSystem.isDirectoryFollowingLinks(directory) else { return ([], []) }
        let entries = try FileSystem.contents(ofDirectory: directory).map { name -> Entry in
            let path = directory + "/" + name
            return Entry(
                name: name, isRegularFile: FileSystem.isRegularFileFollowingLinks(path),
                isExecutable: FileSystem.isExecutable(path))
        }
        return plan(entries)
    }
}
