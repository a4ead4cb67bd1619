import BBFEntrypoint
import BBFSystem

#if canImport(Glibc)
    import Glibc
#endif

// Section 3a: a Babelfish first boot three ways on the same binaries, run in
// turn (one of each per round, so load on the machine hits all three alike),
// each up to the point where the final server would be started:
//   - the entrypoint's full initialization (BBF_INIT_TEMPLATE=off),
//   - the entrypoint's copy of a template made by make-template,
//   - the anchor's sequence (docker-babelfishpg's start.sh steps, restated).
// No init scripts: the anchor has none. Default durability on both sides.

/// The anchor's sequence: initdb, append the settings, start, create the
/// user and the database, CREATE EXTENSION babelfishpg_tds CASCADE, ALTER
/// SYSTEM, reload, initialize_babelfish, stop (its restart is the final
/// `exec postgres`, here `postgres -C`, as for the entrypoint). psql does the
/// SQL, as in start.sh; initialize_babelfish runs on a new psql connection so
/// that it sees the reloaded setting (start.sh runs it on the same one, which
/// races the reload). `initdbSync: false` gives it `initdb --no-sync`, the
/// entrypoint's relaxed default: the anchor without its one slow fsync step,
/// so the ratio does not hang on the disk. Returns the wall time in milliseconds.
@MainActor
func anchorFirstBoot(bin: String, root: String, initdbSync: Bool = true) -> Double {
    let data = root + "/data"
    let socket = root + "/sock"
    try? FileSystem.createDirectory(socket, permissions: 0o755)
    let postgres = Privileges.isRoot ? Privileges.account(named: "postgres") : nil
    if Privileges.isRoot {
        guard let postgres else { fail("the anchor's sequence runs as the postgres user, and there is none: useradd postgres") }
        try? FileSystem.changeOwner(root, user: postgres.uid, group: postgres.gid)
        try? FileSystem.changeOwner(socket, user: postgres.uid, group: postgres.gid)
    }
    guard let setpriv = findExecutable("setpriv", path: "/usr/bin:/bin") else {
        fail("the anchor's sequence as root needs setpriv (util-linux)")
    }
    let port = String((try? Network.freeLoopbackPort()) ?? 45433)
    let tdsPort = String((try? Network.freeLoopbackPort()) ?? 41434)
    let environment = ["PATH": "\(bin):/usr/bin:/bin", "LANG": "C.UTF-8", "PGHOST": socket, "PGPORT": port, "PGUSER": "postgres"]

    func step(_ tool: String, _ arguments: [String]) {
        let executable = tool.hasPrefix("/") ? tool : bin + "/" + tool
        let (command, words) =
            postgres == nil
            ? (executable, arguments) : (setpriv, ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable] + arguments)
        let (_, status) = timedRun(command, words, environment: environment)
        guard status.isSuccess else { fail("the anchor's sequence: \(tool) \(arguments.joined(separator: " ")) failed (\(status))") }
    }
    func psql(_ database: String, _ commands: [String]) {
        step("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database] + commands.flatMap { ["-c", $0] })
    }

    let start = Instant.now()
    step("initdb", ["-D", data, "-E", "UTF8", "-U", "postgres"] + (initdbSync ? [] : ["--no-sync"]))
    let settings = """

        listen_addresses = '*'
        port = \(port)
        unix_socket_directories = '\(socket)'
        allow_system_table_mods = off
        shared_preload_libraries = 'babelfishpg_tds'
        babelfishpg_tds.port = \(tdsPort)
        babelfishpg_tsql.database_name = 'babelfish_db'
        babelfishpg_tsql.migration_mode = 'multi-db'

        """
    guard let conf = try? FileSystem.readText(data + "/postgresql.conf"),
        (try? FileSystem.writeAtomically(data + "/postgresql.conf", conf + settings, permissions: 0o600)) != nil,
        let hba = try? FileSystem.readText(data + "/pg_hba.conf"),
        (try? FileSystem.writeAtomically(data + "/pg_hba.conf", hba + "host all all 0.0.0.0/0 md5\n", permissions: 0o600)) != nil
    else { fail("the anchor's sequence: cannot append to \(data)/postgresql.conf and pg_hba.conf") }
    if let postgres {
        try? FileSystem.changeOwner(data + "/postgresql.conf", user: postgres.uid, group: postgres.gid)
        try? FileSystem.changeOwner(data + "/pg_hba.conf", user: postgres.uid, group: postgres.gid)
    }
    step("pg_ctl", ["-D", data, "-w", "-l", root + "/server.log", "start"])
    psql(
        "postgres",
        [
            "CREATE USER babelfish_user WITH SUPERUSER CREATEDB CREATEROLE PASSWORD 'Bench-pw-2' INHERIT",
            "DROP DATABASE IF EXISTS babelfish_db", "CREATE DATABASE babelfish_db OWNER babelfish_user",
        ])
    psql(
        "babelfish_db",
        [
            "CREATE EXTENSION IF NOT EXISTS babelfishpg_tds CASCADE", "GRANT ALL ON SCHEMA sys TO babelfish_user",
            "ALTER USER babelfish_user CREATEDB", "ALTER SYSTEM SET babelfishpg_tsql.database_name = 'babelfish_db'",
            "SELECT pg_reload_conf()",
        ])
    psql("babelfish_db", ["CALL sys.initialize_babelfish('babelfish_user')"])
    step("pg_ctl", ["-D", data, "-w", "-m", "fast", "stop"])
    step("postgres", ["-D", data, "-C", "data_directory"])
    return start.millisecondsElapsed()
}

/// The entrypoint's first boot with `extra` settings, no init scripts;
/// the wall time in milliseconds and the log line that says how it was made.
@MainActor
func entrypointFirstBoot(bin: String, root: String, extra: [String: String], babelfish: Bool = true) -> (Double, String) {
    var environment = baseEnvironment(bin: bin, root: root, babelfish: babelfish)
    environment.merge(extra) { $1 }
    let log = root + "/boot.log"
    let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    let start = Instant.now()
    guard fd >= 0,
        let child = try? ChildProcess.spawn(
            executable: entrypoint, arguments: ["postgres", "-C", "data_directory"], environment: environment,
            stdin: .null, stdout: .descriptor(fd), stderr: .descriptor(fd))
    else { fail("cannot start the entrypoint") }
    let status = child.wait()
    close(fd)
    let wall = start.millisecondsElapsed()
    let text = (try? FileSystem.readText(log)) ?? ""
    guard status.isSuccess else { fail("first boot failed (\(status)):\n\(text)") }
    return (wall, text)
}

@MainActor
func reportSideBySide(babelfishHome: String) {
    let bin = babelfishHome + "/bin"
    let template = freshDirectory() + "/template"
    var makeEnvironment = baseEnvironment(bin: bin, root: FileSystem.parent(of: template), babelfish: true)
    makeEnvironment["PGDATA"] = nil
    makeEnvironment["POSTGRES_PASSWORD"] = nil
    makeEnvironment["BABELFISH_PASSWORD"] = nil
    let (makeMs, makeStatus) = timedRun(entrypoint, ["make-template", template], environment: makeEnvironment)
    guard makeStatus.isSuccess else { fail("make-template \(template) failed (\(makeStatus)); run it by hand to see why") }
    let rounds = max(options.boots, 5)
    var full: [Double] = []
    var copied: [Double] = []
    var anchor: [Double] = []
    var anchorNoSync: [Double] = []
    for _ in 0..<rounds {
        let (f, _) = entrypointFirstBoot(bin: bin, root: freshDirectory(), extra: ["BBF_INIT_TEMPLATE": "off"])
        full.append(f)
        let (t, log) = entrypointFirstBoot(bin: bin, root: freshDirectory(), extra: ["BBF_INIT_TEMPLATE": template])
        guard log.contains("first boot from the template cluster") else { fail("the template boot did not copy the template:\n\(log)") }
        copied.append(t)
        anchor.append(anchorFirstBoot(bin: bin, root: freshDirectory()))
        anchorNoSync.append(anchorFirstBoot(bin: bin, root: freshDirectory(), initdbSync: false))
    }
    let f = Stats(samples: full).median
    let t = Stats(samples: copied).median
    let a = Stats(samples: anchor).median
    print("3a. First boot with Babelfish, side by side on the same binaries (median of \(rounds) rounds, in turn; no init scripts)")
    print("   make-template (once, at image build time)   \(format(makeMs, 0)) ms")
    print("   \(pad("", 36)) \(pad("ms", 9)) \(pad("p90", 9)) vs anchor")
    print(
        "   \(pad("entrypoint, full initialization", 36)) \(pad(format(f, 0), 9)) \(pad(format(Stats(samples: full).p90, 0), 9)) \(format(f / max(a, 0.001)))x"
    )
    print(
        "   \(pad("entrypoint, template copy", 36)) \(pad(format(t, 0), 9)) \(pad(format(Stats(samples: copied).p90, 0), 9)) \(format(t / max(a, 0.001)))x   (target <= 0.50x: \(t <= 0.5 * a ? "met" : "NOT met"))"
    )
    print(
        "   \(pad("anchor's sequence (start.sh steps)", 36)) \(pad(format(a, 0), 9)) \(pad(format(Stats(samples: anchor).p90, 0), 9)) 1.00x"
    )
    let n = Stats(samples: anchorNoSync).median
    print(
        "   \(pad("anchor's sequence, initdb --no-sync", 36)) \(pad(format(n, 0), 9)) \(pad(format(Stats(samples: anchorNoSync).p90, 0), 9)) \(format(n / max(a, 0.001)))x   (template vs this: \(format(t / max(n, 0.001)))x, full vs this: \(format(f / max(n, 0.001)))x)"
    )
    print("   template / full initialization: \(format(t / max(f, 0.001)))x")
    print("")
}
