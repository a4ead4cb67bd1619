import BBFContainer
import Foundation

/// `--pull`: when `up` asks the engine to pull the image.
public enum PullPolicy: String, CaseIterable, Equatable, Sendable {
    /// Only when the image is not in the local store.
    case missing
    case always
    case never
}

/// Where a password comes from: the value itself (the config file or
/// BBF_DEV_PASSWORD) or a file in `bbf bake --login-password-file` format.
public enum PasswordSetting: Equatable, Sendable {
    case value(String)
    case file(String)
}

/// The resolved settings of one developer instance: flags over `BBF_DEV_*`
/// variables over `bbf-dev.json` over the defaults. Pure.
public struct DevSettings: Equatable, Sendable {
    /// Where a value came from, for messages that say what to change.
    public enum Source: Equatable, Sendable, CustomStringConvertible {
        case flag(String)
        case environment(String)
        case file(path: String, key: String)
        case builtIn

        public var description: String {
            switch self {
            case .flag(let flag): return flag
            case .environment(let variable): return variable
            case .file(let path, let key): return "\"\(key)\" in \(path)"
            case .builtIn: return "the default"
            }
        }
    }

    public static let defaultName = "babelfish-dev"
    public static let defaultVolume = "pgbf-devdata"
    public static let defaultTDSPort = 1434
    public static let defaultPostgresPort = 5432
    public static let defaultBindAddress = "127.0.0.1"
    public static let defaultDatabase = "master"
    public static let defaultHealthTimeout = 300
    public static let configFileName = "bbf-dev.json"

    /// The bbf-dev.json that was read, if any.
    public var configFile: String?
    public var image: String?
    public var name = defaultName
    public var volume = defaultVolume
    public var tdsPort = defaultTDSPort
    public var postgresPort = defaultPostgresPort
    public var bindAddress = defaultBindAddress
    /// The TDS login for connection strings and `bbf dev sql` (nil: the image's initialize login, else babelfish_user).
    public var login: String?
    public var database = defaultDatabase
    public var password: PasswordSetting?
    /// Container variables (`--env KEY=VALUE`, `"env"` in the file).
    public var environment: [String: String] = [:]
    public var engine: String?
    public var pull = PullPolicy.missing
    public var savesDirectory: String?
    public var healthTimeout = defaultHealthTimeout
    public var ecrRegion: String?
    /// Where each setting (by its config key) came from; absent means the default.
    public var sources: [String: Source] = [:]

    public init() {}

    public func source(of key: String) -> Source { sources[key] ?? .builtIn }

    /// "pass --port N, set BBF_DEV_PORT or \"port\" in bbf-dev.json": the ways to change a setting.
    public func howToChange(_ key: String) -> String {
        guard let entry = DevSettingsTable.entry(key) else { return "" }
        var ways: [String] = []
        if let flag = entry.flag { ways.append("pass \(flag)\(entry.placeholder.map { " \($0)" } ?? "")") }
        if let variable = entry.variable { ways.append("set \(variable)") }
        ways.append("\"\(entry.key)\" in \(configFile ?? Self.configFileName)")
        let current = source(of: key)
        let from = current == .builtIn ? "" : " (now from \(current))"
        return ways.joined(separator: ", ") + from
    }
}

/// One setting as the user spells it in each of the three places.
public struct DevSettingEntry: Equatable, Sendable {
    public var key: String
    /// nil: no variable (`env`).
    public var variable: String?
    public var flag: String?
    public var placeholder: String?
    public var defaultValue: String
    public var meaning: String
}

/// Every setting, in one table: the resolution, the messages and the
/// developer guide's table (a test checks the guide against it).
public enum DevSettingsTable {
    public static let entries: [DevSettingEntry] = [
        .init(
            key: "image", variable: "BBF_DEV_IMAGE", flag: "--image", placeholder: "REF", defaultValue: "—",
            meaning: "the image to run: the team's data-loaded image, or an engine image"),
        .init(
            key: "name", variable: "BBF_DEV_NAME", flag: "--name", placeholder: "NAME", defaultValue: DevSettings.defaultName,
            meaning: "the container's name; selects the instance for every subcommand"),
        .init(
            key: "volume", variable: "BBF_DEV_VOLUME", flag: "--volume", placeholder: "NAME", defaultValue: DevSettings.defaultVolume,
            meaning: "the named volume that holds the data directory (mounted at /var/lib/babelfish/data)"),
        .init(
            key: "port", variable: "BBF_DEV_PORT", flag: "--port", placeholder: "PORT", defaultValue: String(DevSettings.defaultTDSPort),
            meaning: "host port of TDS (SQL Server protocol); 1433 is often a local SQL Server's"),
        .init(
            key: "pgPort", variable: "BBF_DEV_PG_PORT", flag: "--pg-port", placeholder: "PORT",
            defaultValue: String(DevSettings.defaultPostgresPort), meaning: "host port of PostgreSQL"),
        .init(
            key: "bindAddress", variable: "BBF_DEV_BIND_ADDRESS", flag: "--bind-address", placeholder: "ADDRESS",
            defaultValue: DevSettings.defaultBindAddress, meaning: "host address the ports are published on (0.0.0.0: every interface)"),
        .init(
            key: "login", variable: "BBF_DEV_LOGIN", flag: "--login", placeholder: "LOGIN", defaultValue: "the image's login",
            meaning:
                "TDS login for the connection strings and `bbf dev sql` (a data-loaded image names DEV's initialize login; else babelfish_user)"
        ),
        .init(
            key: "database", variable: "BBF_DEV_DATABASE", flag: "--database", placeholder: "DB", defaultValue: DevSettings.defaultDatabase,
            meaning: "T-SQL database of the connection strings and `bbf dev sql`"),
        .init(
            key: "password", variable: "BBF_DEV_PASSWORD", flag: nil, placeholder: nil, defaultValue: "—",
            meaning: "the local password of every login (never a flag: flags show in `ps`)"),
        .init(
            key: "passwordFile", variable: "BBF_DEV_PASSWORD_FILE", flag: "--password-file", placeholder: "FILE", defaultValue: "—",
            meaning:
                "local passwords as for `bbf bake --login-password-file`: one password, or login=password lines (*=default); relative to bbf-dev.json"
        ),
        .init(
            key: "env", variable: nil, flag: "--env", placeholder: "KEY=VALUE", defaultValue: "—",
            meaning: "container variables (a repeatable flag; an object of NAME: value pairs in the file), e.g. BABELFISH_ENABLED=false"),
        .init(
            key: "engine", variable: "BBF_DEV_ENGINE", flag: "--engine", placeholder: "ENGINE", defaultValue: "docker, else podman",
            meaning: "the container engine: docker, podman or a path"),
        .init(
            key: "pull", variable: "BBF_DEV_PULL", flag: "--pull", placeholder: "POLICY", defaultValue: PullPolicy.missing.rawValue,
            meaning: "when `up` pulls: missing, always or never (`refresh` always pulls unless never)"),
        .init(
            key: "savesDir", variable: "BBF_DEV_SAVES_DIR", flag: "--saves-dir", placeholder: "DIR",
            defaultValue: "~/.local/share/bbf/saves",
            meaning: "where `save` keeps copies of the volume"),
        .init(
            key: "healthTimeout", variable: "BBF_DEV_HEALTH_TIMEOUT", flag: "--health-timeout", placeholder: "SECONDS",
            defaultValue: String(DevSettings.defaultHealthTimeout), meaning: "how long `up` waits for the database to answer"),
        .init(
            key: "ecrRegion", variable: "BBF_DEV_ECR_REGION", flag: "--region", placeholder: "REGION",
            defaultValue: "from the image's host",
            meaning: "AWS region for `bbf dev login ecr`"),
    ]

    /// Keys the file may hold besides the settings.
    public static let ignoredKeys: Set<String> = ["comment", "$schema"]
    /// The variable that names the config file (it is not a setting).
    public static let configVariable = "BBF_DEV_CONFIG"

    public static func entry(_ key: String) -> DevSettingEntry? { entries.first { $0.key == key } }
}

/// What the command line gave (nil: not given). Filled by the `bbf dev` command.
public struct DevFlags: Equatable, Sendable {
    public var config: String?
    public var image: String?
    public var name: String?
    public var volume: String?
    public var port: Int?
    public var pgPort: Int?
    public var bindAddress: String?
    public var login: String?
    public var database: String?
    public var passwordFile: String?
    public var environment: [String] = []
    public var engine: String?
    public var pull: String?
    public var savesDirectory: String?
    public var healthTimeout: Int?
    public var region: String?

    public init() {}
}

/// Finds `bbf-dev.json` in a directory or the nearest one above it. Pure.
public enum DevConfigLocator {
    public static func find(from directory: String, exists: (String) -> Bool) -> String? {
        var current = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        while true {
            let candidate = (current == "/" ? "" : current) + "/" + DevSettings.configFileName
            if exists(candidate) { return candidate }
            guard current != "/", !current.isEmpty else { return nil }
            let parent = (current as NSString).deletingLastPathComponent
            current = parent.isEmpty ? "/" : parent
        }
    }
}

/// A JSON value as the config file holds it (types kept, so `"port": "1434"`
/// and `"port": true` can be told apart from `"port": 1434`).
enum ConfigValue: Decodable, Equatable {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case object([String: ConfigValue])
    case array([ConfigValue])
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: ConfigValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([ConfigValue].self))
        }
    }

    var typeName: String {
        switch self {
        case .string: return "a string"
        case .integer, .number: return "a number"
        case .bool: return "true/false"
        case .object: return "an object"
        case .array: return "a list"
        case .null: return "null"
        }
    }
}

extension DevSettings {
    /// Resolves flags > environment > file > defaults, reporting every bad
    /// value at once, each named by where it came from.
    ///
    /// - Parameters:
    ///   - file: the config file's path and text, if one was found.
    ///   - workingDirectory: for relative paths given as flags or variables.
    public static func resolve(
        flags: DevFlags, environment: [String: String], file: (path: String, text: String)?, workingDirectory: String
    ) throws(DevError) -> DevSettings {
        var problems: [String] = []
        var settings = DevSettings()
        settings.configFile = file?.path
        let configDirectory = file.map { ($0.path as NSString).deletingLastPathComponent } ?? workingDirectory

        // The file: unknown keys and wrong types are named errors.
        var fileValues: [String: ConfigValue] = [:]
        if let file {
            do {
                let decoded = try JSONDecoder().decode(ConfigValue.self, from: Data(file.text.utf8))
                guard case .object(let object) = decoded else {
                    throw DevError(.configuration, "\(file.path) is not a JSON object: write {\"image\": \"REGISTRY/NAME:TAG\", ...}")
                }
                for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                    if DevSettingsTable.ignoredKeys.contains(key) { continue }
                    guard DevSettingsTable.entry(key) != nil else {
                        let hint = closest(key, among: DevSettingsTable.entries.map(\.key)).map { " (did you mean \"\($0)\"?)" } ?? ""
                        problems.append(
                            "\(file.path): unknown key \"\(key)\"\(hint); the keys are \(DevSettingsTable.entries.map(\.key).joined(separator: ", "))"
                        )
                        continue
                    }
                    fileValues[key] = value
                }
            } catch let error as DevError {
                throw error
            } catch {
                throw DevError(
                    .configuration, "\(file.path) is not valid JSON (\(Self.describe(error))): fix it, or point --config elsewhere")
            }
        }

        // Unknown BBF_DEV_* variables.
        let knownVariables = Set(DevSettingsTable.entries.compactMap(\.variable) + [DevSettingsTable.configVariable])
        for name in environment.keys.sorted() where name.hasPrefix("BBF_DEV_") && !knownVariables.contains(name) {
            let hint = closest(name, among: Array(knownVariables)).map { " (did you mean \($0)?)" } ?? ""
            if name == "BBF_DEV_ENV" {
                problems.append("BBF_DEV_ENV is not read: give container variables with --env KEY=VALUE or \"env\" in bbf-dev.json")
            } else {
                problems.append("unknown variable \(name)\(hint): unset it")
            }
        }

        /// The highest-precedence value of a setting, as text or JSON.
        func pick(_ key: String, flag: String?) -> (Source, ConfigValue)? {
            guard let entry = DevSettingsTable.entry(key) else { return nil }
            if let flag, let name = entry.flag { return (.flag(name), .string(flag)) }
            if let variable = entry.variable, let value = environment[variable] { return (.environment(variable), .string(value)) }
            if let value = fileValues[key], let path = file?.path { return (.file(path: path, key: key), value) }
            return nil
        }
        func text(_ key: String, flag: String?, validate: (String) -> String?) -> (String, Source)? {
            guard let (source, value) = pick(key, flag: flag) else { return nil }
            guard case .string(let string) = value else {
                problems.append("\(source) is \(value.typeName): give a string")
                return nil
            }
            if let problem = validate(string) {
                problems.append("\(source) \(quoted(string, source)): \(problem)")
                return nil
            }
            settings.sources[key] = source
            return (string, source)
        }
        func integer(_ key: String, flag: Int?, range: ClosedRange<Int>, what: String) -> Int? {
            guard let (source, value) = pick(key, flag: flag.map(String.init)) else { return nil }
            var number: Int?
            switch value {
            case .integer(let parsed): number = parsed
            case .string(let string): number = Int(string.trimmingCharacters(in: .whitespaces))
            default: number = nil
            }
            let shown: String
            switch value {
            case .string(let string): shown = quoted(string, source)
            case .integer(let parsed): shown = String(parsed)
            default: shown = "is \(value.typeName)"
            }
            guard let number, range.contains(number) else {
                problems.append("\(source) \(shown): give \(what) from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            settings.sources[key] = source
            return number
        }
        func path(_ value: String, _ source: Source) -> String {
            var expanded = value
            if expanded == "~" || expanded.hasPrefix("~/"), let home = environment["HOME"] { expanded = home + expanded.dropFirst() }
            if expanded.hasPrefix("/") { return expanded }
            if case .file = source { return configDirectory + "/" + expanded }
            return workingDirectory + "/" + expanded
        }

        if let (image, _) = text("image", flag: flags.image, validate: { ImageReferenceSyntax.problem($0) }) { settings.image = image }
        if let (name, _) = text("name", flag: flags.name, validate: { objectNameProblem($0, what: "container") }) { settings.name = name }
        if let (volume, _) = text("volume", flag: flags.volume, validate: { objectNameProblem($0, what: "volume") }) {
            settings.volume = volume
        }
        if let port = integer("port", flag: flags.port, range: 1...65535, what: "a port number") { settings.tdsPort = port }
        if let port = integer("pgPort", flag: flags.pgPort, range: 1...65535, what: "a port number") { settings.postgresPort = port }
        if settings.tdsPort == settings.postgresPort {
            problems.append(
                "the TDS port (\(settings.source(of: "port"))) and the PostgreSQL port (\(settings.source(of: "pgPort"))) are both \(settings.tdsPort): give them different ports"
            )
        }
        if let (address, _) = text("bindAddress", flag: flags.bindAddress, validate: { addressProblem($0) }) {
            settings.bindAddress = address
        }
        if let (login, _) = text(
            "login", flag: flags.login, validate: { $0.isEmpty || $0.contains(where: \.isNewline) ? "give a login name" : nil })
        {
            settings.login = login
        }
        if let (database, _) = text(
            "database", flag: flags.database, validate: { $0.isEmpty || $0.contains(where: \.isNewline) ? "give a database name" : nil })
        {
            settings.database = database
        }
        let passwordValue = text("password", flag: nil, validate: { $0.isEmpty ? "the password is empty" : nil })
        let passwordFile = text("passwordFile", flag: flags.passwordFile, validate: { $0.isEmpty ? "give a file" : nil })
        switch (passwordValue, passwordFile) {
        case (let value?, let file?):
            // The higher-precedence source wins; the same place giving both is ambiguous.
            let rank = { (source: Source) -> Int in
                switch source {
                case .flag: return 3
                case .environment: return 2
                case .file: return 1
                case .builtIn: return 0
                }
            }
            if rank(value.1) == rank(file.1) {
                problems.append("\(value.1) and \(file.1) both give the password: keep one")
            } else if rank(value.1) > rank(file.1) {
                settings.password = .value(value.0)
                settings.sources["passwordFile"] = nil
            } else {
                settings.password = .file(path(file.0, file.1))
                settings.sources["password"] = nil
            }
        case (let value?, nil): settings.password = .value(value.0)
        case (nil, let file?): settings.password = .file(path(file.0, file.1))
        case (nil, nil): break
        }
        if let (engine, _) = text("engine", flag: flags.engine, validate: { $0.isEmpty ? "give docker, podman or a path" : nil }) {
            settings.engine = engine
        }
        if let (pull, _) = text(
            "pull", flag: flags.pull,
            validate: { PullPolicy(rawValue: $0) == nil ? "give \(PullPolicy.allCases.map(\.rawValue).joined(separator: ", "))" : nil })
        {
            settings.pull = PullPolicy(rawValue: pull) ?? .missing
        }
        if let (directory, source) = text("savesDir", flag: flags.savesDirectory, validate: { $0.isEmpty ? "give a directory" : nil }) {
            settings.savesDirectory = path(directory, source)
        } else if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            settings.savesDirectory = data + "/bbf/saves"
        } else if let home = environment["HOME"], !home.isEmpty {
            settings.savesDirectory = home + "/.local/share/bbf/saves"
        }
        if let timeout = integer("healthTimeout", flag: flags.healthTimeout, range: 1...86400, what: "seconds") {
            settings.healthTimeout = timeout
        }
        if let (region, _) = text("ecrRegion", flag: flags.region, validate: { regionProblem($0) }) { settings.ecrRegion = region }

        // Container variables: the file's object, then each --env over it.
        if let value = fileValues["env"], let path = file?.path {
            if case .object(let object) = value {
                for (key, entry) in object.sorted(by: { $0.key < $1.key }) {
                    if let problem = variableNameProblem(key) {
                        problems.append("\"env\" in \(path): \(key): \(problem)")
                    } else if case .string(let string) = entry {
                        settings.environment[key] = string
                    } else {
                        problems.append("\"env\" in \(path): \(key) is \(entry.typeName): give a string")
                    }
                }
                settings.sources["env"] = .file(path: path, key: "env")
            } else {
                problems.append("\"env\" in \(path) is \(value.typeName): give an object of \"NAME\": \"value\" pairs")
            }
        }
        for pair in flags.environment {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                problems.append("--env \(pair): give KEY=VALUE")
                continue
            }
            let key = String(pair[..<equals])
            if let problem = variableNameProblem(key) {
                problems.append("--env \(key): \(problem)")
                continue
            }
            settings.environment[key] = String(pair[pair.index(after: equals)...])
            settings.sources["env"] = .flag("--env")
        }

        guard problems.isEmpty else {
            throw DevError(
                .configuration,
                problems.count == 1
                    ? problems[0] : "the settings have \(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
            )
        }
        return settings
    }

    static func describe(_ error: Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context):
                let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
                return underlying ?? context.debugDescription
            default: return "\(decoding)"
            }
        }
        return "\(error)"
    }
}

/// Secret values are never repeated in messages.
private func quoted(_ value: String, _ source: DevSettings.Source) -> String {
    let isSecret: Bool
    switch source {
    case .environment(let name): isSecret = name == "BBF_DEV_PASSWORD"
    case .file(_, let key): isSecret = key == "password"
    default: isSecret = false
    }
    return isSecret ? "(value not shown)" : "\"\(value)\""
}

/// Docker's rule for container and volume names.
func objectNameProblem(_ name: String, what: String) -> String? {
    let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    guard name.count >= 2, name.count <= 128, allowed, let first = name.first, first.isASCII, first.isLetter || first.isNumber else {
        return "not a \(what) name: use 2-128 letters, digits, _ . - starting with a letter or digit"
    }
    return nil
}

func variableNameProblem(_ name: String) -> String? {
    guard let first = name.first, first.isASCII, first.isLetter || first == "_",
        name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
    else { return "not a variable name: use letters, digits and _" }
    return nil
}

func addressProblem(_ address: String) -> String? {
    var v4 = in_addr()
    var v6 = in6_addr()
    if inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1 { return nil }
    return "not a numeric IP address: give 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of this machine's addresses"
}

func regionProblem(_ region: String) -> String? {
    let parts = region.split(separator: "-", omittingEmptySubsequences: false)
    let valid =
        parts.count >= 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) } }
        && parts.last?.allSatisfy(\.isNumber) == true
    return valid ? nil : "not an AWS region: give e.g. eu-west-1"
}

/// The candidate nearest to `name` when it is a likely typo.
func closest(_ name: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates.sorted() {
        let distance = editDistance(candidate.lowercased(), name.lowercased())
        if best == nil || distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    guard let best, best.distance <= max(2, name.count / 4) else { return nil }
    return best.name
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension DevSettings {
    /// Finds and reads the config file (--config, BBF_DEV_CONFIG, or the
    /// nearest bbf-dev.json at or above `workingDirectory`), then resolves.
    public static func load(flags: DevFlags, environment: [String: String], workingDirectory: String) throws(DevError) -> DevSettings {
        var path: String?
        var named: String?
        if let explicit = flags.config {
            path = explicit.hasPrefix("/") ? explicit : workingDirectory + "/" + explicit
            named = "--config \(explicit)"
        } else if let variable = environment[DevSettingsTable.configVariable], !variable.isEmpty {
            path = variable.hasPrefix("/") ? variable : workingDirectory + "/" + variable
            named = "\(DevSettingsTable.configVariable)=\(variable)"
        } else {
            path = DevConfigLocator.find(from: workingDirectory) { FileManager.default.fileExists(atPath: $0) }
        }
        var file: (path: String, text: String)?
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw DevError(.configuration, "\(named ?? path): cannot read \(path): give an existing bbf-dev.json")
            }
            file = (path, text)
        }
        return try resolve(flags: flags, environment: environment, file: file, workingDirectory: workingDirectory)
    }
}
