import BBFSystem
import Testing

@testable import BBFEntrypoint

private let utcLink = "link:/usr/share/zoneinfo/Etc/UTC"
private let defaultInputs = InitdbInputs(localeVariables: ["LANG": "C.UTF-8"], timeZone: nil, localtime: utcLink)

/// The manifest of a template made with the defaults.
private func defaultManifest() -> TemplateManifest {
    let config = EntrypointConfiguration()
    return TemplateManifest(
        entrypointVersion: EntrypointVersion.current, postgresVersion: "16.3", babelfish: true, babelfishVersion: "4.2.0",
        superuser: config.superuser, babelfishUser: config.babelfishUser, babelfishDatabase: config.babelfishDatabase,
        migrationMode: config.migrationMode.rawValue, collation: nil, initdbArguments: [], inputs: defaultInputs,
        made: "2026-01-01 00:00:00.000 UTC", files: 1328, bytes: 35_000_000)
}

private func differences(_ config: EntrypointConfiguration, inputs: InitdbInputs = defaultInputs) -> [String] {
    TemplateMatch.differences(defaultManifest(), config: config, inputs: inputs, postgresVersion: "16.3", babelfishVersion: "4.2.0")
}

@Suite("The template cluster: when a first boot may copy it")
struct TemplateMatchTests {
    @Test("The defaults match a template made with the defaults; passwords, ports, TLS and durability do not matter")
    func defaultsMatch() {
        var config = EntrypointConfiguration()
        #expect(differences(config) == [])
        config.superuserPassword = "a"
        config.babelfishPassword = "b"
        config.tdsPort = 1500
        config.tlsEnabled = false
        config.durability = .strict
        config.hostAuthMethod = .password
        config.extraDatabase = "app"
        #expect(differences(config) == [])
    }

    @Test(
        "Each setting that makes a different cluster falls back to initdb, and the reason names it",
        arguments: [
            ("BABELFISH_MIGRATION_MODE", "single-db"), ("BABELFISH_COLLATION", "estonian_ci_as"), ("BABELFISH_USER", "dev_owner"),
            ("BABELFISH_DB", "dev_db"), ("POSTGRES_USER", "admin"), ("POSTGRES_INITDB_ARGS", "--data-checksums"),
            ("BABELFISH_ENABLED", "false"),
        ])
    func settingDiffers(variable: String, value: String) {
        let config = EntrypointConfiguration.read(environment: [variable: value]) { _ in "" }.configuration
        let found = differences(config)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("\(variable)=\(value) (the template's is ") == true, "\(found)")
    }

    @Test("An explicit collation differs from the default one, even when it names Babelfish's default")
    func explicitDefaultCollation() {
        var config = EntrypointConfiguration()
        config.collation = "sql_latin1_general_cp1_ci_as"
        #expect(differences(config).first?.contains("BABELFISH_COLLATION=sql_latin1_general_cp1_ci_as") == true)
    }

    @Test("A locale, TZ or /etc/localtime that initdb would see differently falls back, naming where it comes from")
    func initdbInputs() {
        let config = EntrypointConfiguration()
        let german = InitdbInputs(localeVariables: ["LANG": "C.UTF-8", "LC_COLLATE": "de_DE.UTF-8"], timeZone: nil, localtime: utcLink)
        #expect(differences(config, inputs: german) == ["LC_COLLATE de_DE.UTF-8 from LC_COLLATE (the template's is C.UTF-8)"])
        let all = InitdbInputs(localeVariables: ["LC_ALL": "C"], timeZone: nil, localtime: utcLink)
        #expect(differences(config, inputs: all).count == InitdbInputs.localeCategories.count)
        #expect(differences(config, inputs: all).allSatisfy { $0.contains("from LC_ALL") })
        let berlin = InitdbInputs(localeVariables: ["LANG": "C.UTF-8"], timeZone: "Europe/Berlin", localtime: utcLink)
        #expect(differences(config, inputs: berlin) == ["TZ=Europe/Berlin (the template's is unset)"])
        let mounted = InitdbInputs(localeVariables: ["LANG": "C.UTF-8"], timeZone: nil, localtime: "file:0102")
        #expect(differences(config, inputs: mounted).first?.hasPrefix("/etc/localtime a file of 2 bytes") == true)
        // The same effective locale by another variable is the same cluster.
        let sameByAll = InitdbInputs(localeVariables: ["LC_ALL": "C.UTF-8"], timeZone: nil, localtime: utcLink)
        #expect(differences(config, inputs: sameByAll) == [])
    }

    @Test("Another PostgreSQL, Babelfish or entrypoint version than the template's falls back")
    func versions() {
        let config = EntrypointConfiguration()
        let manifest = defaultManifest()
        #expect(
            TemplateMatch.differences(manifest, config: config, inputs: defaultInputs, postgresVersion: "16.4", babelfishVersion: "4.2.0")
                == ["PostgreSQL 16.4 (the template was made by PostgreSQL 16.3)"])
        #expect(
            TemplateMatch.differences(manifest, config: config, inputs: defaultInputs, postgresVersion: "16.3", babelfishVersion: "4.3.0")
                == ["Babelfish 4.3.0 (the template was made with Babelfish 4.2.0)"])
        var older = manifest
        older.entrypointVersion = "0.0.1"
        #expect(
            TemplateMatch.differences(older, config: config, inputs: defaultInputs, postgresVersion: "16.3", babelfishVersion: "4.2.0")
                .first?.contains("made by 0.0.1") == true)
    }

    @Test("The source: the template when it matches, initdb with the reasons when not, initdb when none is there or it is off")
    func source() {
        var config = EntrypointConfiguration()
        let manifest = defaultManifest()
        func source(_ setting: TemplateSetting, _ manifest: TemplateManifest?) -> InitializationSource {
            TemplateMatch.source(
                setting: setting, manifest: manifest, config: config, inputs: defaultInputs, postgresVersion: "16.3",
                babelfishVersion: "4.2.0")
        }
        #expect(source(.image, manifest) == .template(directory: "/opt/babelfish/template", manifest: manifest))
        #expect(source(.directory("/t"), manifest) == .template(directory: "/t", manifest: manifest))
        #expect(source(.off, manifest) == .initdb(reasons: []))
        #expect(source(.image, nil) == .initdb(reasons: []))
        config.babelfishDatabase = "dev_db"
        let fallback = source(.image, manifest)
        #expect(fallback == .initdb(reasons: ["BABELFISH_DB=dev_db (the template's is babelfish_db)"], template: "/opt/babelfish/template"))
        let line = TemplateMatch.logLine(fallback) ?? ""
        #expect(line.contains("a full initialization (initdb), not the template cluster /opt/babelfish/template"))
        #expect(line.contains("BABELFISH_DB=dev_db"))
        #expect(TemplateMatch.logLine(.initdb(reasons: [])) == nil)
    }

    @Test("The manifest reads back what it says, and is refused when it is not one this version knows")
    func manifestRoundTrip() {
        var manifest = defaultManifest()
        manifest.initdbArguments = ["--data-checksums", "--locale-provider=icu", "--icu-locale=en US"]
        manifest.collation = "estonian_ci_as"
        manifest.inputs = InitdbInputs(localeVariables: ["LANG": "C.UTF-8", "LC_TIME": "C"], timeZone: "UTC", localtime: "none")
        #expect(TemplateManifest.parse(manifest.render()) == manifest)
        #expect(TemplateManifest.parse(manifest.render().replacing("format=1", with: "format=2")) == nil)
        #expect(TemplateManifest.parse("format=1\n") == nil)
    }

    @Test("The locale initdb sees: LC_ALL, then LC_<category>, then LANG, else C")
    func localeResolution() {
        let inputs = InitdbInputs(
            localeVariables: ["LANG": "en_US.UTF-8", "LC_TIME": "de_DE.UTF-8"], timeZone: nil, localtime: "none")
        #expect(inputs.locale["LC_TIME"]! == ("de_DE.UTF-8", "LC_TIME"))
        #expect(inputs.locale["LC_COLLATE"]! == ("en_US.UTF-8", "LANG"))
        #expect(InitdbInputs(localeVariables: [:], timeZone: nil, localtime: "none").locale["LC_CTYPE"]!.value == "C")
        let read = InitdbInputs.read(environment: ["LANG": "C.UTF-8", "LC_ALL": "", "TZ": ""], localtimePath: "/nonexistent")
        #expect(read == InitdbInputs(localeVariables: ["LANG": "C.UTF-8"], timeZone: nil, localtime: "none"))
    }
}

@Suite("The plan of a first boot from a template")
struct TemplatePlanTests {
    private let template = InitializationSource.template(directory: "/t", manifest: defaultManifest())

    @Test("A template boot copies, gives the copy its own identity and passwords, and keeps the marker first and commit last")
    func templateSteps() {
        var config = EntrypointConfiguration()
        config.superuserPassword = "a"
        config.babelfishPassword = "b"
        #expect(
            InitPlan.steps(for: config, hasInitScripts: false, source: template) == [
                .begin, .copyTemplate, .newIdentity, .writeCertificate, .writeConfiguration, .startTemporaryServer,
                .setSuperuserPassword, .setLoginPassword, .stopTemporaryServer, .sync, .commit,
            ])
        config.extraDatabase = "app"
        let withExtras = InitPlan.steps(for: config, hasInitScripts: true, source: template)
        #expect(withExtras.contains(.createDatabases) && withExtras.contains(.runInitScripts))
        #expect(!withExtras.contains(.initdb) && !withExtras.contains(.createExtension) && !withExtras.contains(.initializeBabelfish))
        config.extraDatabase = config.babelfishDatabase
        #expect(!InitPlan.steps(for: config, hasInitScripts: false, source: template).contains(.createDatabases))
        config.superuserPassword = nil
        config.babelfishPassword = nil
        let trust = InitPlan.steps(for: config, hasInitScripts: false, source: template)
        #expect(!trust.contains(.setSuperuserPassword) && !trust.contains(.setLoginPassword))
    }

    @Test("Making a template: no certificate, password, script or commit; scrubbed, trimmed and sealed")
    func makingSteps() {
        let config = EntrypointConfiguration()
        #expect(
            InitPlan.templateSteps(for: config) == [
                .begin, .initdb, .installCluster, .writeConfiguration, .startTemporaryServer, .createLogin, .createDatabases,
                .createExtension, .configureBabelfish, .initializeBabelfish, .scrubPasswords, .stopTemporaryServer, .trimTemplate,
                .sealTemplate,
            ])
        var plain = config
        plain.babelfishEnabled = false
        #expect(
            InitPlan.templateSteps(for: plain) == [
                .begin, .initdb, .installCluster, .writeConfiguration, .startTemporaryServer, .scrubPasswords, .stopTemporaryServer,
                .trimTemplate, .sealTemplate,
            ])
    }

    @Test("make-template takes exactly one directory")
    func command() {
        #expect(Entrypoint.command(for: ["make-template", "/opt/babelfish/template"]) == .makeTemplate("/opt/babelfish/template"))
        if case .usage = Entrypoint.command(for: ["make-template"]) {} else { Issue.record("no usage error without a directory") }
        if case .usage = Entrypoint.command(for: ["make-template", "/a", "/b"]) {} else { Issue.record("no usage error for two") }
    }
}

@Suite("pg_control: a new system identifier and nonce")
struct ControlFileTests {
    /// A made-up control file laid out as PostgreSQL's: identifier, fields, nonce, CRC, zero padding.
    private func controlFile(identifier: UInt64, nonce: [UInt8], fields: Int = 200) -> [UInt8] {
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: identifier >> (8 * UInt64($0))) }
        bytes += (0..<fields).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        bytes += nonce
        let crc = CRC32C.checksum(bytes)
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        bytes += [UInt8](repeating: 0, count: 8192 - bytes.count)
        return bytes
    }

    @Test("CRC-32C of the standard check string is 0xE3069283")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test("The CRC is found where it is, for any length of the fields between identifier and nonce")
    func findsCRC() {
        let nonce = [UInt8](repeating: 0xAB, count: 32)
        for fields in [200, 248, 264, 300] {
            let bytes = controlFile(identifier: 7_000_000_000_000_000_001, nonce: nonce, fields: fields)
            #expect(ControlFile.crcOffset(in: bytes) == 8 + fields + 32)
            #expect(ControlFile.nonce(in: bytes) == nonce)
            #expect(ControlFile.systemIdentifier(in: bytes) == 7_000_000_000_000_000_001)
        }
        #expect(ControlFile.crcOffset(in: [UInt8](repeating: 1, count: 8192)) == nil)
    }

    @Test("A new identity: identifier and nonce replaced, the CRC valid again, every other byte kept")
    func newIdentity() throws {
        let old = controlFile(identifier: 1, nonce: [UInt8](repeating: 1, count: 32))
        let nonce = (0..<32).map { UInt8($0) }
        let updated = try #require(ControlFile.withIdentity(old, systemIdentifier: 42, nonce: nonce))
        #expect(ControlFile.systemIdentifier(in: updated) == 42)
        #expect(ControlFile.nonce(in: updated) == nonce)
        #expect(ControlFile.crcOffset(in: updated) == ControlFile.crcOffset(in: old))
        #expect(updated[8..<208] == old[8..<208])
        #expect(updated[244...] == old[244...])
        #expect(ControlFile.withIdentity(old, systemIdentifier: 42, nonce: [1, 2]) == nil)
    }

    @Test("A system identifier is made the way initdb makes one: seconds high, microseconds and 12 more bits low")
    func identifierLayout() {
        let identifier = ControlFile.newSystemIdentifier(seconds: 1_800_000_000, microseconds: 999_999, random: 0xFFFF)
        #expect(identifier >> 32 == 1_800_000_000)
        #expect((identifier & 0xFFFF_FFFF) >> 12 == 999_999 & 0xFFFFF)
        #expect(identifier & 0xFFF == 0xFFF)
    }
}

@Suite("Before anything is written: the template a first boot would copy")
struct TemplatePreflightTests {
    private let installation = PostgresInstallation(
        binDirectory: "/opt/babelfish/bin", version: "16.3", major: 16, shareDirectory: "/opt/babelfish/share",
        libraryDirectory: "/opt/babelfish/lib")

    private func evaluate(_ environment: [String: String], manifestText: String?) -> Result<PreflightOutcome, EntrypointError> {
        let reading = EntrypointConfiguration.read(environment: environment) { _ in throw SystemError("open", "/nowhere", code: 2) }
        let facts = PreflightFacts(
            reading: reading, installation: .success(installation), missingBabelfishFiles: [],
            snapshot: .success(DataDirectorySnapshot(presence: .missing)), clusterFiles: nil, postgresArguments: [],
            identity: ProcessIdentity(uid: 999, gid: 999),
            template: reading.configuration.template.directory.map {
                .init(directory: $0, manifestText: manifestText, inputs: defaultInputs, babelfishVersion: "4.2.0")
            })
        return Preflight.evaluate(facts)
    }

    private let passwords = ["POSTGRES_PASSWORD": "a", "BABELFISH_PASSWORD": "b"]

    @Test("The image's template is used when it matches; without one, initdb says nothing about templates")
    func imageTemplate() throws {
        let manifest = defaultManifest()
        let used = try evaluate(passwords, manifestText: manifest.render()).get()
        #expect(used.initialization == .template(directory: "/opt/babelfish/template", manifest: manifest))
        #expect(try evaluate(passwords, manifestText: nil).get().initialization == .initdb(reasons: []))
        var other = passwords
        other["BABELFISH_MIGRATION_MODE"] = "single-db"
        let fallback = try evaluate(other, manifestText: manifest.render()).get().initialization
        #expect(
            fallback
                == .initdb(
                    reasons: ["BABELFISH_MIGRATION_MODE=single-db (the template's is multi-db)"], template: "/opt/babelfish/template"))
    }

    @Test("BBF_INIT_TEMPLATE naming a directory without a template is refused before anything is written; off never looks")
    func explicitTemplate() throws {
        var environment = passwords
        environment["BBF_INIT_TEMPLATE"] = "/srv/template"
        guard case .failure(let error) = evaluate(environment, manifestText: nil) else {
            Issue.record("a missing template was accepted")
            return
        }
        #expect(error.message.contains("BBF_INIT_TEMPLATE=/srv/template holds no template"))
        guard case .failure(let unreadable) = evaluate(environment, manifestText: "format=9\n") else {
            Issue.record("an unknown manifest was accepted")
            return
        }
        #expect(unreadable.message.contains("not a template manifest this entrypoint understands"))
        environment["BBF_INIT_TEMPLATE"] = "off"
        #expect(try evaluate(environment, manifestText: nil).get().initialization == .initdb(reasons: []))
        environment["BBF_INIT_TEMPLATE"] = "relative/dir"
        guard case .failure(let relative) = evaluate(environment, manifestText: nil) else {
            Issue.record("a relative BBF_INIT_TEMPLATE was accepted")
            return
        }
        #expect(relative.message.contains("BBF_INIT_TEMPLATE=relative/dir is not valid"))
    }
}
