/// The named steps of a first-boot initialization, in order.
public enum InitStep: String, Sendable, CaseIterable {
    /// Write the marker that says "initialization under way".
    case begin
    /// initdb into a staging directory inside PGDATA.
    case initdb
    /// Move the new cluster from the staging directory into PGDATA.
    case installCluster = "install-cluster"
    /// PGDATA/server.crt and server.key: a new self-signed pair, or the provided one.
    case writeCertificate = "write-certificate"
    /// The managed configuration file, its include, pg_hba.conf.
    case writeConfiguration = "write-configuration"
    /// A server on a private socket only.
    case startTemporaryServer = "start-temporary-server"
    /// ALTER ROLE <superuser> PASSWORD (hashed on the client).
    case setSuperuserPassword = "set-superuser-password"
    /// CREATE ROLE for the Babelfish login.
    case createLogin = "create-login"
    /// The Babelfish database (owned by the login) and POSTGRES_DB.
    case createDatabases = "create-databases"
    /// CREATE EXTENSION babelfishpg_tds CASCADE, grants.
    case createExtension = "create-extension"
    /// ALTER SYSTEM SET database_name, migration_mode, collation; reload.
    case configureBabelfish = "configure-babelfish"
    /// CALL sys.initialize_babelfish on a fresh connection.
    case initializeBabelfish = "initialize-babelfish"
    /// The init scripts directory, on a loopback-only restart of the server.
    case runInitScripts = "run-init-scripts"
    case stopTemporaryServer = "stop-temporary-server"
    /// Make everything durable.
    case sync
    /// Write the state file, remove the marker.
    case commit
}

/// Which steps a first boot runs. Pure.
public enum InitPlan {
    public static func steps(for config: EntrypointConfiguration, hasInitScripts: Bool) -> [InitStep] {
        var steps: [InitStep] = [.begin, .initdb, .installCluster]
        if config.tlsEnabled { steps.append(.writeCertificate) }
        steps += [.writeConfiguration, .startTemporaryServer]
        if config.superuserPassword != nil { steps.append(.setSuperuserPassword) }
        if config.babelfishEnabled { steps.append(.createLogin) }
        if config.babelfishEnabled || config.extraDatabase != nil { steps.append(.createDatabases) }
        if config.babelfishEnabled { steps += [.createExtension, .configureBabelfish, .initializeBabelfish] }
        if hasInitScripts { steps.append(.runInitScripts) }
        steps += [.stopTemporaryServer, .sync, .commit]
        return steps
    }
}
