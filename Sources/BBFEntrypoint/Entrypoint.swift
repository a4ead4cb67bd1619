import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The image's entrypoint: `bbf-entrypoint [postgres] [postgres arguments]`.
public enum Entrypoint {
    /// What the command line asks for.
    public enum Command: Equatable, Sendable {
        case help
        case version
        case healthcheck
        /// Make a template cluster in this directory (image build time).
        case makeTemplate(String)
        /// make-template without exactly one directory.
        case usage(String)
        /// Boot the database, then exec postgres with these arguments.
        case postgres([String])
        /// postgres asked only for help or its version: exec it, no boot.
        case postgresInformation([String])
        /// Exec another program unchanged (no initialization).
        case other([String])
    }

    /// Pure: `[]` is `postgres`; a first argument starting with `-` is postgres flags.
    public static func command(for arguments: [String]) -> Command {
        guard let first = arguments.first else { return .postgres([]) }
        switch first {
        case "--help": return .help
        case "--version": return .version
        case "healthcheck": return .healthcheck
        case "make-template":
            return arguments.count == 2
                ? .makeTemplate(arguments[1]) : .usage("usage: bbf-entrypoint make-template DIR (an absolute path, new or empty)")
        case "postgres": return postgres(Array(arguments.dropFirst()))
        default: return first.hasPrefix("-") ? postgres(arguments) : .other(arguments)
        }
    }

    /// Options that make postgres print something and exit (as docker-library's `_pg_want_help`).
    static let informationOptions: Set<String> = ["-?", "--help", "--describe-config", "-V", "--version"]

    private static func postgres(_ arguments: [String]) -> Command {
        arguments.contains(where: informationOptions.contains) ? .postgresInformation(arguments) : .postgres(arguments)
    }

    /// Runs the entrypoint; returns only with an exit status (success execs).
    public static func main(arguments: [String], environment: [String: String]) -> Int32 {
        switch command(for: arguments) {
        case .help:
            print(helpText)
            return 0
        case .version:
            print("bbf-entrypoint \(EntrypointVersion.current)")
            return 0
        case .healthcheck:
            let report = Healthcheck.run(environment: environment)
            print(report.healthy ? "healthy: \(report.reason)" : "unhealthy: \(report.reason)")
            return report.healthy ? 0 : 1
        case .makeTemplate(let directory):
            do {
                try TemplateMaker.run(directory: directory, environment: environment)
                return 0
            } catch {
                Log.error("make-template: \(error)")
                return 1
            }
        case .usage(let text):
            Log.error(text)
            return 64
        case .other(let command):
            guard let executable = findExecutable(command[0], path: environment["PATH"]) else {
                Log.error("\(command[0]): command not found on PATH")
                return 127
            }
            return execReporting(executable, Array(command.dropFirst()), argv0: command[0], environment: environment)
        case .postgresInformation(let postgresArguments):
            let postgres = findExecutable("postgres", path: environment["PATH"]) ?? "postgres"
            return execReporting(postgres, postgresArguments, argv0: "postgres", environment: environment)
        case .postgres(let postgresArguments):
            do {
                try boot(postgresArguments: postgresArguments, environment: environment)
            } catch {
                Log.error("\(error)")
            }
            return 1
        }
    }

    /// Execs a program unchanged; on failure logs why and returns 126.
    private static func execReporting(_ executable: String, _ arguments: [String], argv0: String, environment: [String: String]) -> Int32 {
        let failure = replaceProcess(executable: executable, arguments: arguments, argv0: argv0, environment: environment)
        Log.error("\(failure)")
        return 126
    }

    /// The boot, in order. Returns only if exec fails.
    static func boot(postgresArguments: [String], environment: [String: String]) throws {
        let checked = try preflight(postgresArguments: postgresArguments, environment: environment)
        let (config, installation, decision) = (checked.config, checked.installation, checked.decision)
        if Privileges.isRoot {
            let account = try postgresAccount()
            try prepareDirectories(config, decision: decision, owner: account)
            try Privileges.drop(to: account)
        } else {
            try ensureSocketDirectory(config)
        }
        let context = BootContext(
            config: config, installation: installation, postgresArguments: postgresArguments, environment: environment,
            providedCertificate: checked.providedCertificate)
        try act(on: decision, context: context, adoptionEvidence: checked.adoptionEvidence, initialization: checked.initialization)
        try execPostgres(context)
    }

    /// Everything that can be checked before a file is written, all of it
    /// in one run: warnings are logged, and every problem is thrown together.
    static func preflight(postgresArguments: [String], environment: [String: String]) throws -> PreflightOutcome {
        let facts = PreflightFacts.gather(postgresArguments: postgresArguments, environment: environment)
        for warning in facts.reading.configuration.warnings { Log.warning(warning) }
        let outcome = try Preflight.evaluate(facts).get()
        for warning in outcome.warnings { Log.warning(warning) }
        return outcome
    }

    static func postgresAccount() throws -> UserAccount {
        guard let account = Privileges.account(named: "postgres") else {
            throw EntrypointError(
                .system, "started as root, but there is no postgres user to run PostgreSQL as. Add one to the image (useradd postgres).")
        }
        return account
    }

    /// As root: create the data and socket directories and hand them to postgres.
    /// An existing, non-empty data directory is never chowned.
    static func prepareDirectories(_ config: EntrypointConfiguration, decision: DataDirectoryDecision, owner: UserAccount) throws {
        do {
            switch decision {
            case .initialize:
                try FileSystem.createDirectory(config.dataDirectory, permissions: 0o700)
                try FileSystem.changeOwner(config.dataDirectory, user: owner.uid, group: owner.gid)
                try FileSystem.changePermissions(config.dataDirectory, 0o700)
            case .boot, .adopt, .restartInterruptedInitialization, .refuse:
                if let info = try FileSystem.info(config.dataDirectory), info.owner != owner.uid {
                    throw EntrypointError(
                        .unsupportedDataDirectory,
                        "PGDATA=\(config.dataDirectory) is owned by uid \(info.owner), but PostgreSQL runs as \(owner.name) (uid \(owner.uid)). It was left untouched; to hand it over, run once: chown -R \(owner.uid):\(owner.gid) \(config.dataDirectory)"
                    )
                }
            }
            try FileSystem.createDirectory(config.socketDirectory, permissions: 0o3775)
            try FileSystem.changeOwner(config.socketDirectory, user: owner.uid, group: owner.gid)
            try FileSystem.changePermissions(config.socketDirectory, 0o3775)
        } catch let error as SystemError {
            throw EntrypointError(.system, step: "prepare-directories", "\(error)")
        }
    }

    static func ensureSocketDirectory(_ config: EntrypointConfiguration) throws {
        guard !FileSystem.isDirectoryFollowingLinks(config.socketDirectory) else { return }
        do {
            try FileSystem.createDirectory(config.socketDirectory, permissions: 0o3775)
        } catch {
            throw EntrypointError(
                .system, step: "prepare-directories",
                "POSTGRES_SOCKET_DIR=\(config.socketDirectory) does not exist and cannot be created: \(error)")
        }
    }

    static func act(
        on decision: DataDirectoryDecision, context: BootContext, adoptionEvidence: BabelfishEvidence?,
        initialization: InitializationSource = .initdb(reasons: [])
    ) throws {
        do {
            try actOrThrow(on: decision, context: context, adoptionEvidence: adoptionEvidence, initialization: initialization)
        } catch let error as SystemError {
            var message = "\(error)"
            if error.code == EACCES || error.code == EPERM {
                message +=
                    ". Everything in PGDATA must belong to the user PostgreSQL runs as (uid \(geteuid())): chown -R \(geteuid()):\(getegid()) \(context.dataDirectory)"
            }
            throw EntrypointError(.system, step: decision.stepName, message)
        }
    }

    private static func actOrThrow(
        on decision: DataDirectoryDecision, context: BootContext, adoptionEvidence: BabelfishEvidence?,
        initialization: InitializationSource
    ) throws {
        switch decision {
        case .initialize, .restartInterruptedInitialization:
            TerminationSignals.exitImmediately(
                printing: "[bbf-entrypoint] stopped during initialization; the next start begins it again.\n")
            defer { TerminationSignals.restoreDefaults() }
            let scripts = try InitScriptPlan.read(directory: context.config.initScriptsDirectory)
            for name in scripts.ignored { Log.info("ignoring \(context.config.initScriptsDirectory)/\(name)") }
            try Initializer(context: context, scripts: scripts.scripts, source: initialization)
                .run(clearingInterruptedInitialization: decision == .restartInterruptedInitialization)
        case .adopt:
            try Adopter(context: context, evidence: adoptionEvidence).run()
        case .boot(let state):
            try Boot(context: context, state: state).run()
        case .refuse(let error):
            throw error
        }
    }

    /// postgres becomes this process (PID 1 in a container) and gets the signals.
    static func execPostgres(_ context: BootContext) throws {
        let failure = replaceProcess(
            executable: context.installation.postgres, arguments: context.postgresArguments, argv0: "postgres",
            environment: EntrypointConfiguration.removingSecrets(from: context.environment))
        throw EntrypointError(.system, "\(failure)")
    }

    public static var helpText: String {
        """
        bbf-entrypoint \(EntrypointVersion.current): boots PostgreSQL + Babelfish in a container.

        Usage:
          bbf-entrypoint [postgres] [postgres options]   initialize on first boot, then exec postgres
          bbf-entrypoint healthcheck                      exit 0 when PostgreSQL and TDS answer
          bbf-entrypoint make-template DIR                make a template cluster for first boots (image build)
          bbf-entrypoint COMMAND [ARGS]                   exec another command unchanged
          bbf-entrypoint --help | --version

        First boot (empty PGDATA): initdb, Babelfish login and database,
        CREATE EXTENSION babelfishpg_tds CASCADE, sys.initialize_babelfish, then
        the init scripts (*.sql, *.sql.gz|xz|zst, *.sh, *.tsql), all on a
        private socket. An interrupted first boot is detected and redone.
        With the default settings it copies the image's template cluster
        instead (BBF_INIT_TEMPLATE), then sets this container's passwords,
        certificate and system identifier.

        """ + "\n" + EntrypointVariable.helpSection
    }
}

extension DataDirectoryDecision {
    /// The name errors of this path carry.
    var stepName: String {
        switch self {
        case .initialize, .restartInterruptedInitialization: return "initialize"
        case .adopt: return "adopt"
        case .boot: return "boot"
        case .refuse: return "inspect"
        }
    }
}
