// versions.json through Foundation's JSONDecoder and JSONEncoder. Encoding is
// synthesized (the encoder sorts the keys); decoding goes through
// `ObjectReader`, so every problem is reported with its JSON path and a fix.

extension Versions: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case schemaVersion, defaultLine, image, swift, sources, distributions, lines
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let schema = reader.integer(.schemaVersion, fix: "write \(Versions.currentSchema)")
        if let schema, schema != Versions.currentSchema {
            reader.report(
                ValidationIssue(
                    reader.path.appending("schemaVersion"),
                    "schema version \(schema) is not supported by this bbf (it reads \(Versions.currentSchema))",
                    fix: "use a bbf built from the same commit as versions.json"))
        }
        let defaultLine = reader.string(.defaultLine, example: "\"5.2\"")
        let image: ImageSettings? = reader.value(.image)
        let swift = reader.string(.swift, example: "\"6.3.1\"")
        let sources: SourceTemplates? = reader.value(.sources)
        let distributions: [String: Distribution]? = reader.map(.distributions)
        let lines: [String: ReleaseLine]? = reader.map(.lines)
        try reader.finish()
        guard let schema, let defaultLine, let image, let swift, let sources, let distributions, let lines else {
            throw DecodingProblems(issues: [])
        }
        self.init(
            schemaVersion: schema, defaultLine: defaultLine, image: image, swift: swift, sources: sources,
            distributions: distributions, lines: lines)
    }
}

extension ImageSettings: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case repository
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let repository = reader.string(.repository, example: "\"babelfish-dev\"")
        try reader.finish()
        guard let repository else { throw DecodingProblems(issues: []) }
        self.init(repository: repository)
    }
}

extension SourceTemplates: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case release, engine, extensions, antlr, pgHintPlan, postgis
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let release: SourceTemplate? = reader.value(.release)
        let engine: SourceTemplate? = reader.value(.engine)
        let extensions: SourceTemplate? = reader.value(.extensions)
        let antlr: SourceTemplate? = reader.value(.antlr)
        let pgHintPlan: SourceTemplate? = reader.value(.pgHintPlan)
        let postgis: SourceTemplate? = reader.value(.postgis)
        try reader.finish()
        guard let release, let engine, let extensions, let antlr, let pgHintPlan, let postgis else {
            throw DecodingProblems(issues: [])
        }
        self.init(
            release: release, engine: engine, extensions: extensions, antlr: antlr, pgHintPlan: pgHintPlan, postgis: postgis)
    }
}

extension SourceTemplate: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, file, directory
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let url = reader.string(.url, example: "\"https://...\"")
        let file = reader.string(.file, example: "\"{engineTag}.tar.gz\"")
        let directory = reader.string(.directory, example: "\"{engineTag}\"")
        try reader.finish()
        guard let url, let file, let directory else { throw DecodingProblems(issues: []) }
        self.init(url: url, file: file, directory: directory)
    }
}

extension Distribution: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, images, packages, compilerFlags, spatialTypes, linkedServers
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let name = reader.string(.name, example: "\"Debian 12 (bookworm)\"")
        let images: BaseImages? = reader.value(.images)
        let packages: PackageLists? = reader.value(.packages)
        let flags: CompilerFlags? = reader.value(.compilerFlags)
        let spatial = reader.boolean(.spatialTypes, fix: "write true (PostGIS and geometry/geography, as on Aurora) or false")
        let linked = reader.boolean(.linkedServers, fix: "write true (babelfishpg_tsql with FreeTDS, as on Aurora) or false")
        try reader.finish()
        guard let name, let images, let packages, let flags, let spatial, let linked else { throw DecodingProblems(issues: []) }
        self.init(
            name: name, images: images, packages: packages, compilerFlags: flags, spatialTypes: spatial, linkedServers: linked)
    }
}

extension BaseImages: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case build, runtime, swift
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let build = reader.string(.build, example: "\"debian:bookworm-slim\"")
        let runtime = reader.string(.runtime, example: "\"debian:bookworm-slim\"")
        let swift = reader.string(.swift, example: "\"swift:{swift}-bookworm\"")
        try reader.finish()
        guard let build, let runtime, let swift else { throw DecodingProblems(issues: []) }
        self.init(build: build, runtime: runtime, swift: swift)
    }
}

extension PackageLists: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case build, runtime, entrypointBuild, bbfBuild, pipeline, spatialBuild, spatialRuntime, locales, linkedServersBuild
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let build = reader.strings(.build, example: "\"libicu-dev\"")
        let runtime = reader.strings(.runtime, example: "\"libicu72\"")
        let entrypointBuild = reader.strings(.entrypointBuild, example: "\"libpq-dev\"")
        let bbfBuild = reader.strings(.bbfBuild, example: "\"zlib1g-dev\"")
        let pipeline = reader.strings(.pipeline, example: "\"skopeo\"")
        let spatialBuild = reader.strings(.spatialBuild, example: "\"libgeos-dev\"")
        let spatialRuntime = reader.strings(.spatialRuntime, example: "\"libgeos-c1v5\"")
        let locales = reader.strings(.locales, example: "\"locales\"")
        let linkedServersBuild = reader.strings(.linkedServersBuild, example: "\"freetds-dev\"")
        try reader.finish()
        guard let build, let runtime, let entrypointBuild, let bbfBuild, let pipeline, let spatialBuild, let spatialRuntime,
            let locales, let linkedServersBuild
        else { throw DecodingProblems(issues: []) }
        self.init(
            build: build, runtime: runtime, entrypointBuild: entrypointBuild, bbfBuild: bbfBuild, pipeline: pipeline,
            spatialBuild: spatialBuild, spatialRuntime: spatialRuntime, locales: locales, linkedServersBuild: linkedServersBuild)
    }
}

extension CompilerFlags: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case tsqlCOPT, tsqlCPPFLAGS
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let copt = reader.string(.tsqlCOPT, example: "\"-Wno-error=maybe-uninitialized -fcommon\"")
        let cppflags = reader.string(.tsqlCPPFLAGS, example: "\"\" or \"-Wno-error=overloaded-virtual\"")
        try reader.finish()
        guard let copt, let cppflags else { throw DecodingProblems(issues: []) }
        self.init(tsqlCOPT: copt, tsqlCPPFLAGS: cppflags)
    }
}

extension ReleaseLine: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case postgres, babelfish, antlr, distribution, sourceLayout, checksums, patches, pgHintPlan, postgis, cultures
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let postgres = reader.parsed(
            .postgres, example: "\"17.5\"", as: PostgresVersion.init, kind: "PostgreSQL version",
            fix: "write MAJOR.MINOR, e.g. \"17.5\" (PostgreSQL 10 and later have two parts)")
        let babelfish = reader.parsed(
            .babelfish, example: "\"5.2.0\"", as: BabelfishVersion.init, kind: "Babelfish version",
            fix: "write MAJOR.MINOR.PATCH, e.g. \"5.2.0\"")
        let antlr = reader.string(.antlr, example: "\"4.13.2\"")
        let distribution = reader.string(.distribution, example: "\"debian-12\"")
        let layout: SourceLayout? = reader.choice(.sourceLayout, example: "\"git-tags\"", kind: "source layout")
        let checksums: [String: Checksum]? = reader.map(.checksums)
        let patches: [PatchEntry]? = reader.objects(.patches, fix: "write [] for no patches")
        let pgHintPlan = reader.string(.pgHintPlan, example: "\"REL16_1_6_0\"")
        let postgis = reader.string(.postgis, example: "\"3.4.0\"")
        let cultures = reader.strings(.cultures, example: "\"en-US\"")
        try reader.finish()
        guard let postgres, let babelfish, let antlr, let distribution, let layout, let checksums, let patches, let pgHintPlan,
            let postgis, let cultures
        else {
            throw DecodingProblems(issues: [])
        }
        self.init(
            postgres: postgres, babelfish: babelfish, antlr: antlr, distribution: distribution, sourceLayout: layout,
            checksums: checksums, patches: patches, pgHintPlan: pgHintPlan, postgis: postgis, cultures: cultures)
    }
}

extension Checksum: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case sha256, localArchiveSha256
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let sha256 = reader.nullableString(.sha256, example: "null or \"<64 hex digits>\"")
        let local = reader.nullableString(.localArchiveSha256, example: "null or \"<64 hex digits>\"")
        try reader.finish()
        guard let sha256, let local else { throw DecodingProblems(issues: []) }
        self.init(sha256: sha256, localArchiveSha256: local)
    }

    /// Both members always, `null` when not known (synthesized encoding would drop them).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(localArchiveSha256, forKey: .localArchiveSha256)
    }
}

extension PatchEntry: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case file, target
    }

    public init(from decoder: any Decoder) throws {
        var reader = ObjectReader<CodingKeys>(decoder)
        let file = reader.string(.file, example: "\"0001-fix.patch\"")
        let target: PatchTarget? = reader.choice(.target, example: "\"engine\"", kind: "patch target")
        try reader.finish()
        guard let file, let target else { throw DecodingProblems(issues: []) }
        self.init(file: file, target: target)
    }
}

extension PostgresVersion: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension BabelfishVersion: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension SourceLayout: Encodable {}
extension PatchTarget: Encodable {}
