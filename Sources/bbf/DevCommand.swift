import ArgumentParser
import BBFDev
import BBFPipeline
import BBFSystem
import Foundation

struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Your own Babelfish database with DEV's data: one container on a named volume that keeps your changes.",
        discussion: """
            Settings come from flags, then BBF_DEV_* variables, then bbf-dev.json (in this directory or above), then \
            the defaults: volume pgbf-devdata at /var/lib/babelfish/data, TDS on host port 1434, PostgreSQL on 5432. \
            See docs/DEVELOPER.md.
            """,
        subcommands: [
            DevUp.self, DevStatus.self, DevRefresh.self, DevSave.self, DevLoad.self, DevSaves.self, DevDown.self, DevLogs.self,
            DevPsql.self, DevSQL.self, DevLogin.self,
        ])
}

/// Which instance, and how to reach it: on every subcommand.
struct DevInstanceOptions: ParsableArguments {
    @Option(help: "The config file (default: bbf-dev.json here or above; BBF_DEV_CONFIG).") var config: String?
    @Option(help: "The image to run (registry reference).") var image: String?
    @Option(help: "The container's name (default: babelfish-dev).") var name: String?
    @Option(help: "The named volume holding the data (default: pgbf-devdata).") var volume: String?
    @Option(help: "Host port of TDS, the SQL Server protocol (default: 1434).") var port: Int?
    @Option(help: "Host port of PostgreSQL (default: 5432).") var pgPort: Int?
    @Option(help: "Host address the ports are published on (default: 127.0.0.1).") var bindAddress: String?
    @Option(help: "TDS login for connection strings and sql (default: the image's login).") var login: String?
    @Option(help: "T-SQL database for connection strings and sql (default: master).") var database: String?
    @Option(help: "Local passwords: one password, or login=password lines.") var passwordFile: String?
    @Option(help: "docker, podman or a path (default: docker, else podman).") var engine: String?
    @Option(help: "Where saves are kept (default: ~/.local/share/bbf/saves).") var savesDir: String?
    @Flag(help: "Print only errors and results.") var quiet = false

    func flags() -> DevFlags {
        var flags = DevFlags()
        flags.config = config
        flags.image = image
        flags.name = name
        flags.volume = volume
        flags.port = port
        flags.pgPort = pgPort
        flags.bindAddress = bindAddress
        flags.login = login
        flags.database = database
        flags.passwordFile = passwordFile
        flags.engine = engine
        flags.savesDirectory = savesDir
        return flags
    }
}

/// What shapes `up` (also under refresh and load).
struct DevUpOptions: ParsableArguments {
    @Option(help: "When to pull: missing, always or never (default: missing).") var pull: String?
    @Option(help: "A container variable, KEY=VALUE (repeatable).") var env: [String] = []
    @Option(help: "Seconds to wait for the database to answer (default: 300).") var healthTimeout: Int?
    @Flag(help: "Print passwords in the connection strings (default: only on a terminal).") var showPasswords = false
    @Flag(help: "Never print passwords in the connection strings.") var hidePasswords = false
    @Flag(help: "Do not wait for the database to answer.") var noWait = false

    func apply(to flags: inout DevFlags) {
        flags.pull = pull
        flags.environment = env
        flags.healthTimeout = healthTimeout
    }

    var options: UpOptions {
        var options = UpOptions()
        options.showPasswords = showPasswords ? true : (hidePasswords ? false : nil)
        options.wait = !noWait
        return options
    }
}

/// Resolves the settings and runs `body`; a DevError becomes its message and exit status 1.
func devRun<T>(
    _ instance: DevInstanceOptions, adjust: (inout DevFlags) -> Void = { _ in }, _ body: (DevSession) throws(DevError) -> T
)
    throws -> T
{
    let console = DevConsole(quiet: instance.quiet)
    do {
        var flags = instance.flags()
        adjust(&flags)
        let environment = ProcessInfo.processInfo.environment
        let settings = try DevSettings.load(
            flags: flags, environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
        return try body(DevSession(settings: settings, environment: environment, console: console))
    } catch {
        // An interrupted command's tools fail; the interruption's handler undoes and exits.
        Interruption.shared.parkIfInterrupted()
        console.error(error.message)
        throw ExitCode(1)
    }
}

/// Replaces bbf with the engine command (logs -f, psql): signals and the terminal are its own.
func handOver(_ command: HandOver) throws -> Never {
    let error = replaceProcess(executable: command.executable, arguments: command.arguments, environment: command.environment)
    FileHandle.standardError.write(Data("bbf dev: error: cannot run \(command.executable): \(error)\n".utf8))
    throw ExitCode(1)
}

struct DevUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Pull if needed, create or re-create the container on the volume, wait until it answers, print connection strings.")

    @OptionGroup var instance: DevInstanceOptions
    @OptionGroup var up: DevUpOptions
    @Option(
        help: "Restore a bbf backup into a new volume first: s3://BUCKET/PREFIX/ (the newest), an s3:// archive, a directory or a .tar.gz."
    ) var fromBackup: String?

    func run() throws {
        var options = up.options
        options.fromBackup = fromBackup
        try devRun(instance, adjust: up.apply) { session throws(DevError) in try session.up(options) }
    }
}

struct DevStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The container, the image (and its DEV snapshot), the volume, and whether a newer image exists.")

    @OptionGroup var instance: DevInstanceOptions
    @Flag(help: "Do not ask the registry for a newer image.") var noRegistry = false

    func run() throws {
        let text = try devRun(instance) { session throws(DevError) in try session.status(checkRegistry: !noRegistry).text }
        print(text)
    }
}

struct DevRefresh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Drop the container and the volume (your local changes) and come up on the newest image's snapshot.")

    @OptionGroup var instance: DevInstanceOptions
    @OptionGroup var up: DevUpOptions
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        try devRun(instance, adjust: up.apply) { session throws(DevError) in try session.refresh(yes: yes, options: up.options) }
    }
}

struct DevSave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Keep a compressed copy of the volume (stopped for the copy) under NAME.")

    @OptionGroup var instance: DevInstanceOptions
    @Argument(help: "The save's name.") var saveName: String
    @Flag(help: "Replace an existing save of that name.") var replace = false

    func run() throws {
        try devRun(instance) { session throws(DevError) in try session.save(saveName, replace: replace) }
    }
}

struct DevLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Replace the volume with the save NAME (same PostgreSQL major only), then come up.")

    @OptionGroup var instance: DevInstanceOptions
    @OptionGroup var up: DevUpOptions
    @Argument(help: "The save's name (bbf dev saves lists them).") var saveName: String
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        try devRun(instance, adjust: up.apply) { session throws(DevError) in try session.load(saveName, yes: yes, options: up.options) }
    }
}

struct DevSaves: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "saves", abstract: "List the saves.")

    @OptionGroup var instance: DevInstanceOptions

    func run() throws {
        print(try devRun(instance) { session throws(DevError) in try session.saves() })
    }
}

struct DevDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop and remove the container; the volume stays (unless --remove-volume).")

    @OptionGroup var instance: DevInstanceOptions
    @Flag(help: "Also remove the volume and every local change in it (asks first).") var removeVolume = false
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        try devRun(instance) { session throws(DevError) in try session.down(removeVolume: removeVolume, yes: yes) }
    }
}

struct DevLogs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "The database's log (the container's output).")

    @OptionGroup var instance: DevInstanceOptions
    @Flag(name: .shortAndLong, help: "Keep printing new lines.") var follow = false
    @Option(help: "Only the last N lines.") var tail: Int?

    func run() throws {
        try handOver(try devRun(instance) { session throws(DevError) in try session.logs(follow: follow, tail: tail) })
    }
}

struct DevPsql: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psql", abstract: "psql inside the container as postgres (arguments after -- go to psql).")

    @OptionGroup var instance: DevInstanceOptions
    @Argument(parsing: .postTerminator, help: "psql arguments.") var arguments: [String] = []

    func run() throws {
        let terminal = isatty(0) == 1 && isatty(1) == 1
        try handOver(try devRun(instance) { session throws(DevError) in try session.psql(arguments: arguments, terminal: terminal) })
    }
}

struct DevSQL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Run a T-SQL file over TDS, batch by batch (GO separates batches; - reads standard input).")

    @OptionGroup var instance: DevInstanceOptions
    @Argument(help: "The T-SQL file.") var file: String

    func run() throws {
        try devRun(instance) { session throws(DevError) in try session.sql(file: file) }
    }
}

struct DevLogin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Log the container engine in to the image's registry.", subcommands: [DevLoginECR.self])
}

struct DevLoginECR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecr", abstract: "aws ecr get-login-password, handed to the engine's login on its standard input.")

    @OptionGroup var instance: DevInstanceOptions
    @Option(help: "The registry host (default: the image's).") var registry: String?
    @Option(help: "The AWS region (default: the registry host's).") var region: String?

    func run() throws {
        try devRun(instance, adjust: { $0.region = region }) { session throws(DevError) in try session.loginECR(registry: registry) }
    }
}
