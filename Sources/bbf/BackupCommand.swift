import ArgumentParser
import BBFPipeline
import Foundation

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Dump a Babelfish database (roles + data) into a dated, verified archive in S3 or a directory.",
        discussion: """
            Connects with libpq's variables: PGHOST, PGPORT, PGUSER, PGPASSWORD or PGPASSFILE, PGSSLMODE, \
            PGSSLROOTCERT. S3 goes through the AWS CLI and its credential chain (AWS_* variables, profiles, \
            IAM roles for service accounts); AWS_ENDPOINT_URL selects an S3-compatible store. \
            Prints the archive's address on standard output. See docs/PIPELINE.md.
            """)

    @Option(help: "Where to publish: s3://BUCKET/PREFIX/ or a local directory.") var to: String
    @Option(help: "The Babelfish database on the PostgreSQL side.") var database = "babelfish_db"
    @Option(help: "Keep only the newest N complete backups at the destination (default: keep all).") var keep: Int?
    @Option(help: "Where the dump files are written before packing (default: TMPDIR or /tmp).") var workDir: String?
    @Option(help: "The directory holding bbf_dump and bbf_dumpall (default: PATH).") var bin: String?
    @Flag(help: "The source is plain PostgreSQL without Babelfish: use pg_dump and pg_dumpall (for trying the pipeline).")
    var plainPostgres = false
    @Flag(help: "Print only errors and the result.") var quiet = false

    func validate() throws {
        if let keep, keep < 1 { throw ValidationError("--keep \(keep): keep at least 1 backup (omit --keep to keep all).") }
        if database.isEmpty { throw ValidationError("--database is empty: give the Babelfish database, e.g. babelfish_db.") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let log = PipelineLog(command: "bbf backup", quiet: quiet)
        do {
            let destination = try StorageLocation.parse(to, flag: "--to") { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            }
            var options = BackupOptions(destination: destination)
            options.database = database
            options.keep = keep
            options.workDirectory = workDir
            options.binDirectory = bin
            options.plainPostgres = plainPostgres
            let outcome = try BackupRunner(options: options, environment: environment, log: log).run()
            log.info("backup complete: \(outcome.address)")
            print(outcome.address)
        } catch {
            // An interruption makes the running tool fail: let its handler finish undoing and exit.
            Interruption.shared.parkIfInterrupted()
            FileHandle.standardError.write(Data("bbf backup: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
