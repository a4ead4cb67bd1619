import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Everything the entrypoint learns before it writes a file: the
/// environment, the PostgreSQL installation, the data directory and who this
/// process runs as. Gathering it only reads; `Preflight.evaluate` (pure)
/// turns it into a decision or into every problem at once, so that one run
/// shows the user all there is to fix.
struct PreflightFacts {
    var reading: ConfigurationReading
    var installation: Result<PostgresInstallation, EntrypointError>
    /// Babelfish files the installation lacks (empty when complete or unknown).
    var missingBabelfishFiles: [String]
    /// nil when PGDATA itself is not usable (its problem is in `reading`).
    var snapshot: Result<DataDirectorySnapshot, EntrypointError>?
    /// The cluster's settings files, read for a cluster that may be adopted.
    var clusterFiles: ClusterConfigurationFiles?
    var postgresArguments: [String]
    var identity: ProcessIdentity
    /// BABELFISH_TLS_CERT_FILE and _KEY_FILE as read, when both are set and TLS is on.
    var providedTLS: ProvidedTLSFiles? = nil
    /// Unix time, for the provided certificate's validity.
    var now: Int64 = 0
    /// The template a first boot may copy: its manifest's text (nil: no
    /// manifest there), read only when the directory needs a first boot.
    var template: TemplateFacts? = nil

    /// What is read of a template for the first-boot decision.
    struct TemplateFacts {
        var directory: String
        var manifestText: String?
        var inputs: InitdbInputs
        /// The installation's `babelfishpg_tsql` default version.
        var babelfishVersion: String?
    }

    /// Reads the facts; changes nothing.
    static func gather(postgresArguments: [String], environment: [String: String]) -> PreflightFacts {
        let reading = EntrypointConfiguration.read(environment: environment) { path in try FileSystem.readText(path) }
        let config = reading.configuration
        let installation = Result { try PostgresInstallation.locate(path: environment["PATH"]) }
            .mapError { $0 as? EntrypointError ?? EntrypointError(.installation, "\($0)") }
        var snapshot: Result<DataDirectorySnapshot, EntrypointError>?
        var clusterFiles: ClusterConfigurationFiles?
        if !reading.invalidVariables.contains("PGDATA") {
            snapshot = Result { try DataDirectorySnapshot.read(config.dataDirectory) }
                .mapError { EntrypointError(.unsupportedDataDirectory, "cannot read PGDATA=\(config.dataDirectory): \($0)") }
            if case .success(let found) = snapshot, found.pgVersion != nil, found.stateText == nil, !found.hasInitializationMarker {
                clusterFiles = ClusterConfigurationFiles.read(config.dataDirectory)
            }
        }
        var providedTLS: ProvidedTLSFiles?
        if config.tlsEnabled, let certificate = config.tlsCertificateFile, let key = config.tlsKeyFile,
            reading.invalidVariables.isDisjoint(with: ["BABELFISH_TLS_CERT_FILE", "BABELFISH_TLS_KEY_FILE"])
        {
            providedTLS = ProvidedTLSFiles.read(certificatePath: certificate, keyPath: key)
        }
        var template: TemplateFacts?
        if case .success(let found)? = snapshot, found.needsInitialization, let directory = config.template.directory {
            let manifest = try? FileSystem.readTextIfPresent(directory + "/" + TemplateFiles.manifest)
            template = TemplateFacts(
                directory: directory, manifestText: manifest ?? nil, inputs: InitdbInputs.read(environment: environment),
                babelfishVersion: (try? installation.get())?.defaultVersion(ofExtension: "babelfishpg_tsql"))
        }
        return PreflightFacts(
            reading: reading, installation: installation,
            missingBabelfishFiles: (try? installation.get())?.missingBabelfishFiles() ?? [],
            snapshot: snapshot, clusterFiles: clusterFiles, postgresArguments: postgresArguments, identity: .current(),
            providedTLS: providedTLS, now: Int64(time(nil)), template: template)
    }
}

/// What the boot goes on with once nothing is in the way.
struct PreflightOutcome {
    var config: EntrypointConfiguration
    var installation: PostgresInstallation
    var decision: DataDirectoryDecision
    /// For `.adopt` in Babelfish mode: what the settings files say.
    var adoptionEvidence: BabelfishEvidence?
    /// The checked BABELFISH_TLS_CERT_FILE / _KEY_FILE pair.
    var providedCertificate: ProvidedCertificate? = nil
    /// To log (e.g. a provided certificate out of its validity period).
    var warnings: [String] = []
    /// How a first boot makes its cluster (initdb or the template).
    var initialization: InitializationSource = .initdb(reasons: [])
}

enum Preflight {
    /// Pure: the decision, or one error that lists every problem, in the
    /// order a user fixes them (variables, installation, data directory, what
    /// a first boot needs). Passwords are asked for only when a first boot
    /// will (or, PGDATA being unusable, may) run.
    static func evaluate(_ facts: PreflightFacts) -> Result<PreflightOutcome, EntrypointError> {
        let config = facts.reading.configuration
        var problems = facts.reading.problems.map { EntrypointError(.invalidConfiguration, $0) }
        let tls = facts.providedTLS?.check(now: facts.now)
        problems += (tls?.problems ?? []).map { EntrypointError(.invalidConfiguration, $0) }
        var installation: PostgresInstallation?
        switch facts.installation {
        case .success(let found): installation = found
        case .failure(let error): problems.append(error)
        }
        var decision: DataDirectoryDecision?
        var evidence: BabelfishEvidence?
        /// nil: cannot tell (PGDATA unusable or unreadable).
        var firstBoot: Bool?
        switch facts.snapshot {
        case nil:
            break
        case .failure(let error)?:
            problems.append(error)
        case .success(let snapshot)?:
            if case .unreadable = snapshot.presence {
                firstBoot = nil
            } else {
                firstBoot = snapshot.needsInitialization
            }
            if let problem = accessProblem(snapshot, path: config.dataDirectory, identity: facts.identity) {
                problems.append(problem)
            } else if let installation {
                let decided = decide(snapshot, path: config.dataDirectory, serverMajor: installation.major)
                switch decided {
                case .refuse(let error):
                    problems.append(error)
                    firstBoot = false
                case .adopt where config.babelfishEnabled:
                    let found = BabelfishEvidence.assess(
                        facts.clusterFiles ?? ClusterConfigurationFiles(), postgresArguments: facts.postgresArguments)
                    if found == .absent {
                        problems.append(BabelfishEvidence.absentRefusal(path: config.dataDirectory))
                    }
                    evidence = found
                    decision = decided
                default:
                    decision = decided
                }
            }
        }
        if firstBoot != false {
            var needs = config.initializationProblems().map { EntrypointError(.invalidConfiguration, $0) }
            if config.babelfishEnabled, let installation, !facts.missingBabelfishFiles.isEmpty {
                needs.append(
                    EntrypointError(
                        .installation,
                        "the PostgreSQL \(installation.version) in \(installation.binDirectory) has no Babelfish: \(facts.missingBabelfishFiles.joined(separator: ", ")) not found. Put the bin directory of a PostgreSQL + Babelfish build first on PATH (or set BABELFISH_ENABLED=false for plain PostgreSQL). Nothing was written."
                    ))
            }
            if firstBoot == nil {
                needs = needs.map { EntrypointError($0.code, "if this is a first boot: " + $0.message) }
            }
            problems += needs
        }
        var initialization = InitializationSource.initdb(reasons: [])
        if let template = facts.template, let installation {
            let manifest = template.manifestText.flatMap(TemplateManifest.parse)
            if case .directory(let path) = config.template, manifest == nil {
                problems.append(
                    EntrypointError(
                        .invalidConfiguration,
                        template.manifestText == nil
                            ? "BBF_INIT_TEMPLATE=\(path) holds no template (no \(path)/\(TemplateFiles.manifest)): make one there with bbf-entrypoint make-template \(path), or unset BBF_INIT_TEMPLATE. Nothing was written."
                            : "BBF_INIT_TEMPLATE=\(path): \(TemplateFiles.manifest) is not a template manifest this entrypoint understands (made by another version?): make it again with bbf-entrypoint make-template, or unset BBF_INIT_TEMPLATE. Nothing was written."
                    ))
            } else if manifest == nil && template.manifestText != nil {
                initialization = .initdb(
                    reasons: ["its \(TemplateFiles.manifest) is not one this entrypoint understands"], template: template.directory)
            } else {
                initialization = TemplateMatch.source(
                    setting: config.template, manifest: manifest, config: config, inputs: template.inputs,
                    postgresVersion: installation.version, babelfishVersion: template.babelfishVersion)
            }
        }
        if problems.isEmpty, let installation, let decision {
            return .success(
                PreflightOutcome(
                    config: config, installation: installation, decision: decision, adoptionEvidence: evidence,
                    providedCertificate: tls?.provided, warnings: tls?.warnings ?? [], initialization: initialization))
        }
        return .failure(combined(problems))
    }

    /// One error for several problems, one per line.
    static func combined(_ problems: [EntrypointError]) -> EntrypointError {
        if problems.count == 1 { return problems[0] }
        let code = problems.contains { $0.code == .invalidConfiguration } ? .invalidConfiguration : problems.first?.code ?? .system
        return EntrypointError(code, problems.map(\.description).joined(separator: "\n"))
    }

    /// Started as another user than root, the entrypoint cannot hand the
    /// data directory over, and PostgreSQL runs only on a data directory its
    /// user owns. Pure: nil when ownership is not in the way.
    static func accessProblem(_ snapshot: DataDirectorySnapshot, path: String, identity: ProcessIdentity) -> EntrypointError? {
        guard !identity.isRoot, let owner = snapshot.owner, owner != identity.uid else { return nil }
        let owned = owner == 0 ? "uid 0 (root)" : "uid \(owner)"
        let unreadable: String
        switch snapshot.presence {
        case .missing, .notADirectory:
            return nil
        case .unreadable(let failure):
            unreadable = " (\(failure))"
        case .directory:
            unreadable = ""
            if snapshot.needsInitialization && !snapshot.hasInitializationMarker {
                // A volume this user may write (e.g. Kubernetes' fsGroup) can hold a data directory of its own.
                let subdirectory =
                    snapshot.writable
                    ? " As this user may write into it, PGDATA=\(path)/pgdata works too: the entrypoint creates that subdirectory as its own."
                    : ""
                return EntrypointError(
                    .unsupportedDataDirectory,
                    "PGDATA=\(path) is an empty directory owned by \(owned), but this container runs as uid \(identity.uid), and PostgreSQL needs its data directory to be its own. That is what an empty bind mount of a host directory looks like (-v /host/dir:\(path)). Hand it over once, on the host: chown \(identity.uid):\(identity.gid) /host/dir; or start the container as root (--user 0), and the entrypoint gives the directory to the postgres user before it drops to it; or use a named volume.\(subdirectory) Nothing was written."
                )
            }
        }
        return EntrypointError(
            .unsupportedDataDirectory,
            "PGDATA=\(path) is owned by \(owned), but this container runs as uid \(identity.uid)\(unreadable), and PostgreSQL starts only on a data directory its user owns. Files copied in without --chown look like this. Hand them over once: chown -R \(identity.uid):\(identity.gid) \(path) (for a bind mount, on the host directory; in a Dockerfile, COPY --chown=\(identity.uid):\(identity.gid) ...). It was left untouched."
        )
    }
}

/// The cluster's own text files that tell, without starting it, whether
/// Babelfish can be in it.
struct ClusterConfigurationFiles: Equatable {
    var postgresqlConf: String?
    var postgresqlAutoConf: String?
    /// `bbf-entrypoint.conf`, read only when postgresql.conf includes it.
    var managedConf: String?
    /// `postmaster.opts`: the command line of the cluster's last start.
    var postmasterOptions: String?

    init(postgresqlConf: String? = nil, postgresqlAutoConf: String? = nil, managedConf: String? = nil, postmasterOptions: String? = nil) {
        self.postgresqlConf = postgresqlConf
        self.postgresqlAutoConf = postgresqlAutoConf
        self.managedConf = managedConf
        self.postmasterOptions = postmasterOptions
    }

    /// Reads them (missing or unreadable files are nil).
    static func read(_ dataDirectory: String) -> ClusterConfigurationFiles {
        func text(_ name: String) -> String? { (try? FileSystem.readTextIfPresent(dataDirectory + "/" + name)) ?? nil }
        return ClusterConfigurationFiles(
            postgresqlConf: text("postgresql.conf"), postgresqlAutoConf: text("postgresql.auto.conf"),
            managedConf: text(ManagedFiles.managedConfiguration), postmasterOptions: text("postmaster.opts"))
    }
}

/// What a cluster's files say about Babelfish. babelfishpg_tds refuses to
/// load unless it is in `shared_preload_libraries` (its `_PG_init`), and
/// `CREATE EXTENSION babelfishpg_tds` loads it, so a cluster Babelfish was
/// installed in was started with it preloaded: by a settings file or by
/// the command line, which postmaster.opts records for the last start.
/// Whether `sys.initialize_babelfish` ran lives only in the catalogs, which
/// need a running server to read.
enum BabelfishEvidence: Equatable {
    /// The files name Babelfish (what was found): a server must confirm it.
    case configured(String)
    /// The settings include files not read here: only a server can tell.
    case unknown(String)
    /// Nothing names Babelfish: it cannot have been installed here.
    case absent

    /// Pure.
    static func assess(_ files: ClusterConfigurationFiles, postgresArguments: [String]) -> BabelfishEvidence {
        let configuration = files.postgresqlConf.map(ConfigurationFile.parse) ?? []
        var settings = configuration + (files.postgresqlAutoConf.map(ConfigurationFile.parse) ?? [])
        var otherIncludes: [String] = []
        for setting in configuration where ["include", "include_if_exists", "include_dir"].contains(setting.name) {
            if setting.value == ManagedFiles.managedConfiguration {
                settings += files.managedConf.map(ConfigurationFile.parse) ?? []
            } else {
                otherIncludes.append("\(setting.name) '\(setting.value)'")
            }
        }
        let preloads = settings.contains { setting in
            setting.name == "shared_preload_libraries"
                && setting.value.split(separator: ",").contains { String($0).trimmedWhitespace().lowercased() == "babelfishpg_tds" }
        }
        if preloads { return .configured("shared_preload_libraries has babelfishpg_tds") }
        if let setting = settings.first(where: { $0.name.hasPrefix("babelfishpg_") }) {
            return .configured("\(setting.name) is set")
        }
        if postgresArguments.contains(where: { $0.contains("babelfishpg") }) {
            return .configured("the postgres arguments name babelfishpg")
        }
        if files.postmasterOptions?.contains("babelfishpg") == true {
            return .configured("its last start (postmaster.opts) loaded babelfishpg")
        }
        if !otherIncludes.isEmpty {
            return .unknown("postgresql.conf reads other files: \(otherIncludes.joined(separator: ", "))")
        }
        if postgresArguments.contains(where: { $0.contains("config_file") }) {
            return .unknown("the postgres arguments name another config_file")
        }
        return .absent
    }

    static func absentRefusal(path: String) -> EntrypointError {
        EntrypointError(
            .unsupportedDataDirectory,
            "PGDATA=\(path) holds a PostgreSQL cluster without Babelfish: neither its settings (postgresql.conf, postgresql.auto.conf) nor its last start (postmaster.opts) load babelfishpg_tds, which Babelfish cannot be installed without. It was left untouched (not started). Point PGDATA at an empty directory for a new Babelfish database, or set BABELFISH_ENABLED=false to run this cluster as plain PostgreSQL; if it does hold Babelfish, add shared_preload_libraries = 'babelfishpg_tds' to its postgresql.conf and start again."
        )
    }
}
