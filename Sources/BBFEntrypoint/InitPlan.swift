/// The named steps of a first-boot initialization, in order.
public enum InitStep: String, Sendable, CaseIterable {
    /// Write the marker that says "initialization under way".
    case begin
    /// initdb into a staging directory inside PGDATA.
    case initdb
    /// Move the new cluster from the staging directory into PGDATA.
    case installCluster = "install-cluster"
    /// Copy the template cluster into PGDATA (instead of initdb ... initialize-babelfish).
    case copyTemplate = "copy-template"
    /// A new system identifier and mock-authentication nonce in pg_control, new WAL (pg_resetwal).
    case newIdentity = "new-identity"
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
    /// ALTER ROLE <login> PASSWORD (hashed on the client), for the template's login.
    case setLoginPassword = "set-login-password"
    /// The Babelfish database (owned by the login) and POSTGRES_DB.
    case createDatabases = "create-databases"
    /// CREATE EXTENSION babelfishpg_tds CASCADE, grants.
    case createExtension = "create-extension"
    /// ALTER SYSTEM SET database_name, migration_mode, collation; reload.
    case configureBabelfish = "configure-babelfish"
    /// CALL sys.initialize_babelfish on a fresh connection.
    case initializeBabelfish = "initialize-babelfish"
    /// Making a template: no role may keep a password.
    case scrubPasswords = "scrub-passwords"
    /// The init scripts directory, on a loopback-only restart of the server.
    case runInitScripts = "run-init-scripts"
    case stopTemporaryServer = "stop-temporary-server"
    /// Making a template: WAL reset and removed, statistics, postmaster.opts and caches removed.
    case trimTemplate = "trim-template"
    /// Make everything durable.
    case sync
    /// Write the state file, remove the marker.
    case commit
    /// Making a template: identical files linked, read-only modes, synced, manifest written last.
    case sealTemplate = "seal-template"
}

/// Which steps a first boot runs. Pure.
public enum InitPlan {
    public static func steps(
        for config: EntrypointConfiguration, hasInitScripts: Bool, source: InitializationSource = .initdb(reasons: [])
    ) -> [InitStep] {
        let fromTemplate: Bool
        if case .template = source { fromTemplate = true } else { fromTemplate = false }
        var steps: [InitStep] = [.begin]
        steps += fromTemplate ? [.copyTemplate, .newIdentity] : [.initdb, .installCluster]
        if config.tlsEnabled { steps.append(.writeCertificate) }
        steps += [.writeConfiguration, .startTemporaryServer]
        if config.superuserPassword != nil { steps.append(.setSuperuserPassword) }
        if fromTemplate {
            // The template holds the login, its database and Babelfish: only what differs per container is left.
            if config.babelfishEnabled && config.babelfishPassword != nil { steps.append(.setLoginPassword) }
            if let extra = config.extraDatabase, !(config.babelfishEnabled && extra == config.babelfishDatabase) {
                steps.append(.createDatabases)
            }
        } else {
            if config.babelfishEnabled { steps.append(.createLogin) }
            if config.babelfishEnabled || config.extraDatabase != nil { steps.append(.createDatabases) }
            if config.babelfishEnabled { steps += [.createExtension, .configureBabelfish, .initializeBabelfish] }
        }
        if hasInitScripts { steps.append(.runInitScripts) }
        steps += [.stopTemporaryServer, .sync, .commit]
        return steps
    }

    /// `make-template`: a first boot without passwords, certificate, init
    /// scripts or POSTGRES_DB, then trimmed and sealed.
    public static func templateSteps(for config: EntrypointConfiguration) -> [InitStep] {
        var steps: [InitStep] = [.begin, .initdb, .installCluster, .writeConfiguration, .startTemporaryServer]
        if config.babelfishEnabled {
            steps += [.createLogin, .createDatabases, .createExtension, .configureBabelfish, .initializeBabelfish]
        }
        steps += [.scrubPasswords, .stopTemporaryServer, .trimTemplate, .sealTemplate]
        return steps
    }
}
