import BBFImage
import BBFSystem

/// A template cluster: a first boot's result made once, at image build time,
/// by `bbf-entrypoint make-template DIR`, with no password, no TLS key and no
/// WAL. `DIR/bbf-template.conf` (written last) says what it was made with;
/// `DIR/data` is the cluster. A first boot whose settings give the same
/// cluster copies it instead of running initdb and the Babelfish setup.
public enum TemplateFiles {
    public static let manifest = "bbf-template.conf"
    public static let data = "data"
}

/// What `initdb` reads from the process environment besides its arguments:
/// the locale of each category and the time zone. A template is used only
/// where these are the ones it was made with.
public struct InitdbInputs: Equatable, Sendable {
    /// The categories initdb sets from the environment (`setlocale(cat, "")`).
    public static let localeCategories = ["LC_COLLATE", "LC_CTYPE", "LC_MESSAGES", "LC_MONETARY", "LC_NUMERIC", "LC_TIME"]

    /// Per category: (value, the variable it came from); "C" from nothing.
    public var locale: [String: (value: String, source: String)] {
        var result: [String: (String, String)] = [:]
        for category in Self.localeCategories {
            if let value = localeVariables["LC_ALL"] {
                result[category] = (value, "LC_ALL")
            } else if let value = localeVariables[category] {
                result[category] = (value, category)
            } else if let value = localeVariables["LANG"] {
                result[category] = (value, "LANG")
            } else {
                result[category] = ("C", "no locale variable")
            }
        }
        return result
    }

    /// LC_ALL, LC_* and LANG as set (empty values left out: they count as unset).
    public var localeVariables: [String: String]
    /// TZ: initdb's first source for the server's time zone.
    public var timeZone: String?
    /// /etc/localtime, its second: "link:TARGET", "file:HEX" or "none".
    public var localtime: String

    public init(localeVariables: [String: String], timeZone: String?, localtime: String) {
        self.localeVariables = localeVariables
        self.timeZone = timeZone
        self.localtime = localtime
    }

    /// Reads them (the only I/O: /etc/localtime, a link or a few hundred bytes).
    public static func read(environment: [String: String], localtimePath: String = "/etc/localtime") -> InitdbInputs {
        var variables: [String: String] = [:]
        for name in ["LC_ALL", "LANG"] + localeCategories {
            if let value = environment[name], !value.isEmpty { variables[name] = value }
        }
        let localtime: String
        if let info = try? FileSystem.info(localtimePath) {
            if info.kind == .symlink, let target = try? FileSystem.symlinkTarget(localtimePath) {
                localtime = "link:" + target
            } else if let bytes = try? FileSystem.readBytes(localtimePath) {
                localtime = "file:" + hex(bytes)
            } else {
                localtime = "unreadable"
            }
        } else {
            localtime = "none"
        }
        return InitdbInputs(
            localeVariables: variables, timeZone: environment["TZ"].flatMap { $0.isEmpty ? nil : $0 }, localtime: localtime)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// `bbf-template.conf`: the settings a template cluster was made with.
public struct TemplateManifest: Equatable, Sendable {
    public var entrypointVersion: String
    public var postgresVersion: String
    public var babelfish: Bool
    /// `babelfishpg_tsql`'s installed version.
    public var babelfishVersion: String?
    public var superuser: String
    public var babelfishUser: String
    public var babelfishDatabase: String
    public var migrationMode: String
    /// nil: Babelfish's default collation (none set).
    public var collation: String?
    public var initdbArguments: [String]
    public var inputs: InitdbInputs
    /// When it was made (UTC), for the log.
    public var made: String
    /// How many files the cluster holds, and their bytes (for the log).
    public var files: Int
    public var bytes: Int64

    public static let formatVersion = "1"

    public init(
        entrypointVersion: String, postgresVersion: String, babelfish: Bool, babelfishVersion: String?, superuser: String,
        babelfishUser: String, babelfishDatabase: String, migrationMode: String, collation: String?, initdbArguments: [String],
        inputs: InitdbInputs, made: String, files: Int = 0, bytes: Int64 = 0
    ) {
        self.entrypointVersion = entrypointVersion
        self.postgresVersion = postgresVersion
        self.babelfish = babelfish
        self.babelfishVersion = babelfishVersion
        self.superuser = superuser
        self.babelfishUser = babelfishUser
        self.babelfishDatabase = babelfishDatabase
        self.migrationMode = migrationMode
        self.collation = collation
        self.initdbArguments = initdbArguments
        self.inputs = inputs
        self.made = made
        self.files = files
        self.bytes = bytes
    }

    public func render() -> String {
        var lines = [
            "# Written by bbf-entrypoint make-template. The cluster in data/ holds no password and no TLS key;",
            "# a first boot whose settings are these copies it (docs/ENTRYPOINT.md, \"Template boot\").",
            "format=\(Self.formatVersion)",
            "made=\(made)",
            "entrypoint_version=\(entrypointVersion)",
            "postgres_version=\(postgresVersion)",
            "babelfish=\(babelfish)",
            "babelfish_version=\(babelfishVersion ?? "")",
            "superuser=\(superuser)",
            "babelfish_user=\(babelfishUser)",
            "babelfish_db=\(babelfishDatabase)",
            "migration_mode=\(migrationMode)",
            "collation=\(collation ?? "")",
        ]
        lines += initdbArguments.map { "initdb_arg=\($0)" }
        lines += inputs.localeVariables.keys.sorted().map { "locale.\($0)=\(inputs.localeVariables[$0] ?? "")" }
        lines += ["tz=\(inputs.timeZone ?? "")", "localtime=\(inputs.localtime)", "files=\(files)", "bytes=\(bytes)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// nil when it is not a manifest this version understands.
    public static func parse(_ text: String) -> TemplateManifest? {
        var fields: [String: String] = [:]
        var initdbArguments: [String] = []
        var locale: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            let value = String(line[line.index(after: equals)...])
            if key == "initdb_arg" {
                initdbArguments.append(value)
            } else if key.hasPrefix("locale.") {
                locale[String(key.dropFirst("locale.".count))] = value
            } else {
                fields[key] = value
            }
        }
        func nonEmpty(_ key: String) -> String? { fields[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard fields["format"] == formatVersion, let babelfish = fields["babelfish"].flatMap(Bool.init),
            let entrypointVersion = nonEmpty("entrypoint_version"), let postgresVersion = nonEmpty("postgres_version"),
            let superuser = nonEmpty("superuser"), let babelfishUser = nonEmpty("babelfish_user"),
            let babelfishDatabase = nonEmpty("babelfish_db"), let migrationMode = nonEmpty("migration_mode"),
            let localtime = nonEmpty("localtime")
        else { return nil }
        return TemplateManifest(
            entrypointVersion: entrypointVersion, postgresVersion: postgresVersion, babelfish: babelfish,
            babelfishVersion: nonEmpty("babelfish_version"), superuser: superuser, babelfishUser: babelfishUser,
            babelfishDatabase: babelfishDatabase, migrationMode: migrationMode, collation: nonEmpty("collation"),
            initdbArguments: initdbArguments,
            inputs: InitdbInputs(localeVariables: locale, timeZone: nonEmpty("tz"), localtime: localtime),
            made: fields["made"] ?? "", files: fields["files"].flatMap { Int($0) } ?? 0,
            bytes: fields["bytes"].flatMap { Int64($0) } ?? 0)
    }
}

/// `BBF_INIT_TEMPLATE`: where a first boot looks for a template.
public enum TemplateSetting: Equatable, Sendable {
    /// The image's template (`ImageFacts.templateDirectory`), when there is one.
    case image
    /// Never: every first boot runs initdb.
    case off
    /// This directory, which must hold a template.
    case directory(String)

    public var directory: String? {
        switch self {
        case .image: return ImageFacts.templateDirectory
        case .off: return nil
        case .directory(let path): return path
        }
    }
}

/// How a first boot makes its cluster.
public enum InitializationSource: Equatable, Sendable {
    /// initdb and the Babelfish setup; `reasons`: why not the template in
    /// `template` (empty: there was none, or BBF_INIT_TEMPLATE=off).
    case initdb(reasons: [String], template: String? = nil)
    /// A copy of the template in `directory`.
    case template(directory: String, manifest: TemplateManifest)
}

/// Whether a first boot can use a template. Pure.
public enum TemplateMatch {
    /// What the template does not match, each naming the setting (empty: it matches).
    ///
    /// - Parameters:
    ///   - babelfishVersion: the installation's `babelfishpg_tsql` default version.
    public static func differences(
        _ manifest: TemplateManifest, config: EntrypointConfiguration, inputs: InitdbInputs, postgresVersion: String,
        babelfishVersion: String?
    ) -> [String] {
        var found: [String] = []
        func differs(_ setting: String, _ wanted: String, _ template: String) {
            found.append("\(setting)=\(wanted) (the template's is \(template))")
        }
        if manifest.entrypointVersion != EntrypointVersion.current {
            found.append("bbf-entrypoint \(EntrypointVersion.current) (the template was made by \(manifest.entrypointVersion))")
        }
        if manifest.postgresVersion != postgresVersion {
            found.append("PostgreSQL \(postgresVersion) (the template was made by PostgreSQL \(manifest.postgresVersion))")
        }
        if config.babelfishEnabled != manifest.babelfish {
            differs("BABELFISH_ENABLED", String(config.babelfishEnabled), String(manifest.babelfish))
        }
        if config.superuser != manifest.superuser { differs("POSTGRES_USER", config.superuser, manifest.superuser) }
        if config.initdbArguments != manifest.initdbArguments {
            let wanted = config.initdbArguments.joined(separator: " ")
            let template = manifest.initdbArguments.isEmpty ? "empty" : manifest.initdbArguments.joined(separator: " ")
            differs("POSTGRES_INITDB_ARGS", wanted.isEmpty ? "(empty)" : wanted, template)
        }
        if config.babelfishEnabled && manifest.babelfish {
            if let babelfishVersion, manifest.babelfishVersion != babelfishVersion {
                found.append(
                    "Babelfish \(babelfishVersion) (the template was made with Babelfish \(manifest.babelfishVersion ?? "unknown"))")
            }
            if config.babelfishUser != manifest.babelfishUser { differs("BABELFISH_USER", config.babelfishUser, manifest.babelfishUser) }
            if config.babelfishDatabase != manifest.babelfishDatabase {
                differs("BABELFISH_DB", config.babelfishDatabase, manifest.babelfishDatabase)
            }
            if config.migrationMode.rawValue != manifest.migrationMode {
                differs("BABELFISH_MIGRATION_MODE", config.migrationMode.rawValue, manifest.migrationMode)
            }
            if config.collation != manifest.collation {
                differs("BABELFISH_COLLATION", config.collation ?? "(unset)", manifest.collation ?? "Babelfish's default")
            }
        }
        let wantedLocale = inputs.locale
        let templateLocale = manifest.inputs.locale
        for category in InitdbInputs.localeCategories {
            guard let wanted = wantedLocale[category], let template = templateLocale[category], wanted.value != template.value
            else { continue }
            found.append("\(category) \(wanted.value) from \(wanted.source) (the template's is \(template.value))")
        }
        if inputs.timeZone != manifest.inputs.timeZone {
            differs("TZ", inputs.timeZone ?? "(unset)", manifest.inputs.timeZone ?? "unset")
        }
        if inputs.localtime != manifest.inputs.localtime {
            found.append("/etc/localtime \(describe(inputs.localtime)) (the template's was \(describe(manifest.inputs.localtime)))")
        }
        return found
    }

    private static func describe(_ localtime: String) -> String {
        if localtime.hasPrefix("link:") { return "-> " + localtime.dropFirst(5) }
        if localtime.hasPrefix("file:") { return "a file of \((localtime.count - 5) / 2) bytes" }
        return localtime
    }

    /// The source of a first boot: the template when one is there and matches.
    ///
    /// - Parameter manifest: the template's manifest as read (nil: none there).
    /// The log line that says how a first boot makes its cluster.
    public static func logLine(_ source: InitializationSource) -> String? {
        switch source {
        case .template(let directory, let manifest):
            return
                "first boot from the template cluster \(directory) (made \(manifest.made), \(manifest.files) files): copying it, then setting what is this container's own"
        case .initdb(let reasons, let template?) where !reasons.isEmpty:
            return
                "first boot: a full initialization (initdb), not the template cluster \(template), because these settings differ from its: \(reasons.joined(separator: "; "))"
        case .initdb:
            return nil
        }
    }

    public static func source(
        setting: TemplateSetting, manifest: TemplateManifest?, config: EntrypointConfiguration, inputs: InitdbInputs,
        postgresVersion: String, babelfishVersion: String?
    ) -> InitializationSource {
        guard let directory = setting.directory, let manifest else { return .initdb(reasons: []) }
        let differences = differences(
            manifest, config: config, inputs: inputs, postgresVersion: postgresVersion, babelfishVersion: babelfishVersion)
        return differences.isEmpty
            ? .template(directory: directory, manifest: manifest) : .initdb(reasons: differences, template: directory)
    }
}
