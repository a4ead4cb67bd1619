import Foundation

/// `manifest.json`, the first member of every backup archive: what was dumped,
/// from which server, and how to check that a restore got all of it.
public struct BackupManifest: Codable, Equatable, Sendable {
    public static let formatName = "bbf-backup"
    public static let currentFormatVersion = 1

    public var format = BackupManifest.formatName
    public var formatVersion = BackupManifest.currentFormatVersion
    /// UTC, ISO 8601 (`2026-12-01T23:30:00Z`): when the dump's snapshot was taken.
    public var createdAt: String
    public var tool: Tool
    public var source: Source
    public var server: Server
    /// nil when the source database has no Babelfish (plain PostgreSQL; tests).
    public var babelfish: Babelfish?
    /// Every user table, with its row count in the dump's own snapshot.
    public var tables: [Table]
    public var members: [Member]

    public struct Tool: Codable, Equatable, Sendable {
        /// `bbf <version>`.
        public var name: String
        public var version: String
        /// `--version` of the dump programs, e.g. "bbf_dump (PostgreSQL) 16.3".
        public var dump: String
        public var dumpall: String

        public init(name: String, version: String, dump: String, dumpall: String) {
            self.name = name
            self.version = version
            self.dump = dump
            self.dumpall = dumpall
        }
    }

    /// Where the dump came from (never credentials).
    public struct Source: Codable, Equatable, Sendable {
        public var host: String
        public var port: String
        public var database: String
        public var user: String

        public init(host: String, port: String, database: String, user: String) {
            self.host = host
            self.port = port
            self.database = database
            self.user = user
        }
    }

    public struct Server: Codable, Equatable, Sendable {
        /// `server_version_num`, e.g. 160003.
        public var versionNumber: Int
        /// MAJOR.MINOR, e.g. "16.3".
        public var version: String
        /// `SELECT version()`.
        public var versionString: String

        public init(versionNumber: Int, version: String, versionString: String) {
            self.versionNumber = versionNumber
            self.version = version
            self.versionString = versionString
        }

        /// 160003 → "16.3".
        public static func version(fromNumber number: Int) -> String {
            "\(number / 10000).\(number % 10000)"
        }
    }

    public struct Babelfish: Codable, Equatable, Sendable {
        /// `babelfishpg_tsql`'s version, e.g. "4.2.0".
        public var version: String
        /// Every babelfishpg_* extension and its version.
        public var extensions: [String: String]
        public var migrationMode: String
        /// `babelfishpg_tsql.server_collation_name`.
        public var serverCollation: String
        /// The login `sys.initialize_babelfish` ran for: it owns the Babelfish
        /// database and bbf_dumpall never dumps it.
        public var initializeLogin: String
        /// The T-SQL databases in `sys.babelfish_sysdatabases` (master, tempdb, msdb included).
        public var databases: [Database]
        /// The logins (`sys.babelfish_authid_login_ext`), which restore without passwords.
        public var logins: [String]

        public struct Database: Codable, Equatable, Sendable {
            public var name: String
            public var owner: String

            public init(name: String, owner: String) {
                self.name = name
                self.owner = owner
            }
        }

        public init(
            version: String, extensions: [String: String], migrationMode: String, serverCollation: String, initializeLogin: String,
            databases: [Database], logins: [String]
        ) {
            self.version = version
            self.extensions = extensions
            self.migrationMode = migrationMode
            self.serverCollation = serverCollation
            self.initializeLogin = initializeLogin
            self.databases = databases
            self.logins = logins
        }
    }

    public struct Table: Codable, Equatable, Sendable {
        /// The PostgreSQL schema (for multi-db T-SQL databases `<db>_<schema>`).
        public var schema: String
        public var name: String
        public var rows: Int64
        /// The T-SQL database the schema belongs to, when Babelfish knows it.
        public var tsqlDatabase: String?

        public init(schema: String, name: String, rows: Int64, tsqlDatabase: String? = nil) {
            self.schema = schema
            self.name = name
            self.rows = rows
            self.tsqlDatabase = tsqlDatabase
        }
    }

    public struct Member: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable {
            /// `bbf_dumpall --roles-only`: plain SQL.
            case roles
            /// `bbf_dump --format=c` of the database.
            case data
        }

        public var name: String
        public var kind: Kind
        public var size: Int64
        public var sha256: String

        public init(name: String, kind: Kind, size: Int64, sha256: String) {
            self.name = name
            self.kind = kind
            self.size = size
            self.sha256 = sha256
        }
    }

    public init(
        createdAt: String, tool: Tool, source: Source, server: Server, babelfish: Babelfish?, tables: [Table], members: [Member]
    ) {
        self.createdAt = createdAt
        self.tool = tool
        self.source = source
        self.server = server
        self.babelfish = babelfish
        self.tables = tables
        self.members = members
    }

    /// The archive's member names.
    public enum Names {
        public static let manifest = "manifest.json"
        public static let roles = "roles.sql"
        public static let data = "database.dump"
    }

    public func member(_ kind: Member.Kind) -> Member? { members.first { $0.kind == kind } }

    /// Checks what a reader relies on; the message names the problem.
    public func validate() throws(PipelineError) {
        guard format == Self.formatName else {
            throw PipelineError(.archive, "\(Names.manifest) is not a bbf backup manifest (format \"\(format)\")")
        }
        guard formatVersion <= Self.currentFormatVersion else {
            throw PipelineError(
                .archive,
                "\(Names.manifest) has format version \(formatVersion); this bbf reads up to \(Self.currentFormatVersion): use a newer bbf")
        }
        for kind in [Member.Kind.roles, .data] where member(kind) == nil {
            throw PipelineError(.archive, "\(Names.manifest) lists no \(kind.rawValue) member")
        }
    }
}

/// The small JSON object published beside each archive, after it: its
/// presence marks the archive as complete, and it lets a reader choose an
/// archive and check its checksum without downloading it first.
public struct ArchiveRecord: Codable, Equatable, Sendable {
    public static let formatName = "bbf-backup-record"

    public var format = ArchiveRecord.formatName
    public var formatVersion = 1
    /// The archive's object or file name.
    public var archive: String
    public var size: Int64
    public var sha256: String
    public var manifest: BackupManifest

    public init(archive: String, size: Int64, sha256: String, manifest: BackupManifest) {
        self.archive = archive
        self.size = size
        self.sha256 = sha256
        self.manifest = manifest
    }
}

/// Stable, reviewable JSON for everything the pipeline writes.
public enum PipelineJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, name: String) throws(PipelineError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw PipelineError(.archive, "\(name) is missing \(path(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw PipelineError(.archive, "\(name): \(path(context.codingPath)) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw PipelineError(.archive, "\(name) is not valid JSON (\(context.debugDescription))")
        } catch {
            throw PipelineError(.archive, "\(name) cannot be read: \(error)")
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty
            ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }
}
