import BBFSystem
import Testing

@testable import BBFEntrypoint

#if canImport(Glibc)
    import Glibc
#endif

/// A fixed "now" (2026-01-01 00:00:00 UTC) for the pure decisions.
private let now: Int64 = 1_767_225_600
private let day: Int64 = 86_400

private func generated(notBefore: Int64 = now - 3600, days: Int = 825, key: [UInt8]? = nil, host: String? = "db1") throws -> TLSMaterial {
    let names = TLSPolicy.alternativeNames(hostname: host)
    return try TLSCrypto.makeSelfSigned(
        commonName: TLSPolicy.commonName, organization: TLSPolicy.organization, dnsNames: names.dns, ipAddresses: names.ip,
        notBefore: notBefore, validityDays: days, key: key)
}

/// OpenSSL's command-line tool, an independent reader of what the shim writes.
private let opensslTool = findExecutable("openssl", path: "/usr/bin:/bin:/usr/local/bin")
private let opensslSkip: Comment = "needs the openssl command (Debian's openssl package, which ca-certificates brings in)"

private func openssl(_ arguments: [String], input: [UInt8]? = nil) throws -> CommandResult {
    let tool = try #require(opensslTool)
    guard let input else { return try Command.run(tool, arguments, environment: ["PATH": "/usr/bin:/bin"]) }
    let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-tls-unit-")
    defer { try? FileSystem.removeTree(directory) }
    try FileSystem.writeAtomically(directory + "/in.pem", input)
    return try Command.run(tool, arguments + ["-in", directory + "/in.pem"], environment: ["PATH": "/usr/bin:/bin"])
}

@Suite("TLS: the generated certificate and the checks of a provided one")
struct TLSCryptoTests {
    @Test("A generated certificate reads back: our subject and issuer, 825 days from notBefore, its key")
    func generateAndInspect() throws {
        let material = try generated()
        let info = try TLSCrypto.inspect(certificate: material.certificate)
        #expect(info.count == 1)
        #expect(info.subject == "CN=localhost,O=Babelfish developer edition (bbf-entrypoint)")
        #expect(TLSPolicy.isGenerated(info))
        #expect(info.notBefore == now - 3600)
        #expect(info.notAfter - info.notBefore == 825 * day)
        #expect(info.fingerprint.split(separator: ":").count == 32)
        try TLSCrypto.checkKey(material.key, belongsTo: material.certificate)
        #expect(String(decoding: material.key, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(String(decoding: material.certificate, as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
        // Every pair is new: another key, another serial.
        let other = try generated()
        #expect(other.key != material.key)
        #expect(try TLSCrypto.inspect(certificate: other.certificate).sha256 != info.sha256)
    }

    @Test(
        "openssl reads the extensions back, and verifies the certificate as its own trust anchor for a TLS server",
        .enabled(if: opensslTool != nil, opensslSkip))
    func opensslAgrees() throws {
        let material = try generated(notBefore: Int64(time(nil)) - 3600)
        let text = try openssl(["x509", "-noout", "-text"], input: material.certificate)
        try #require(text.status.isSuccess, "\(text.standardError)")
        for expected in [
            "DNS:localhost, DNS:db1, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", "CA:FALSE", "Digital Signature",
            "TLS Web Server Authentication", "prime256v1", "ecdsa-with-SHA256", "X509v3 Subject Key Identifier",
            "X509v3 Authority Key Identifier",
        ] {
            #expect(text.standardOutput.contains(expected), "openssl x509 -text lacks \(expected):\n\(text.standardOutput)")
        }
        #expect(text.standardOutput.contains("X509v3 Basic Constraints: critical"))
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-tls-unit-")
        defer { try? FileSystem.removeTree(directory) }
        try FileSystem.writeAtomically(directory + "/server.crt", material.certificate)
        // What a client does once the certificate is copied out and trusted.
        let verified = try openssl([
            "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", "localhost", "-CAfile", directory + "/server.crt",
            directory + "/server.crt",
        ])
        #expect(verified.status.isSuccess, "\(verified.standardOutput)\(verified.standardError)")
        let byAddress = try openssl([
            "verify", "-purpose", "sslserver", "-verify_ip", "::1", "-CAfile", directory + "/server.crt", directory + "/server.crt",
        ])
        #expect(byAddress.status.isSuccess, "\(byAddress.standardOutput)\(byAddress.standardError)")
        let otherName = try openssl([
            "verify", "-purpose", "sslserver", "-verify_hostname", "example.com", "-CAfile", directory + "/server.crt",
            directory + "/server.crt",
        ])
        #expect(!otherName.status.isSuccess)
    }

    @Test("Renewing keeps the key and makes a new certificate")
    func renewKeepsKey() throws {
        let first = try generated(notBefore: now - 900 * day)
        let renewed = try generated(key: first.key)
        #expect(renewed.key == first.key)
        try TLSCrypto.checkKey(first.key, belongsTo: renewed.certificate)
        #expect(try TLSCrypto.inspect(certificate: renewed.certificate).notAfter > now)
    }

    @Test("A key of another certificate, text that is not PEM, and broken PEM are told apart")
    func failures() throws {
        let a = try generated()
        let b = try generated()
        #expect(throws: TLSCrypto.Failure.self) { try TLSCrypto.checkKey(a.key, belongsTo: b.certificate) }
        func kind(_ body: () throws -> Void) -> TLSCrypto.Failure.Kind? {
            do {
                try body()
                return nil
            } catch {
                return (error as? TLSCrypto.Failure)?.kind
            }
        }
        #expect(kind { try TLSCrypto.checkKey(a.key, belongsTo: b.certificate) } == .mismatch)
        #expect(kind { _ = try TLSCrypto.inspect(certificate: Array("hello, not a certificate\n".utf8)) } == .notPEM)
        #expect(kind { _ = try TLSCrypto.inspect(certificate: [0x30, 0x82, 0x01, 0x0a, 0x02, 0x82]) } == .notPEM)
        #expect(kind { try TLSCrypto.checkKey(Array("no key here".utf8), belongsTo: a.certificate) } == .notPEM)
        let truncated = Array(a.certificate.prefix(120)) + Array("\n-----END CERTIFICATE-----\n".utf8)
        #expect(kind { _ = try TLSCrypto.inspect(certificate: truncated) } == .invalid)
        let badKey = Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8)
        #expect(kind { try TLSCrypto.checkKey(badKey, belongsTo: a.certificate) } == .invalid)
        // A chain: the server's certificate first, then another.
        let chain = try TLSCrypto.inspect(certificate: a.certificate + b.certificate)
        #expect(chain.count == 2)
        try TLSCrypto.checkKey(a.key, belongsTo: a.certificate + b.certificate)
    }

    @Test("A passphrase-protected key is recognised", .enabled(if: opensslTool != nil, opensslSkip))
    func encryptedKey() throws {
        let material = try generated()
        let encrypted = try openssl(["pkey", "-aes256", "-passout", "pass:secret"], input: material.key)
        try #require(encrypted.status.isSuccess, "\(encrypted.standardError)")
        do {
            try TLSCrypto.checkKey(Array(encrypted.standardOutput.utf8), belongsTo: material.certificate)
            Issue.record("an encrypted key was accepted")
        } catch {
            #expect(error.kind == .encrypted)
        }
    }
}

@Suite("TLS: names, plans and messages")
struct TLSPlanTests {
    @Test("The names: localhost, 127.0.0.1, ::1 and a host name that is a DNS name")
    func names() {
        #expect(TLSPolicy.alternativeNames(hostname: "3f2a9c1d0b7e").dns == ["localhost", "3f2a9c1d0b7e"])
        #expect(TLSPolicy.alternativeNames(hostname: "DB.Example.com").dns == ["localhost", "db.example.com"])
        #expect(TLSPolicy.alternativeNames(hostname: "localhost").dns == ["localhost"])
        #expect(TLSPolicy.alternativeNames(hostname: nil).ip == ["127.0.0.1", "::1"])
        for bad in ["", "under_score", "-lead", "trail-", "a..b", "10.0.0.1", String(repeating: "a", count: 64), "sp ace"] {
            #expect(!TLSPolicy.isDNSName(bad), "\(bad)")
            #expect(TLSPolicy.alternativeNames(hostname: bad).dns == ["localhost"])
        }
    }

    private func files(_ material: TLSMaterial?, keyPresent: Bool? = nil) -> CertificateFilesState {
        CertificateFilesState(certificate: material?.certificate, keyPresent: keyPresent ?? (material != nil), key: material?.key)
    }

    @Test("Nothing there, or half a pair: generate. A sound generated pair: keep. Near its end: renew, same key")
    func generatedPlans() throws {
        #expect(CertificatePlan.action(provided: nil, files: files(nil), now: now).action == .generate)
        let fresh = try generated()
        #expect(CertificatePlan.action(provided: nil, files: files(fresh, keyPresent: false), now: now).action == .generate)
        #expect(CertificatePlan.action(provided: nil, files: CertificateFilesState(keyPresent: true), now: now).action == .generate)
        #expect(CertificatePlan.action(provided: nil, files: files(fresh), now: now).action == .keep)
        let old = try generated(notBefore: now - 810 * day)
        #expect(CertificatePlan.action(provided: nil, files: files(old), now: now).action == .renew(notAfter: now - 810 * day + 825 * day))
        let expired = try generated(notBefore: now - 900 * day)
        #expect(CertificatePlan.action(provided: nil, files: files(expired), now: now).action != .keep)
    }

    @Test("Someone else's certificate in PGDATA is kept; expired or unreadable, with a warning")
    func foreignPlans() throws {
        let names = TLSPolicy.alternativeNames(hostname: nil)
        let foreign = try TLSCrypto.makeSelfSigned(
            commonName: "db.corp.example", organization: "Corp", dnsNames: names.dns, ipAddresses: names.ip,
            notBefore: now - 900 * day, validityDays: 825)
        let expired = CertificatePlan.action(provided: nil, files: files(foreign), now: now)
        #expect(expired.action == .keep)
        #expect(expired.warnings.first?.contains("expired on") == true)
        let garbage = CertificatePlan.action(
            provided: nil, files: CertificateFilesState(certificate: Array("junk".utf8), keyPresent: true), now: now)
        #expect(garbage.action == .keep)
        #expect(garbage.warnings.first?.contains("PostgreSQL will not start with it") == true)
    }

    private func provided(_ material: TLSMaterial) throws -> ProvidedCertificate {
        ProvidedCertificate(
            material: material, info: try TLSCrypto.inspect(certificate: material.certificate), certificatePath: "/run/secrets/tls.crt",
            keyPath: "/run/secrets/tls.key")
    }

    @Test("A provided pair is copied in when PGDATA's differs, and left alone when it is the same")
    func providedPlans() throws {
        let mine = try provided(try generated())
        let other = try generated()
        #expect(CertificatePlan.action(provided: mine, files: files(nil), now: now).action == .install(mine))
        #expect(CertificatePlan.action(provided: mine, files: files(other), now: now).action == .install(mine))
        #expect(CertificatePlan.action(provided: mine, files: files(mine.material), now: now).action == .keep)
        var halfUpdated = files(mine.material)
        halfUpdated.certificate = other.certificate
        #expect(CertificatePlan.action(provided: mine, files: halfUpdated, now: now).action == .install(mine))
    }

    private func check(
        certificate: Result<[UInt8], ProvidedTLSFiles.FileProblem>, key: Result<[UInt8], ProvidedTLSFiles.FileProblem>
    )
        -> (provided: ProvidedCertificate?, problems: [String], warnings: [String])
    {
        ProvidedTLSFiles(certificatePath: "/certs/tls.crt", keyPath: "/certs/tls.key", certificate: certificate, key: key)
            .check(now: now)
    }

    @Test("Every problem of a provided pair names its variable and file, and says nothing was written")
    func providedProblems() throws {
        let a = try generated()
        let b = try generated()
        let missing = check(certificate: .failure(.init(reason: "no such file")), key: .failure(.init(reason: "Permission denied")))
        #expect(missing.problems.count == 2)
        #expect(missing.problems[0].contains("cannot read BABELFISH_TLS_CERT_FILE=/certs/tls.crt: no such file"))
        #expect(missing.problems[1].contains("cannot read BABELFISH_TLS_KEY_FILE=/certs/tls.key: Permission denied"))
        let mismatch = check(certificate: .success(a.certificate), key: .success(b.key))
        #expect(
            mismatch.problems == [
                "BABELFISH_TLS_KEY_FILE=/certs/tls.key is not the private key of the certificate in BABELFISH_TLS_CERT_FILE=/certs/tls.crt: PostgreSQL would refuse the pair. Give the key that was made with this certificate. Nothing was written."
            ])
        let swapped = check(certificate: .success(a.key), key: .success(a.certificate))
        #expect(swapped.problems.count == 2)
        #expect(swapped.problems.allSatisfy { $0.contains("swapped?") && $0.contains("Nothing was written.") })
        let notPEM = check(certificate: .success(Array("hello".utf8)), key: .success(a.key))
        #expect(notPEM.problems.count == 1)
        #expect(notPEM.problems[0].contains("BABELFISH_TLS_CERT_FILE=/certs/tls.crt is not a PEM certificate"))
        for problem in missing.problems + mismatch.problems + swapped.problems + notPEM.problems {
            #expect(!problem.contains("PRIVATE KEY-----\n"), "a message quotes key material")
        }
        let good = check(certificate: .success(a.certificate), key: .success(a.key))
        #expect(good.problems.isEmpty)
        #expect(good.provided?.material == a)
        #expect(good.warnings.isEmpty)
        let expired = try generated(notBefore: now - 900 * day)
        let late = check(certificate: .success(expired.certificate), key: .success(expired.key))
        #expect(late.problems.isEmpty)
        #expect(late.warnings.first?.contains("expired on 2025-10-") == true)
    }

    @Test("Dates are shown in UTC")
    func dates() {
        #expect(utcDate(now) == "2026-01-01")
        #expect(utcDate(0) == "1970-01-01")
    }
}

@Suite("TLS: the variables and the managed settings")
struct TLSSettingsTests {
    private func reading(_ environment: [String: String]) -> ConfigurationReading {
        EntrypointConfiguration.read(environment: environment) { _ in throw SystemError("open", "/nowhere", code: 2) }
    }

    @Test("On by default; BABELFISH_TLS=off, BABELFISH_TLS_REQUIRE=true; bad values named")
    func variables() {
        #expect(reading([:]).configuration.tlsEnabled)
        #expect(!reading([:]).configuration.tlsRequired)
        #expect(!reading(["BABELFISH_TLS": "off"]).configuration.tlsEnabled)
        #expect(reading(["BABELFISH_TLS_REQUIRE": "true"]).configuration.tlsRequired)
        #expect(reading(["BABELFISH_TLS": "sometimes"]).problems == ["BABELFISH_TLS=sometimes is not valid: use on (the default) or off."])
        #expect(reading(["BABELFISH_TLS_REQUIRE": "y"]).problems.first?.hasPrefix("BABELFISH_TLS_REQUIRE=y is not a boolean") == true)
        let pair = reading(["BABELFISH_TLS_CERT_FILE": "/c.pem", "BABELFISH_TLS_KEY_FILE": "/k.pem"])
        #expect(pair.problems.isEmpty)
        #expect(pair.configuration.tlsCertificateFile == "/c.pem")
        #expect(pair.configuration.tlsKeyFile == "/k.pem")
    }

    @Test("Half a pair, and settings that contradict each other, are refused with both names")
    func contradictions() {
        #expect(
            reading(["BABELFISH_TLS_CERT_FILE": "/c.pem"]).problems.first?.hasPrefix(
                "BABELFISH_TLS_CERT_FILE is set but BABELFISH_TLS_KEY_FILE is not") == true)
        #expect(
            reading(["BABELFISH_TLS_KEY_FILE": "/k.pem"]).problems.first?.hasPrefix(
                "BABELFISH_TLS_KEY_FILE is set but BABELFISH_TLS_CERT_FILE is not") == true)
        #expect(
            reading(["BABELFISH_TLS": "off", "BABELFISH_TLS_REQUIRE": "true"]).problems.first?.hasPrefix(
                "BABELFISH_TLS=off and BABELFISH_TLS_REQUIRE=true contradict each other") == true)
        let offWithFiles = reading(["BABELFISH_TLS": "off", "BABELFISH_TLS_CERT_FILE": "/c", "BABELFISH_TLS_KEY_FILE": "/k"])
        #expect(offWithFiles.problems.count == 2)
        #expect(
            reading(["BABELFISH_ENABLED": "false", "BABELFISH_TLS_REQUIRE": "true"]).problems.first?.hasPrefix(
                "BABELFISH_TLS_REQUIRE=true requires encryption on the TDS port") == true)
    }

    @Test("The managed file turns ssl on with PGDATA's server.crt and server.key, and requires TDS encryption only when asked")
    func managedSettings() {
        var config = EntrypointConfiguration()
        var settings = ConfigurationFile.parse(ManagedFiles.renderManagedConfiguration(config))
        #expect(ConfigurationFile.lastValue(of: "ssl", in: settings) == "on")
        #expect(ConfigurationFile.lastValue(of: "ssl_cert_file", in: settings) == "server.crt")
        #expect(ConfigurationFile.lastValue(of: "ssl_key_file", in: settings) == "server.key")
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.tds_ssl_encrypt", in: settings) == nil)
        config.tlsRequired = true
        settings = ConfigurationFile.parse(ManagedFiles.renderManagedConfiguration(config))
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.tds_ssl_encrypt", in: settings) == "on")
        config.tlsRequired = false
        config.tlsEnabled = false
        settings = ConfigurationFile.parse(ManagedFiles.renderManagedConfiguration(config))
        #expect(ConfigurationFile.lastValue(of: "ssl", in: settings) == nil)
        #expect(ConfigurationFile.lastValue(of: "ssl_cert_file", in: settings) == nil)
    }

    @Test("The preflight reports a bad provided pair together with the other problems")
    func preflight() throws {
        let installation = PostgresInstallation(
            binDirectory: "/opt/babelfish/bin", version: "17.5", major: 17, shareDirectory: "/opt/babelfish/share",
            libraryDirectory: "/opt/babelfish/lib")
        let environment = [
            "BABELFISH_TLS_CERT_FILE": "/certs/tls.crt", "BABELFISH_TLS_KEY_FILE": "/certs/tls.key", "BABELFISH_TDS_PORT": "80",
        ]
        var facts = PreflightFacts(
            reading: reading(environment), installation: .success(installation), missingBabelfishFiles: [],
            snapshot: .success(DataDirectorySnapshot(presence: .missing)), clusterFiles: nil, postgresArguments: [],
            identity: ProcessIdentity(uid: 999, gid: 999))
        facts.providedTLS = ProvidedTLSFiles(
            certificatePath: "/certs/tls.crt", keyPath: "/certs/tls.key", certificate: .failure(.init(reason: "no such file")),
            key: .failure(.init(reason: "no such file")))
        guard case .failure(let error) = Preflight.evaluate(facts) else {
            Issue.record("a missing certificate passed the preflight")
            return
        }
        for expected in [
            "BABELFISH_TDS_PORT=80", "cannot read BABELFISH_TLS_CERT_FILE", "cannot read BABELFISH_TLS_KEY_FILE",
            "POSTGRES_PASSWORD is not set",
        ] {
            #expect(error.message.contains(expected), "missing \(expected) in:\n\(error.message)")
        }
        let material = try generated(notBefore: now - 900 * day)
        facts.reading = reading(
            environment.merging(["BABELFISH_TDS_PORT": "1433", "POSTGRES_PASSWORD": "a", "BABELFISH_PASSWORD": "b"]) { $1 })
        facts.providedTLS?.certificate = .success(material.certificate)
        facts.providedTLS?.key = .success(material.key)
        facts.now = now
        let outcome = try Preflight.evaluate(facts).get()
        #expect(outcome.providedCertificate?.material == material)
        #expect(outcome.warnings.count == 1)
    }
}

@Suite("TLS: a later boot reads server.crt without OpenSSL")
struct CertificateSummaryTests {
    @Test("The hand reader agrees with OpenSSL on dates, and knows a generated certificate from another")
    func agreesWithOpenSSL() throws {
        // UTCTime, and GeneralizedTime (from 2050 on).
        for notBefore in [now - 3600, Int64(2_524_608_000) - 400 * day, 978_307_200] {
            let material = try generated(notBefore: notBefore)
            let summary = try #require(CertificateSummary.read(pem: material.certificate))
            let info = try TLSCrypto.inspect(certificate: material.certificate)
            #expect(summary.notBefore == info.notBefore && summary.notAfter == info.notAfter, "notBefore \(notBefore)")
            #expect(summary.isGenerated)
        }
        let names = TLSPolicy.alternativeNames(hostname: nil)
        let other = try TLSCrypto.makeSelfSigned(
            commonName: "localhost", organization: "Someone else", dnsNames: names.dns, ipAddresses: names.ip, notBefore: now,
            validityDays: 30)
        let summary = try #require(CertificateSummary.read(pem: other.certificate))
        #expect(!summary.isGenerated)
        #expect(summary.notAfter == now + 30 * day)
    }

    @Test("An RSA certificate made by the openssl command reads the same way", .enabled(if: opensslTool != nil, opensslSkip))
    func opensslCertificate() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-tls-unit-")
        defer { try? FileSystem.removeTree(directory) }
        let made = try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/k.pem", "-out", directory + "/c.pem", "-days", "10",
            "-subj", "/CN=db.example/O=Example",
        ])
        try #require(made.status.isSuccess, "\(made.standardError)")
        let pem = try FileSystem.readBytes(directory + "/c.pem")
        let summary = try #require(CertificateSummary.read(pem: pem))
        let info = try TLSCrypto.inspect(certificate: pem)
        #expect(summary.notBefore == info.notBefore && summary.notAfter == info.notAfter)
        #expect(!summary.isGenerated)
    }

    @Test("Text that is not a certificate gives nil, not a guess")
    func garbage() throws {
        #expect(CertificateSummary.read(pem: Array("junk".utf8)) == nil)
        #expect(CertificateSummary.read(pem: Array("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n".utf8)) == nil)
        #expect(CertificateSummary.read(pem: Array("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n".utf8)) == nil)
        let material = try generated()
        let truncated = Array(material.certificate.prefix(200)) + Array("\n-----END CERTIFICATE-----\n".utf8)
        #expect(CertificateSummary.read(pem: truncated) == nil)
        #expect(CertificateSummary.base64Decode(Array("aGVsbG8=".utf8)) == Array("hello".utf8))
        #expect(CertificateSummary.base64Decode(Array("aGVs bG8h\n".utf8)) == Array("hello!".utf8))
        #expect(daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
    }
}
