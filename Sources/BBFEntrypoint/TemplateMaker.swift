import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `bbf-entrypoint make-template DIR`: the first boot's own code, run once
/// at image build time with the settings of the environment (the defaults
/// in an image build), into `DIR/data`, without passwords, certificate,
/// init scripts or POSTGRES_DB; then trimmed and sealed read-only, with
/// `DIR/bbf-template.conf` written last.
enum TemplateMaker {
    static func run(directory: String, environment: [String: String]) throws {
        guard directory.hasPrefix("/") else {
            throw EntrypointError(.invalidConfiguration, "make-template \(directory): give the template directory as an absolute path.")
        }
        let directory = normalized(directory)
        var config = try EntrypointConfiguration.parse(environment: environment) { try FileSystem.readText($0) }
        for warning in config.warnings { Log.warning(warning) }
        let ignored = [
            "POSTGRES_PASSWORD", "BABELFISH_PASSWORD", "POSTGRES_DB", "BABELFISH_TLS", "BABELFISH_TLS_REQUIRE", "BABELFISH_TLS_CERT_FILE",
            "BABELFISH_TLS_KEY_FILE", "BABELFISH_INITDB_DIR", "BBF_INIT_TEMPLATE",
        ].filter(config.explicitlySet.contains)
        if !ignored.isEmpty {
            Log.warning(
                "make-template ignores \(ignored.joined(separator: ", ")): a template holds no password, TLS key, init script result or extra database."
            )
        }
        config.dataDirectory = directory + "/" + TemplateFiles.data
        config.superuserPassword = nil
        config.babelfishPassword = nil
        config.extraDatabase = nil
        config.tlsEnabled = false
        config.tlsRequired = false
        config.tlsCertificateFile = nil
        config.tlsKeyFile = nil
        config.template = .off

        let installation = try PostgresInstallation.locate(path: environment["PATH"])
        if config.babelfishEnabled {
            let missing = installation.missingBabelfishFiles()
            if !missing.isEmpty {
                throw EntrypointError(
                    .installation,
                    "the PostgreSQL \(installation.version) in \(installation.binDirectory) has no Babelfish: \(missing.joined(separator: ", ")) not found (or set BABELFISH_ENABLED=false for a plain PostgreSQL template)."
                )
            }
        }
        if let info = try FileSystem.info(directory) {
            guard info.kind == .directory, try FileSystem.contents(ofDirectory: directory).isEmpty else {
                throw EntrypointError(
                    .invalidConfiguration, "make-template \(directory): it exists and is not an empty directory. Give a new or empty one.")
            }
        }
        if Privileges.isRoot {
            let account = try Entrypoint.postgresAccount()
            try FileSystem.createDirectory(directory, permissions: 0o755)
            try FileSystem.changeOwner(directory, user: account.uid, group: account.gid)
            try FileSystem.createDirectory(config.socketDirectory, permissions: 0o3775)
            try FileSystem.changeOwner(config.socketDirectory, user: account.uid, group: account.gid)
            try Privileges.drop(to: account)
        } else {
            try FileSystem.createDirectory(directory, permissions: 0o755)
            try Entrypoint.ensureSocketDirectory(config)
        }
        let context = BootContext(config: config, installation: installation, postgresArguments: [], environment: environment)
        let initializer = Initializer(context: context, scripts: [], steps: InitPlan.templateSteps(for: config))
        initializer.templateOutput = TemplateOutput(directory: directory, inputs: InitdbInputs.read(environment: environment))
        TerminationSignals.exitImmediately(printing: "[bbf-entrypoint] make-template stopped; remove the directory and run it again.\n")
        defer { TerminationSignals.restoreDefaults() }
        try initializer.run(clearingInterruptedInitialization: false)
    }
}
