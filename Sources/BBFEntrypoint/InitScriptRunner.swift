import BBFSystem
import TDSClient

/// Runs the files of the init scripts directory against the temporary server.
struct InitScriptRunner {
    let context: BootContext
    let server: TemporaryServer

    private var config: EntrypointConfiguration { context.config }
    private var directory: String { config.initScriptsDirectory }

    /// The environment of psql and of shell scripts: the container's, plus
    /// PGHOST/PGPORT/PGUSER/PGDATABASE for the temporary server and where its TDS listens.
    var scriptEnvironment: [String: String] {
        var environment = context.environment
        environment.merge(server.clientEnvironment) { $1 }
        environment["PGDATABASE"] = config.extraDatabase ?? "postgres"
        if let tdsPort = server.tdsPort {
            environment["BABELFISH_INIT_TDS_HOST"] = "127.0.0.1"
            environment["BABELFISH_INIT_TDS_PORT"] = String(tdsPort)
        }
        return environment
    }

    func run(_ script: InitScript) throws {
        let path = directory + "/" + script.name
        Log.info("running \(path)")
        switch script.kind {
        case .sql:
            try runPsql(script, input: .file(path))
        case .compressedSQL(let decompressor):
            try runPsql(script, input: .decompressed(path, decompressor))
        case .shell(let executable):
            try runShell(script, path: path, executable: executable)
        case .tsql:
            try runTSQL(script, path: path)
        }
    }

    private enum PsqlInput {
        case file(String)
        case decompressed(String, String)
    }

    private func failure(_ script: InitScript, _ message: String) -> EntrypointError {
        EntrypointError(.initScriptFailed, step: InitStep.runInitScripts.rawValue, "\(directory)/\(script.name): \(message)")
    }

    private func runPsql(_ script: InitScript, input: PsqlInput) throws {
        let psql = try context.installation.tool("psql")
        var arguments = ["-v", "ON_ERROR_STOP=1", "--no-psqlrc", "--no-password"]
        let environment = scriptEnvironment
        switch input {
        case .file(let path):
            arguments += ["-f", path]
            let status = try ChildProcess.spawn(
                executable: psql, arguments: arguments, environment: environment, stdin: .null
            ).wait()
            guard status.isSuccess else { throw failure(script, "psql \(status); its output is above.") }
        case .decompressed(let path, let decompressorName):
            guard let decompressor = findExecutable(decompressorName, path: environment["PATH"]) else {
                throw failure(script, "\(decompressorName) is not installed in this image, so the file cannot be decompressed.")
            }
            arguments += ["-f", "-"]
            let pipe = try Pipe()
            let producer = try ChildProcess.spawn(
                executable: decompressor, arguments: ["-dc", path], environment: environment,
                stdin: .null, stdout: .descriptor(pipe.writeEnd))
            let consumer: ChildProcess
            do {
                consumer = try ChildProcess.spawn(
                    executable: psql, arguments: arguments, environment: environment, stdin: .descriptor(pipe.readEnd))
            } catch {
                pipe.closeBoth()
                producer.wait()
                throw error
            }
            pipe.closeBoth()
            let psqlStatus = consumer.wait()
            let decompressorStatus = producer.wait()
            guard psqlStatus.isSuccess else { throw failure(script, "psql \(psqlStatus); its output is above.") }
            guard decompressorStatus.isSuccess else {
                throw failure(script, "\(decompressorName) -dc \(decompressorStatus); the file may be damaged.")
            }
        }
    }

    private func runShell(_ script: InitScript, path: String, executable: Bool) throws {
        let environment = scriptEnvironment
        let child: ChildProcess
        if executable {
            child = try ChildProcess.spawn(executable: path, arguments: [], environment: environment, stdin: .null)
        } else {
            guard let shell = findExecutable("sh", path: environment["PATH"]) ?? findExecutable("/bin/sh", path: nil) else {
                throw failure(script, "no sh to run it with; make it executable or install a shell.")
            }
            child = try ChildProcess.spawn(executable: shell, arguments: [path], environment: environment, stdin: .null)
        }
        let status = child.wait()
        guard status.isSuccess else { throw failure(script, "the script \(status); its output is above.") }
    }

    private func runTSQL(_ script: InitScript, path: String) throws {
        guard config.babelfishEnabled, let tdsPort = server.tdsPort else {
            throw failure(script, "*.tsql scripts need Babelfish (BABELFISH_ENABLED is false).")
        }
        let batches: [TSQLBatch]
        do {
            batches = try TSQLBatches.split(try FileSystem.readText(path))
        } catch {
            throw failure(script, "\(error)")
        }
        let connection: TDSConnection
        do {
            connection = try TDSConnection(
                host: "127.0.0.1", port: tdsPort, user: config.babelfishUser, password: config.babelfishPassword ?? "")
        } catch {
            throw failure(script, "could not log in over TDS: \(error)")
        }
        for (index, batch) in batches.enumerated() {
            for _ in 0..<batch.repeatCount {
                do {
                    let result = try connection.execute(batch.text)
                    for message in result.messages where ![5701, 5703].contains(message.number) {
                        Log.info("\(script.name): \(message.text)")
                    }
                } catch {
                    throw failure(script, "batch \(index + 1) of \(batches.count) (starting at line \(batch.firstLine)) failed:\n\(error)")
                }
            }
        }
    }
}
