import Testing

@testable import BBFEntrypoint

@Suite("Configuration files")
struct ConfigurationFilesTests {
    @Test("The temporary server's socket directory goes in TMPDIR when it is absolute and short enough, else /tmp")
    func temporaryBase() {
        #expect(TemporaryServer.temporaryBase(environment: [:]) == "/tmp")
        #expect(TemporaryServer.temporaryBase(environment: ["TMPDIR": "/work/tmp/"]) == "/work/tmp")
        #expect(TemporaryServer.temporaryBase(environment: ["TMPDIR": "relative"]) == "/tmp")
        #expect(TemporaryServer.temporaryBase(environment: ["TMPDIR": "/" + String(repeating: "d", count: 80)]) == "/tmp")
    }

    @Test("postgresql.conf syntax: comments, quotes, escapes, optional =")
    func parsing() {
        let settings = ConfigurationFile.parse(
            """
            # comment
            listen_addresses = '*'		# trailing comment
            Shared_Preload_Libraries='babelfishpg_tds'
            port 5433
            babelfishpg_tsql.database_name = 'it''s'
            broken = 'unterminated
            include = 'bbf-entrypoint.conf'
            """)
        #expect(
            settings.map(\.name) == ["listen_addresses", "shared_preload_libraries", "port", "babelfishpg_tsql.database_name", "include"])
        #expect(ConfigurationFile.lastValue(of: "port", in: settings) == "5433")
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tsql.database_name", in: settings) == "it's")
        #expect(ConfigurationFile.lastValue(of: "SHARED_PRELOAD_LIBRARIES", in: settings) == "babelfishpg_tds")
        #expect(settings[1].line == 3)
    }

    @Test("The last assignment wins")
    func lastWins() {
        let settings = ConfigurationFile.parse("a = 1\na = 2\n")
        #expect(ConfigurationFile.lastValue(of: "a", in: settings) == "2")
    }

    @Test("Quoting doubles single quotes")
    func quoting() {
        #expect(ConfigurationFile.quote("it's") == "'it''s'")
        #expect(ConfigurationFile.parse("x = \(ConfigurationFile.quote("a'b"))").first?.value == "a'b")
    }

    @Test("The managed file preloads Babelfish and sets the TDS port")
    func managedBabelfish() {
        var config = EntrypointConfiguration()
        config.tdsPort = 11433
        config.socketDirectory = "/run/pg"
        let settings = ConfigurationFile.parse(ManagedFiles.renderManagedConfiguration(config))
        #expect(ConfigurationFile.lastValue(of: "listen_addresses", in: settings) == "*")
        #expect(ConfigurationFile.lastValue(of: "unix_socket_directories", in: settings) == "/run/pg")
        #expect(ConfigurationFile.lastValue(of: "shared_preload_libraries", in: settings) == "babelfishpg_tds")
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.port", in: settings) == "11433")
        // Babelfish's default (1) logs two lines per PRELOGIN, i.e. per health check.
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.tds_debug_log_level", in: settings) == "0")
    }

    @Test("A temporary server's endpoints replace the configured ones")
    func managedTemporaryEndpoints() {
        let config = EntrypointConfiguration()
        let text = ManagedFiles.renderManagedConfiguration(
            config, endpoints: .init(listenAddresses: "", socketDirectory: "/tmp/bbf-init-x", tdsPort: 40000))
        let settings = ConfigurationFile.parse(text)
        #expect(ConfigurationFile.lastValue(of: "listen_addresses", in: settings) == "")
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.port", in: settings) == "40000")
    }

    @Test("Without Babelfish nothing is preloaded")
    func managedPlain() {
        var config = EntrypointConfiguration()
        config.babelfishEnabled = false
        let settings = ConfigurationFile.parse(ManagedFiles.renderManagedConfiguration(config))
        #expect(ConfigurationFile.lastValue(of: "shared_preload_libraries", in: settings) == nil)
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.port", in: settings) == nil)
        #expect(ConfigurationFile.lastValue(of: "babelfishpg_tds.tds_debug_log_level", in: settings) == nil)
    }

    @Test("The include goes at the top of postgresql.conf, once")
    func include() throws {
        let original = "max_connections = 100\n"
        let updated = try #require(ManagedFiles.addingInclude(to: original))
        #expect(updated.hasSuffix(original))
        let settings = ConfigurationFile.parse(updated)
        #expect(settings.first?.name == "include")
        #expect(settings.first?.value == ManagedFiles.managedConfiguration)
        #expect(ManagedFiles.addingInclude(to: updated) == nil)
    }

    @Test("pg_hba.conf: local trust, the chosen method for TCP")
    func hostBasedAuthentication() {
        let text = ManagedFiles.renderHostBasedAuthentication(.md5)
        let rules = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
        #expect(rules.contains(["local", "all", "all", "trust"]))
        #expect(rules.contains(["host", "all", "all", "all", "md5"]))
        #expect(!text.contains("scram-sha-256\n"))
        #expect(
            ManagedFiles.renderHostBasedAuthentication(.trust).contains(
                "host    all             all             all                     trust"))
    }

    @Test("The state file round-trips and rejects unknown formats")
    func state() {
        let state = ClusterState(
            origin: .initialized, babelfish: true, entrypointVersion: "0.1.0", postgresVersion: "17.5",
            babelfishVersion: "5.2.0", babelfishUser: "babelfish_user")
        #expect(ClusterState.parse(state.render()) == state)
        let adopted = ClusterState(origin: .adopted, babelfish: false, entrypointVersion: "0.1.0", postgresVersion: "15.18")
        #expect(ClusterState.parse(adopted.render()) == adopted)
        #expect(ClusterState.parse("format=2\norigin=initialized\nbabelfish=true\n") == nil)
        #expect(ClusterState.parse("garbage") == nil)
    }

    @Test("postmaster.pid lines")
    func postmasterPID() throws {
        let parsed = try #require(
            PostmasterPID.parse("4242\n/var/lib/babelfish/data\n1732280000\n5432\n/var/run/postgresql\n*\n  1234567         8\nready   \n"))
        #expect(parsed.pid == 4242)
        #expect(parsed.port == 5432)
        #expect(parsed.socketDirectory == "/var/run/postgresql")
        #expect(parsed.listenAddress == "*")
        #expect(parsed.status == "ready")
        let starting = try #require(PostmasterPID.parse("1\n/d\n0\n5432\n/tmp/x\n\n  1 2\nstarting\n"))
        #expect(starting.listenAddress == "")
        #expect(starting.status == "starting")
        #expect(PostmasterPID.parse("") == nil)
    }
}
