import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The TLS clients and tools these tests drive.
enum TLSTools {
    static var path: String { (ProcessEnvironment.current()["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin" }
    static let openssl = findExecutable("openssl", path: "/usr/bin:/bin:/usr/local/bin")
    static let opensslSkip: Comment = "needs the openssl command (Debian's openssl, which ca-certificates brings in)"

    /// A python3 that has python-tds and pyOpenSSL.
    static let pythonTDS: String? = {
        guard let python = findExecutable("python3", path: path),
            let result = try? Command.run(python, ["-c", "import pytds, OpenSSL"], environment: ProcessEnvironment.current()),
            result.status.isSuccess
        else { return nil }
        return python
    }()
    static let pythonTDSSkip: Comment =
        "needs python3 with PyPI's python-tds and pyOpenSSL, an independent pure-Python TDS client: pip install python-tds pyOpenSSL (as .ci/run does)"

    static let tcpdump = findExecutable("tcpdump", path: path)
    static var canCapture: Bool { tcpdump != nil && Privileges.isRoot }
    static let captureSkip: Comment =
        "needs tcpdump (apt-get install tcpdump, as .ci/run does) and root, to capture the loopback traffic"
}

extension Sandbox {
    /// A copy of PGDATA/server.crt outside PGDATA, as `docker cp` makes one.
    func copyOutCertificate() throws -> String {
        let copy = root + "/copied-out.crt"
        try FileSystem.writeAtomically(copy, try FileSystem.readBytes(file(ManagedFiles.certificate)), permissions: 0o644)
        return copy
    }

    /// A libpq connection with `sslmode` (and a root certificate for verify-full).
    func connect(host: String, sslmode: String, rootCertificate: String? = nil) throws -> PostgresConnection {
        var parameters = [
            "host": host, "port": String(port), "user": "postgres", "password": "pg-secret-1", "dbname": "postgres",
            "sslmode": sslmode, "connect_timeout": "5",
        ]
        if let rootCertificate { parameters["sslrootcert"] = rootCertificate }
        return try PostgresConnection(parameters)
    }

    /// Whether the connection's session is encrypted, as the server sees it.
    func sessionIsEncrypted(_ connection: PostgresConnection) throws -> Bool {
        try connection.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar == "t"
    }

    /// FreeTDS's tsql against the server section `server` of a freetds.conf
    /// written for this test (FREETDSCONF); returns what it printed.
    func tsql(_ sql: String, server: String, configuration: String) throws -> String {
        guard let tsql = TestEnvironment.tsql else {
            try Test.cancel("needs FreeTDS's tsql, an independent TDS client: apt-get install freetds-bin (as .ci/run does)")
        }
        let conf = root + "/freetds.conf"
        try FileSystem.writeAtomically(conf, configuration, permissions: 0o644)
        let file = root + "/query-\(Int(Instant.now().nanoseconds % 1_000_000_000)).sql"
        try FileSystem.writeAtomically(file, sql + "\ngo\n", permissions: 0o644)
        let result = try Command.run(
            "/bin/sh", ["-c", "exec \"$1\" -S \"$2\" -U babelfish_user -P Bbf-secret-2 < \"$3\"", "sh", tsql, server, file],
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "FREETDSCONF": conf])
        return result.standardOutput + result.standardError
    }

    /// A freetds.conf with `[require]` (encryption required, the certificate
    /// checked against `certificate` for the name localhost) and `[off]`.
    func freetdsConfiguration(certificate: String) -> String {
        """
        [global]
        \ttds version = 7.4
        [require]
        \thost = localhost
        \tport = \(tdsPort)
        \tencryption = require
        \tca file = \(certificate)
        [off]
        \thost = 127.0.0.1
        \tport = \(tdsPort)
        \tencryption = off

        """
    }

    /// python-tds (pure Python TDS, TLS through pyOpenSSL): connects to
    /// localhost, with TLS for the whole session when `certificate` is given
    /// (verified, host name checked), else without; prints the first row.
    func pythonTDS(_ sql: String, certificate: String?) throws -> CommandResult {
        guard let python = TLSTools.pythonTDS else { try Test.cancel(TLSTools.pythonTDSSkip) }
        let script = root + "/pytds-client.py"
        try FileSystem.writeAtomically(
            script,
            """
            import sys, pytds
            port, cafile, sql = int(sys.argv[1]), sys.argv[2] or None, sys.argv[3]
            options = dict(cafile=cafile, validate_host=True, enc_login_only=False) if cafile else {}
            with pytds.connect(server='localhost', port=port, user='babelfish_user', password='Bbf-secret-2',
                               database='master', autocommit=True, login_timeout=10, **options) as connection:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    print(cursor.fetchone())

            """, permissions: 0o644)
        return try Command.run(python, [script, String(tdsPort), certificate ?? "", sql], environment: ProcessEnvironment.current())
    }

    /// Runs `body` while tcpdump records the loopback traffic of the TDS port;
    /// returns the capture's bytes.
    func captureTDS(_ name: String, _ body: () throws -> Void) throws -> [UInt8] {
        guard TLSTools.canCapture, let tcpdump = TLSTools.tcpdump else { try Test.cancel(TLSTools.captureSkip) }
        let capture = root + "/\(name).pcap"
        let log = root + "/\(name).tcpdump.log"
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("open", log) }
        defer { close(fd) }
        let child = try ChildProcess.spawn(
            executable: tcpdump,
            arguments: ["-i", "lo", "-n", "-U", "--immediate-mode", "-Z", "root", "-w", capture, "tcp port \(tdsPort)"],
            environment: ["PATH": "/usr/bin:/bin"], stdin: .null, stdout: .descriptor(fd), stderr: .descriptor(fd))
        defer {
            if child.poll() == nil {
                child.send(SIGTERM)
                if child.wait(timeoutMilliseconds: 10_000) == nil {
                    child.send(SIGKILL)
                    child.wait()
                }
            }
        }
        let listening = try waitUntil(timeoutSeconds: 20, pollMilliseconds: 20) {
            if let status = child.poll() {
                throw HarnessFailure("tcpdump \(status): \((try? FileSystem.readText(log)) ?? "")")
            }
            return ((try? FileSystem.readText(log)) ?? "").contains("listening on")
        }
        try #require(listening, "tcpdump did not start listening: \((try? FileSystem.readText(log)) ?? "")")
        try body()
        // Packet by packet (-U): done when the file stops growing.
        var last: Int64 = -1
        var stableSince = Instant.now()
        _ = waitUntil(timeoutSeconds: 10, pollMilliseconds: 50) {
            let size = (try? FileSystem.info(capture))?.size ?? 0
            if size != last {
                last = size
                stableSince = Instant.now()
            }
            return stableSince.millisecondsElapsed() > 300
        }
        child.send(SIGTERM)
        _ = child.wait(timeoutMilliseconds: 10_000)
        return try FileSystem.readBytes(capture)
    }
}

extension Array where Element == UInt8 {
    /// Whether the text occurs in these bytes as ASCII/UTF-8 or as UTF-16LE (how TDS sends SQL).
    func containsText(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        let utf16 = text.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        func has(_ pattern: [UInt8]) -> Bool {
            guard count >= pattern.count else { return false }
            return (0...(count - pattern.count)).contains { self[$0..<($0 + pattern.count)].elementsEqual(pattern) }
        }
        return has(utf8) || has(utf16)
    }
}

/// A fresh certificate and key made by the openssl command (RSA, so not what
/// the entrypoint makes), in the sandbox; returns their paths.
private func opensslPair(_ sandbox: Sandbox, name: String, subject: String = "/CN=localhost") throws -> (certificate: String, key: String) {
    let openssl = try #require(TLSTools.openssl)
    let certificate = sandbox.root + "/\(name).crt"
    let key = sandbox.root + "/\(name).key"
    _ = try Command.output(
        openssl,
        [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "30", "-subj", subject,
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ], environment: ["PATH": "/usr/bin:/bin"])
    try FileSystem.changePermissions(key, 0o600)
    return (certificate, key)
}

/// Files root owns and only root may read, as mounted secrets often are.
private func restrictToRoot(_ paths: String...) throws {
    for path in paths { try FileSystem.changePermissions(path, 0o600) }
}

@Suite(
    "TLS on the PostgreSQL port", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct TLSPostgresTests {
    @Test(
        "First boot makes a self-signed pair (key 0600, the server user's): sslmode=require and verify-full with the copied-out certificate work, sslmode=disable still connects"
    )
    func generatedOnFirstBoot() throws {
        let sandbox = try Sandbox()
        let server = try sandbox.start(environment: try sandbox.environment())
        #expect(server.log.contains("TLS: generated a self-signed certificate"))
        #expect(!server.log.contains("PRIVATE KEY"))
        let key = try #require(try FileSystem.info(sandbox.file(ManagedFiles.privateKey)))
        let certificate = try #require(try FileSystem.info(sandbox.file(ManagedFiles.certificate)))
        #expect(key.permissions & 0o777 == 0o600)
        let dataOwner = try #require(try FileSystem.info(sandbox.dataDirectory)).owner
        #expect(key.owner == dataOwner && certificate.owner == dataOwner)
        if Privileges.isRoot { #expect(key.owner == Privileges.account(named: "postgres")?.uid) }

        #expect(try sandbox.sessionIsEncrypted(try sandbox.connect(host: "127.0.0.1", sslmode: "require")))
        let copy = try sandbox.copyOutCertificate()
        for host in ["localhost", "127.0.0.1"] + (Network.isListening(host: "::1", port: sandbox.port) ? ["::1"] : []) {
            let verified = try sandbox.connect(host: host, sslmode: "verify-full", rootCertificate: copy)
            #expect(try sandbox.sessionIsEncrypted(verified), "\(host)")
        }
        #expect(throws: PostgresError.self) {
            try sandbox.connect(host: "127.0.0.1", sslmode: "verify-full", rootCertificate: "/etc/ssl/certs/ca-certificates.crt")
        }
        #expect(try !sandbox.sessionIsEncrypted(try sandbox.connect(host: "127.0.0.1", sslmode: "disable")))
        #expect(server.stop() == .exited(0))
    }

    @Test("The same pair on every boot; a data directory without one (as bbf bake ships it) gets its own on its next boot")
    func survivesRestartsAndBake() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        let first = try sandbox.start(environment: environment)
        #expect(first.stop() == .exited(0))
        let key = try FileSystem.readBytes(sandbox.file(ManagedFiles.privateKey))
        let certificate = try FileSystem.readBytes(sandbox.file(ManagedFiles.certificate))

        let second = try sandbox.start(environment: environment)
        #expect(!second.log.contains("TLS:"))
        #expect(try FileSystem.readBytes(sandbox.file(ManagedFiles.privateKey)) == key)
        #expect(try FileSystem.readBytes(sandbox.file(ManagedFiles.certificate)) == certificate)
        #expect(second.stop() == .exited(0))

        // bbf bake leaves server.key and server.crt out of the image's data layer.
        try FileSystem.removeTree(sandbox.file(ManagedFiles.privateKey))
        try FileSystem.removeTree(sandbox.file(ManagedFiles.certificate))
        let baked = try sandbox.start(environment: environment)
        #expect(baked.log.contains("TLS: generated a self-signed certificate"))
        #expect(baked.log.contains("is initialized: starting PostgreSQL"))
        #expect(try FileSystem.readBytes(sandbox.file(ManagedFiles.privateKey)) != key)
        let copy = try sandbox.copyOutCertificate()
        #expect(try sandbox.sessionIsEncrypted(try sandbox.connect(host: "localhost", sslmode: "verify-full", rootCertificate: copy)))
    }

    @Test("SIGKILL between server.key and server.crt, on a first boot and on a later one: the next start makes a whole new pair")
    func killedBetweenKeyAndCertificate() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        try sandbox.bootKilled(at: "certificate-file", environment: environment)
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.privateKey)) && !FileSystem.exists(sandbox.file(ManagedFiles.certificate)))
        let recovered = try sandbox.start(environment: environment)
        #expect(recovered.log.contains("holds an initialization that was interrupted"))
        #expect(recovered.stop() == .exited(0))

        // A later boot (a baked volume's first start) killed half-way through writing the pair.
        try FileSystem.removeTree(sandbox.file(ManagedFiles.privateKey))
        try FileSystem.removeTree(sandbox.file(ManagedFiles.certificate))
        try sandbox.bootKilled(at: "certificate-file", environment: environment)
        let halfKey = try FileSystem.readBytes(sandbox.file(ManagedFiles.privateKey))
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.certificate)))
        let health = try sandbox.run(["healthcheck"], environment: environment)
        #expect(health.status == .exited(1))
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("TLS: generated a self-signed certificate"))
        #expect(try FileSystem.readBytes(sandbox.file(ManagedFiles.privateKey)) != halfKey)
        let copy = try sandbox.copyOutCertificate()
        #expect(try sandbox.sessionIsEncrypted(try sandbox.connect(host: "localhost", sslmode: "verify-full", rootCertificate: copy)))
    }

    @Test("A generated certificate near its end is renewed at start, with the same key")
    func renewal() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        let first = try sandbox.start(environment: environment)
        #expect(first.stop() == .exited(0))
        let keyPath = sandbox.file(ManagedFiles.privateKey)
        let certificatePath = sandbox.file(ManagedFiles.certificate)
        let key = try FileSystem.readBytes(keyPath)
        let owner = try #require(try FileSystem.info(certificatePath))
        let nearEnd = try TLSCrypto.makeSelfSigned(
            commonName: TLSPolicy.commonName, organization: TLSPolicy.organization, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
            notBefore: Int64(time(nil)) - 820 * 86_400, validityDays: 825, key: key)
        try FileSystem.writeAtomically(certificatePath, nearEnd.certificate, permissions: 0o644)
        try FileSystem.changeOwner(certificatePath, user: owner.owner, group: owner.group)

        let second = try sandbox.start(environment: environment)
        #expect(second.log.contains("renewed it with the same key"), "log: \(second.log)")
        #expect(try FileSystem.readBytes(keyPath) == key)
        let renewed = try TLSCrypto.inspect(certificate: try FileSystem.readBytes(certificatePath))
        #expect(renewed.notAfter > Int64(time(nil)) + 800 * 86_400)
        #expect(try sandbox.sessionIsEncrypted(try sandbox.connect(host: "127.0.0.1", sslmode: "require")))
    }

    @Test(
        "BABELFISH_TLS_CERT_FILE / _KEY_FILE (root-only files, an RSA pair from openssl) are copied in and served; a new pair is picked up at the next start",
        .enabled(if: TLSTools.openssl != nil, TLSTools.opensslSkip))
    func providedPair() throws {
        let sandbox = try Sandbox()
        let mine = try opensslPair(sandbox, name: "mine", subject: "/CN=localhost/O=Team DEV")
        try restrictToRoot(mine.certificate, mine.key)
        let environment = try sandbox.environment(["BABELFISH_TLS_CERT_FILE": mine.certificate, "BABELFISH_TLS_KEY_FILE": mine.key])
        let first = try sandbox.start(environment: environment)
        #expect(first.log.contains("TLS: copied BABELFISH_TLS_CERT_FILE=\(mine.certificate)"))
        #expect(!first.log.contains("generated a self-signed"))
        #expect(try FileSystem.readBytes(sandbox.file(ManagedFiles.certificate)) == FileSystem.readBytes(mine.certificate))
        #expect(try FileSystem.readBytes(sandbox.file(ManagedFiles.privateKey)) == FileSystem.readBytes(mine.key))
        #expect(try #require(try FileSystem.info(sandbox.file(ManagedFiles.privateKey))).permissions & 0o777 == 0o600)
        let verified = try sandbox.connect(host: "localhost", sslmode: "verify-full", rootCertificate: mine.certificate)
        #expect(try sandbox.sessionIsEncrypted(verified))
        #expect(first.stop() == .exited(0))

        // Unchanged: nothing is written. Changed: the new pair is copied in.
        let unchanged = try sandbox.start(environment: environment)
        #expect(!unchanged.log.contains("TLS:"))
        #expect(unchanged.stop() == .exited(0))
        let next = try opensslPair(sandbox, name: "next")
        try restrictToRoot(next.certificate, next.key)
        try FileSystem.rename(next.certificate, to: mine.certificate)
        try FileSystem.rename(next.key, to: mine.key)
        let rotated = try sandbox.start(environment: environment)
        #expect(rotated.log.contains("TLS: copied"))
        #expect(
            try sandbox.sessionIsEncrypted(
                try sandbox.connect(host: "localhost", sslmode: "verify-full", rootCertificate: mine.certificate)))
    }

    /// One bad input each; `setUp` prepares the files in the sandbox.
    struct BadInput: CustomTestStringConvertible, Sendable {
        var name: String
        var expected: String
        var environment: @Sendable (Sandbox) throws -> [String: String]
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "a missing certificate file", expected: "cannot read BABELFISH_TLS_CERT_FILE=") { sandbox in
            let pair = try opensslPair(sandbox, name: "pair")
            return ["BABELFISH_TLS_CERT_FILE": sandbox.root + "/nowhere.crt", "BABELFISH_TLS_KEY_FILE": pair.key]
        },
        BadInput(name: "a certificate that is not PEM", expected: "is not a PEM certificate") { sandbox in
            let pair = try opensslPair(sandbox, name: "pair")
            try FileSystem.writeAtomically(sandbox.root + "/garbage.crt", "this is not a certificate\n", permissions: 0o644)
            return ["BABELFISH_TLS_CERT_FILE": sandbox.root + "/garbage.crt", "BABELFISH_TLS_KEY_FILE": pair.key]
        },
        BadInput(name: "a key of another certificate", expected: "is not the private key of the certificate in") { sandbox in
            let a = try opensslPair(sandbox, name: "a")
            let b = try opensslPair(sandbox, name: "b")
            return ["BABELFISH_TLS_CERT_FILE": a.certificate, "BABELFISH_TLS_KEY_FILE": b.key]
        },
        BadInput(name: "a passphrase-protected key", expected: "is protected by a passphrase") { sandbox in
            let pair = try opensslPair(sandbox, name: "pair")
            let openssl = try #require(TLSTools.openssl)
            let encrypted = sandbox.root + "/encrypted.key"
            _ = try Command.output(openssl, ["pkey", "-in", pair.key, "-aes256", "-passout", "pass:x", "-out", encrypted])
            return ["BABELFISH_TLS_CERT_FILE": pair.certificate, "BABELFISH_TLS_KEY_FILE": encrypted]
        },
        BadInput(name: "the two files swapped", expected: "swapped?") { sandbox in
            let pair = try opensslPair(sandbox, name: "pair")
            return ["BABELFISH_TLS_CERT_FILE": pair.key, "BABELFISH_TLS_KEY_FILE": pair.certificate]
        },
        BadInput(name: "a certificate without its key", expected: "BABELFISH_TLS_CERT_FILE is set but BABELFISH_TLS_KEY_FILE is not") {
            sandbox in
            ["BABELFISH_TLS_CERT_FILE": try opensslPair(sandbox, name: "pair").certificate]
        },
    ]

    @Test(
        "A bad certificate or key stops the first boot with the named error, and nothing is written",
        .enabled(if: TLSTools.openssl != nil, TLSTools.opensslSkip), arguments: badInputs)
    func badInputOnFirstBoot(_ input: BadInput) throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment(try input.environment(sandbox))
        let prepared = try treeSnapshot(sandbox.root)
        let result = try sandbox.run(sandbox.postgresArguments, environment: environment)
        #expect(result.status == .exited(1))
        #expect(result.output.contains(input.expected), "output: \(result.output)")
        for path in [environment["BABELFISH_TLS_CERT_FILE"], environment["BABELFISH_TLS_KEY_FILE"]].compactMap({ $0 }) {
            let body = ((try? FileSystem.readText(path)) ?? "").split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count > 20 }
            #expect(!body.contains { result.output.contains($0) }, "the output quotes \(path)")
        }
        #expect(!FileSystem.exists(sandbox.dataDirectory) && !FileSystem.exists(sandbox.socketDirectory))
        let written = treeDifferences(prepared, try treeSnapshot(sandbox.root)).filter { !$0.hasSuffix(".log") }
        #expect(written.isEmpty, "written: \(written)")
    }

    @Test(
        "A bad key on a later boot: refused before anything changes, the data directory byte for byte",
        .enabled(if: TLSTools.openssl != nil, TLSTools.opensslSkip))
    func badInputOnLaterBoot() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        try sandbox.start(environment: environment).stop()
        let a = try opensslPair(sandbox, name: "a")
        let b = try opensslPair(sandbox, name: "b")
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(
            sandbox.postgresArguments,
            environment: environment.merging(["BABELFISH_TLS_CERT_FILE": a.certificate, "BABELFISH_TLS_KEY_FILE": b.key]) { $1 })
        #expect(result.status == .exited(1))
        #expect(result.output.contains("BABELFISH_TLS_KEY_FILE=\(b.key) is not the private key of the certificate"))
        #expect(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)).isEmpty)
    }

    @Test(
        "Started as the postgres user, a key only root may read is refused by name",
        .enabled(if: TestEnvironment.canSwitchToPostgres && TLSTools.openssl != nil, TestEnvironment.switchSkipReason))
    func unreadableKey() throws {
        let sandbox = try Sandbox()
        let pair = try opensslPair(sandbox, name: "pair")
        try restrictToRoot(pair.certificate, pair.key)
        try FileSystem.changePermissions(pair.certificate, 0o644)
        let environment = try sandbox.environment(["BABELFISH_TLS_CERT_FILE": pair.certificate, "BABELFISH_TLS_KEY_FILE": pair.key])
        let result = try sandbox.run(sandbox.postgresArguments, environment: environment, asUser: "postgres")
        #expect(result.status == .exited(1))
        #expect(result.output.contains("cannot read BABELFISH_TLS_KEY_FILE=\(pair.key): Permission denied"), "output: \(result.output)")
        #expect(!FileSystem.exists(sandbox.dataDirectory))
    }

    @Test("BABELFISH_TLS=off: no certificate, no TLS; turned on later, the next boot makes the pair")
    func optOut() throws {
        let sandbox = try Sandbox()
        let off = try sandbox.start(environment: try sandbox.environment(["BABELFISH_TLS": "off"]))
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.certificate)) && !FileSystem.exists(sandbox.file(ManagedFiles.privateKey)))
        #expect(throws: PostgresError.self) { try sandbox.connect(host: "127.0.0.1", sslmode: "require") }
        #expect(try !sandbox.sessionIsEncrypted(try sandbox.connect(host: "127.0.0.1", sslmode: "prefer")))
        #expect(off.stop() == .exited(0))
        let on = try sandbox.start(environment: try sandbox.environment())
        #expect(on.log.contains("TLS: generated a self-signed certificate"))
        #expect(try sandbox.sessionIsEncrypted(try sandbox.connect(host: "127.0.0.1", sslmode: "require")))
    }
}

@Suite(
    "TLS on the TDS port (real Babelfish)", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasBabelfish, TestEnvironment.babelfishSkipReason))
struct TLSBabelfishTests {
    @Test(
        "FreeTDS (encryption = require, certificate checked) and python-tds (cafile, whole session) complete the handshake and run T-SQL; clients that do not encrypt still connect; 5432 accepts sslmode=require"
    )
    func encryptedClients() throws {
        let sandbox = try Sandbox()
        try sandbox.start(environment: try sandbox.environment(babelfish: true))
        let certificate = try sandbox.copyOutCertificate()
        let configuration = sandbox.freetdsConfiguration(certificate: certificate)

        let required = try sandbox.tsql(
            "DECLARE @greeting NVARCHAR(40) = N'encrypted hello';\nSELECT @greeting AS greeting, SUSER_NAME() AS login", server: "require",
            configuration: configuration)
        #expect(required.contains("encrypted hello") && required.contains("babelfish_user"), "tsql printed: \(required)")
        let plain = try sandbox.tsql("SELECT 'plain hello' AS greeting", server: "off", configuration: configuration)
        #expect(plain.contains("plain hello"), "tsql printed: \(plain)")

        let python = try sandbox.pythonTDS(
            "SET NOCOUNT ON; DECLARE @v NVARCHAR(40) = N'python over TLS'; SELECT @v, DB_NAME()", certificate: certificate)
        #expect(python.status.isSuccess, "python-tds: \(python.standardOutput)\(python.standardError)")
        #expect(python.standardOutput.contains("python over TLS"))
        let unencrypted = try sandbox.pythonTDS("SELECT N'python in clear'", certificate: nil)
        #expect(unencrypted.status.isSuccess, "python-tds: \(unencrypted.standardError)")
        #expect(unencrypted.standardOutput.contains("python in clear"))
        // The wrong trust anchor: the handshake must fail.
        let untrusted = try sandbox.pythonTDS("SELECT 1", certificate: "/etc/ssl/certs/ca-certificates.crt")
        #expect(!untrusted.status.isSuccess)

        #expect(try sandbox.sessionIsEncrypted(try sandbox.connect(host: "127.0.0.1", sslmode: "require")))
        var probe = try sandbox.environment(babelfish: true)
        probe["POSTGRES_PASSWORD"] = nil
        let health = try sandbox.run(["healthcheck"], environment: probe)
        #expect(health.status == .exited(0), "output: \(health.output)")
    }

    @Test(
        "A loopback capture: no query text in clear from FreeTDS or python-tds with encryption required; in clear without it (the capture sees queries)",
        .enabled(if: TLSTools.canCapture, TLSTools.captureSkip))
    func capture() throws {
        let sandbox = try Sandbox()
        try sandbox.start(environment: try sandbox.environment(babelfish: true))
        let certificate = try sandbox.copyOutCertificate()
        let configuration = sandbox.freetdsConfiguration(certificate: certificate)

        let tsqlSecret = "tsql-canary-7f3a9"
        let encryptedTSQL = try sandbox.captureTDS("tsql-require") {
            let output = try sandbox.tsql("SELECT N'\(tsqlSecret)' AS secret", server: "require", configuration: configuration)
            #expect(output.contains(tsqlSecret), "tsql printed: \(output)")
        }
        #expect(encryptedTSQL.count > 1000, "the capture holds no session")
        #expect(!encryptedTSQL.containsText(tsqlSecret), "the query text went in clear")
        #expect(!encryptedTSQL.containsText("babelfish_user"), "the login went in clear")

        let pythonSecret = "python-canary-2c81d"
        let encryptedPython = try sandbox.captureTDS("pytds-tls") {
            let result = try sandbox.pythonTDS("SELECT N'\(pythonSecret)'", certificate: certificate)
            #expect(result.standardOutput.contains(pythonSecret), "python-tds: \(result.standardOutput)\(result.standardError)")
        }
        #expect(encryptedPython.count > 1000, "the capture holds no session")
        #expect(!encryptedPython.containsText(pythonSecret), "the query text went in clear")

        // The same clients without encryption: the capture shows the text, so its absence above means something.
        let clearPython = try sandbox.captureTDS("pytds-clear") {
            _ = try sandbox.pythonTDS("SELECT N'\(pythonSecret)'", certificate: nil)
        }
        #expect(clearPython.containsText(pythonSecret), "the capture did not see an unencrypted query")
        let clearTSQL = try sandbox.captureTDS("tsql-off") {
            _ = try sandbox.tsql("SELECT N'\(tsqlSecret)' AS secret", server: "off", configuration: configuration)
        }
        #expect(clearTSQL.containsText(tsqlSecret), "the capture did not see an unencrypted query")
    }

    @Test(
        "BABELFISH_TLS_REQUIRE=true: a client that cannot encrypt is refused, one that only asks for login encryption gets the whole session encrypted, *.tsql init scripts still run, the health check passes"
    )
    func required() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-db.tsql", "CREATE DATABASE tlsdb;\nGO\n")
        let environment = try sandbox.environment(babelfish: true, ["BABELFISH_TLS_REQUIRE": "true"])
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("10-db.tsql"))
        let connection = try sandbox.connect(database: "babelfish_db")
        #expect(try connection.execute("SHOW babelfishpg_tds.tds_ssl_encrypt").scalar == "on")
        let certificate = try sandbox.copyOutCertificate()
        let configuration = sandbox.freetdsConfiguration(certificate: certificate)

        let refused = try sandbox.pythonTDS("SELECT N'should not run'", certificate: nil)
        #expect(!refused.status.isSuccess, "an unencrypted client was let in: \(refused.standardOutput)")
        #expect(!refused.standardOutput.contains("should not run"))
        let python = try sandbox.pythonTDS("SELECT name FROM sys.databases WHERE name = 'tlsdb'", certificate: certificate)
        #expect(python.standardOutput.contains("tlsdb"), "python-tds: \(python.standardOutput)\(python.standardError)")
        #expect(try sandbox.tsql("SELECT 'required hello'", server: "require", configuration: configuration).contains("required hello"))

        let secret = "login-only-canary-91b"
        let run: () throws -> Void = {
            let output = try sandbox.tsql("SELECT N'\(secret)'", server: "off", configuration: configuration)
            #expect(output.contains(secret), "tsql printed: \(output)")
        }
        if TLSTools.canCapture {
            let captured = try sandbox.captureTDS("off-under-require", run)
            #expect(captured.count > 1000 && !captured.containsText(secret), "FreeTDS encryption = off went in clear under tds_ssl_encrypt")
        } else {
            try run()
        }

        // The health check completes the TLS handshake the server waits for,
        // so it stays out of the server's log (a hang-up would log two lines).
        var probe = environment
        probe["POSTGRES_PASSWORD"] = nil
        probe["BABELFISH_PASSWORD"] = nil
        let before = server.log
        for _ in 0..<3 {
            let health = try sandbox.run(["healthcheck"], environment: probe)
            #expect(health.status == .exited(0), "output: \(health.output)")
            #expect(health.output.contains("TDS on 127.0.0.1:\(sandbox.tdsPort)"))
            #expect(health.output.contains("encryption required: TLSv1"), "output: \(health.output)")
        }
        let marker = "bbf-test: after the health checks under tds_ssl_encrypt"
        try sandbox.connect().execute("DO $$BEGIN RAISE LOG '\(marker)'; END$$")
        try server.waitForLog(marker)
        let added = server.log.dropFirst(before.count).split(separator: "\n").prefix { !$0.contains(marker) }
        #expect(added.isEmpty, "the health checks logged: \(Array(added))")
    }
}
