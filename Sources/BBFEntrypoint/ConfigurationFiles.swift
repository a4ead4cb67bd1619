/// Reading and writing PostgreSQL's configuration file syntax.
public enum ConfigurationFile {
    /// One `name = value` line.
    public struct Setting: Equatable, Sendable {
        /// Lowercased, as PostgreSQL compares names.
        public var name: String
        /// Unquoted value.
        public var value: String
        /// 1-based line number.
        public var line: Int
    }

    /// Parses settings from postgresql.conf-style text. Lines that do not
    /// parse are skipped (PostgreSQL itself reports those).
    public static func parse(_ text: String) -> [Setting] {
        var settings: [Setting] = []
        // Bytes first: postgresql.conf is mostly comments, and skipping them
        // before any Character work keeps this off the boot's critical path.
        let newline = UInt8(ascii: "\n")
        for (index, bytes) in text.utf8.split(separator: newline, omittingEmptySubsequences: false).enumerated() {
            let content = bytes.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            guard let firstByte = content.first, firstByte != UInt8(ascii: "#") else { continue }
            var scanner = Substring(String(decoding: content, as: UTF8.self))
            guard let first = scanner.first, first != "#" else { continue }
            var name = ""
            while let c = scanner.first, c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" {
                name.append(c)
                scanner.removeFirst()
            }
            guard !name.isEmpty else { continue }
            skipSpaces(&scanner)
            if scanner.first == "=" {
                scanner.removeFirst()
                skipSpaces(&scanner)
            }
            var value = ""
            if scanner.first == "'" {
                scanner.removeFirst()
                var closed = false
                while let c = scanner.first {
                    scanner.removeFirst()
                    if c == "'" {
                        if scanner.first == "'" {
                            value.append("'")
                            scanner.removeFirst()
                        } else {
                            closed = true
                            break
                        }
                    } else if c == "\\", let next = scanner.first {
                        scanner.removeFirst()
                        value.append(next)
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { continue }
            } else {
                while let c = scanner.first, !c.isWhitespace, c != "#" {
                    value.append(c)
                    scanner.removeFirst()
                }
            }
            settings.append(Setting(name: name.lowercased(), value: value, line: index + 1))
        }
        return settings
    }

    /// The last value given for `name` (later lines win, as in PostgreSQL).
    public static func lastValue(of name: String, in settings: [Setting]) -> String? {
        settings.last { $0.name == name.lowercased() }?.value
    }

    /// A quoted configuration value.
    public static func quote(_ value: String) -> String {
        "'" + value.replacing("'", with: "''") + "'"
    }

    private static func skipSpaces(_ scanner: inout Substring) {
        while let c = scanner.first, c == " " || c == "\t" || c == "\r" { scanner.removeFirst() }
    }
}

/// The files the entrypoint writes into the data directory.
public enum ManagedFiles {
    /// Regenerated on every boot and included from postgresql.conf.
    public static let managedConfiguration = "bbf-entrypoint.conf"
    /// Present from before the first initialization step until after the last.
    public static let initializationMarker = "bbf-entrypoint.initializing"
    /// Written last: its presence means "initialized (or adopted) and complete".
    public static let state = "bbf-entrypoint.state"
    /// Where initdb writes before its files are moved into the data directory.
    public static let initdbStaging = "bbf-entrypoint.initdb"
    /// The TLS certificate (and chain) and its private key: PostgreSQL's own
    /// default names, which `bbf bake` leaves out of an image.
    public static let certificate = "server.crt"
    public static let privateKey = "server.key"

    static let includeComment = "# bbf-entrypoint: managed settings, regenerated on every start. Settings below this line override them."

    /// Where a server listens: the configured places, or a temporary server's.
    public struct Endpoints: Equatable, Sendable {
        public var listenAddresses: String
        public var socketDirectory: String
        public var tdsPort: Int

        public init(listenAddresses: String, socketDirectory: String, tdsPort: Int) {
            self.listenAddresses = listenAddresses
            self.socketDirectory = socketDirectory
            self.tdsPort = tdsPort
        }

        /// What the configuration asks for.
        public static func configured(_ config: EntrypointConfiguration) -> Endpoints {
            Endpoints(listenAddresses: "*", socketDirectory: config.socketDirectory, tdsPort: config.tdsPort)
        }
    }

    /// The managed settings. During initialization they hold the temporary
    /// server's endpoints, so a reload there finds nothing to complain about.
    public static func renderManagedConfiguration(_ config: EntrypointConfiguration, endpoints: Endpoints? = nil) -> String {
        let endpoints = endpoints ?? .configured(config)
        var lines = [
            "# Generated by bbf-entrypoint on every start: edits here are overwritten.",
            "# Override a setting in postgresql.conf (below its include line), with",
            "# ALTER SYSTEM, or with -c on the command line.",
            "listen_addresses = \(ConfigurationFile.quote(endpoints.listenAddresses))",
            "unix_socket_directories = \(ConfigurationFile.quote(endpoints.socketDirectory))",
        ]
        if config.tlsEnabled {
            // Clients that ask for encryption get it; the others still connect
            // (over TDS: the login is encrypted, the session not, as with SQL Server).
            lines += [
                "ssl = on",
                "ssl_cert_file = \(ConfigurationFile.quote(certificate))",
                "ssl_key_file = \(ConfigurationFile.quote(privateKey))",
            ]
        }
        if config.babelfishEnabled {
            lines += [
                "shared_preload_libraries = 'babelfishpg_tds'",
                "babelfishpg_tds.port = \(endpoints.tdsPort)",
                // Babelfish's default (1) logs every PRELOGIN and login: two
                // lines per health check. 0 logs none; 1-3 are for debugging TDS.
                "babelfishpg_tds.tds_debug_log_level = 0",
            ]
            if config.tlsEnabled && config.tlsRequired {
                lines.append("babelfishpg_tds.tds_ssl_encrypt = on")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// postgresql.conf with the include of the managed file at the top, or nil
    /// when it is already there.
    public static func addingInclude(to postgresqlConf: String) -> String? {
        let included = ConfigurationFile.parse(postgresqlConf).contains {
            ($0.name == "include" || $0.name == "include_if_exists") && $0.value == managedConfiguration
        }
        if included { return nil }
        return "\(includeComment)\ninclude = '\(managedConfiguration)'\n\n" + postgresqlConf
    }

    /// pg_hba.conf for a new cluster: trust on the local socket (inside the
    /// container only), the chosen method for every TCP connection.
    public static func renderHostBasedAuthentication(_ method: HostAuthMethod) -> String {
        let m = method.rawValue
        return """
            # Written by bbf-entrypoint at initialization; yours to edit afterwards.
            # TDS (SQL Server protocol) logins accept only trust, password, md5 or gss:
            # a scram-sha-256 host line makes every TDS login fail. md5 still verifies
            # SCRAM-stored passwords.
            #
            # TYPE  DATABASE        USER            ADDRESS                 METHOD
            local   all             all                                     trust
            local   replication     all                                     trust
            host    all             all             all                     \(m)
            host    replication     all             all                     \(m)

            """
    }
}

/// The content of the state file: who set this cluster up and how.
public struct ClusterState: Equatable, Sendable {
    public enum Origin: String, Sendable { case initialized, adopted }

    public var origin: Origin
    public var babelfish: Bool
    public var entrypointVersion: String
    /// The PostgreSQL version that initialized (or adopted) the cluster.
    public var postgresVersion: String
    /// `babelfishpg_tsql`'s installed version, kept current by minor upgrades.
    public var babelfishVersion: String?
    /// The login `sys.initialize_babelfish` ran for (unknown for adopted clusters).
    public var babelfishUser: String?
    /// The template cluster the first boot copied (nil: initdb).
    public var template: String?

    public init(
        origin: Origin, babelfish: Bool, entrypointVersion: String, postgresVersion: String,
        babelfishVersion: String? = nil, babelfishUser: String? = nil, template: String? = nil
    ) {
        self.origin = origin
        self.babelfish = babelfish
        self.entrypointVersion = entrypointVersion
        self.postgresVersion = postgresVersion
        self.babelfishVersion = babelfishVersion
        self.babelfishUser = babelfishUser
        self.template = template
    }

    public static let formatVersion = "1"

    public func render() -> String {
        var lines = [
            "# Written by bbf-entrypoint. Its presence marks a complete initialization;",
            "# do not create, edit or delete it by hand.",
            "format=\(ClusterState.formatVersion)",
            "origin=\(origin.rawValue)",
            "babelfish=\(babelfish)",
            "entrypoint_version=\(entrypointVersion)",
            "postgres_version=\(postgresVersion)",
        ]
        if let babelfishVersion { lines.append("babelfish_version=\(babelfishVersion)") }
        if let babelfishUser { lines.append("babelfish_user=\(babelfishUser)") }
        if let template { lines.append("template=\(template)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses a state file; nil if it is not one this version understands.
    public static func parse(_ text: String) -> ClusterState? {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard fields["format"] == formatVersion,
            let origin = fields["origin"].flatMap(Origin.init(rawValue:)),
            let babelfish = fields["babelfish"].flatMap(Bool.init)
        else { return nil }
        return ClusterState(
            origin: origin, babelfish: babelfish, entrypointVersion: fields["entrypoint_version"] ?? "",
            postgresVersion: fields["postgres_version"] ?? "", babelfishVersion: fields["babelfish_version"],
            babelfishUser: fields["babelfish_user"], template: fields["template"])
    }
}
