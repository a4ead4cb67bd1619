/// Turns `Versions` back into JSON with a fixed member order (the order of
/// `VersionsKeys`) and sorted maps, so a change to one value changes one line.
enum VersionsEncoder {
    static func encode(_ versions: Versions) -> JSONValue {
        .object([
            JSONMember("schemaVersion", .number(String(versions.schemaVersion))),
            JSONMember("defaultLine", .string(versions.defaultLine)),
            JSONMember("image", .object([JSONMember("repository", .string(versions.image.repository))])),
            JSONMember("swift", .string(versions.swift)),
            JSONMember(
                "sources",
                .object([
                    JSONMember("release", template(versions.sources.release)),
                    JSONMember("engine", template(versions.sources.engine)),
                    JSONMember("extensions", template(versions.sources.extensions)),
                    JSONMember("antlr", template(versions.sources.antlr)),
                ])),
            JSONMember(
                "distributions",
                .object(
                    versions.distributionNames.compactMap { name in
                        versions.distributions[name].map { JSONMember(name, distribution($0)) }
                    })),
            JSONMember(
                "lines",
                .object(
                    versions.lineNames.compactMap { name in
                        versions.lines[name].map { JSONMember(name, line($0)) }
                    })),
        ])
    }

    private static func template(_ template: SourceTemplate) -> JSONValue {
        .object([
            JSONMember("url", .string(template.url)),
            JSONMember("file", .string(template.file)),
            JSONMember("directory", .string(template.directory)),
        ])
    }

    private static func strings(_ list: [String]) -> JSONValue {
        .array(list.map { .string($0) })
    }

    private static func distribution(_ distribution: Distribution) -> JSONValue {
        .object([
            JSONMember("name", .string(distribution.name)),
            JSONMember(
                "images",
                .object([
                    JSONMember("build", .string(distribution.images.build)),
                    JSONMember("runtime", .string(distribution.images.runtime)),
                    JSONMember("swift", .string(distribution.images.swift)),
                ])),
            JSONMember(
                "packages",
                .object([
                    JSONMember("build", strings(distribution.packages.build)),
                    JSONMember("runtime", strings(distribution.packages.runtime)),
                    JSONMember("entrypointBuild", strings(distribution.packages.entrypointBuild)),
                ])),
            JSONMember(
                "compilerFlags",
                .object([
                    JSONMember("tsqlCOPT", .string(distribution.compilerFlags.tsqlCOPT)),
                    JSONMember("tsqlCPPFLAGS", .string(distribution.compilerFlags.tsqlCPPFLAGS)),
                ])),
        ])
    }

    private static func line(_ line: ReleaseLine) -> JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return .object([
            JSONMember("postgres", .string(line.postgres.description)),
            JSONMember("babelfish", .string(line.babelfish.description)),
            JSONMember("antlr", .string(line.antlr)),
            JSONMember("distribution", .string(line.distribution)),
            JSONMember("sourceLayout", .string(line.sourceLayout.rawValue)),
            JSONMember(
                "checksums",
                .object(
                    line.checksums.keys.sorted().compactMap { file in
                        line.checksums[file].map { checksum in
                            JSONMember(
                                file,
                                .object([
                                    JSONMember("sha256", optional(checksum.sha256)),
                                    JSONMember("localArchiveSha256", optional(checksum.localArchiveSha256)),
                                ]))
                        }
                    })),
            JSONMember(
                "patches",
                .array(
                    line.patches.map { patch in
                        .object([JSONMember("file", .string(patch.file)), JSONMember("target", .string(patch.target.rawValue))])
                    })),
        ])
    }
}
