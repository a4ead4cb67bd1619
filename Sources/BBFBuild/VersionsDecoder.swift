/// Turns a parsed versions.json into `Versions`, collecting every problem with
/// its JSON path instead of stopping at the first.
struct VersionsDecoder {
    private(set) var issues: [ValidationIssue] = []

    mutating func decode(_ document: JSONValue) -> Versions? {
        let root = JSONPath.root
        guard let top = members(document, at: root, keys: VersionsKeys.top) else { return nil }
        let schema = require(top, "schemaVersion", at: root).flatMap { integer($0, at: root.appending("schemaVersion")) }
        if let schema, schema != Versions.currentSchema {
            issues.append(
                ValidationIssue(
                    root.appending("schemaVersion"),
                    "schema version \(schema) is not supported by this bbf (it reads \(Versions.currentSchema))",
                    fix: "use a bbf built from the same commit as versions.json"))
        }
        let defaultLine = require(top, "defaultLine", at: root).flatMap {
            string($0, at: root.appending("defaultLine"), example: "\"5.2\"")
        }
        let image = require(top, "image", at: root).flatMap { decodeImage($0, at: root.appending("image")) }
        let swift = require(top, "swift", at: root).flatMap { string($0, at: root.appending("swift"), example: "\"6.3.1\"") }
        let sources = require(top, "sources", at: root).flatMap { decodeSources($0, at: root.appending("sources")) }
        let distributions = require(top, "distributions", at: root).flatMap {
            map($0, at: root.appending("distributions")) { decoder, value, path in decoder.decodeDistribution(value, at: path) }
        }
        let lines = require(top, "lines", at: root).flatMap {
            map($0, at: root.appending("lines")) { decoder, value, path in decoder.decodeLine(value, at: path) }
        }
        guard let schema, let defaultLine, let image, let swift, let sources, let distributions, let lines, issues.isEmpty else {
            return nil
        }
        return Versions(
            schemaVersion: schema, defaultLine: defaultLine, image: image, swift: swift, sources: sources,
            distributions: distributions, lines: lines)
    }

    // MARK: Sections

    private mutating func decodeImage(_ value: JSONValue, at path: JSONPath) -> ImageSettings? {
        guard let object = members(value, at: path, keys: VersionsKeys.image) else { return nil }
        guard
            let repository = require(object, "repository", at: path).flatMap({
                string($0, at: path.appending("repository"), example: "\"babelfish-dev\"")
            })
        else { return nil }
        return ImageSettings(repository: repository)
    }

    private mutating func decodeSources(_ value: JSONValue, at path: JSONPath) -> SourceTemplates? {
        guard let object = members(value, at: path, keys: VersionsKeys.sources) else { return nil }
        let release = require(object, "release", at: path).flatMap { decodeTemplate($0, at: path.appending("release")) }
        let engine = require(object, "engine", at: path).flatMap { decodeTemplate($0, at: path.appending("engine")) }
        let extensions = require(object, "extensions", at: path).flatMap { decodeTemplate($0, at: path.appending("extensions")) }
        let antlr = require(object, "antlr", at: path).flatMap { decodeTemplate($0, at: path.appending("antlr")) }
        guard let release, let engine, let extensions, let antlr else { return nil }
        return SourceTemplates(release: release, engine: engine, extensions: extensions, antlr: antlr)
    }

    private mutating func decodeTemplate(_ value: JSONValue, at path: JSONPath) -> SourceTemplate? {
        guard let object = members(value, at: path, keys: VersionsKeys.template) else { return nil }
        let url = require(object, "url", at: path).flatMap { string($0, at: path.appending("url"), example: "\"https://...\"") }
        let file = require(object, "file", at: path).flatMap { string($0, at: path.appending("file"), example: "\"{engineTag}.tar.gz\"") }
        let directory = require(object, "directory", at: path).flatMap {
            string($0, at: path.appending("directory"), example: "\"{engineTag}\"")
        }
        guard let url, let file, let directory else { return nil }
        return SourceTemplate(url: url, file: file, directory: directory)
    }

    private mutating func decodeDistribution(_ value: JSONValue, at path: JSONPath) -> Distribution? {
        guard let object = members(value, at: path, keys: VersionsKeys.distribution) else { return nil }
        let name = require(object, "name", at: path).flatMap { string($0, at: path.appending("name"), example: "\"Debian 12 (bookworm)\"") }
        var images: BaseImages?
        if let value = require(object, "images", at: path) {
            let imagesPath = path.appending("images")
            if let section = members(value, at: imagesPath, keys: VersionsKeys.images) {
                let build = require(section, "build", at: imagesPath).flatMap {
                    string($0, at: imagesPath.appending("build"), example: "\"debian:bookworm-slim\"")
                }
                let runtime = require(section, "runtime", at: imagesPath).flatMap {
                    string($0, at: imagesPath.appending("runtime"), example: "\"debian:bookworm-slim\"")
                }
                let swift = require(section, "swift", at: imagesPath).flatMap {
                    string($0, at: imagesPath.appending("swift"), example: "\"swift:{swift}-bookworm\"")
                }
                if let build, let runtime, let swift {
                    images = BaseImages(build: build, runtime: runtime, swift: swift)
                }
            }
        }
        var packages: PackageLists?
        if let value = require(object, "packages", at: path) {
            let packagesPath = path.appending("packages")
            if let section = members(value, at: packagesPath, keys: VersionsKeys.packages) {
                let build = require(section, "build", at: packagesPath).flatMap { stringArray($0, at: packagesPath.appending("build")) }
                let runtime = require(section, "runtime", at: packagesPath).flatMap {
                    stringArray($0, at: packagesPath.appending("runtime"))
                }
                let entrypoint = require(section, "entrypointBuild", at: packagesPath).flatMap {
                    stringArray($0, at: packagesPath.appending("entrypointBuild"))
                }
                if let build, let runtime, let entrypoint {
                    packages = PackageLists(build: build, runtime: runtime, entrypointBuild: entrypoint)
                }
            }
        }
        var flags: CompilerFlags?
        if let value = require(object, "compilerFlags", at: path) {
            let flagsPath = path.appending("compilerFlags")
            if let section = members(value, at: flagsPath, keys: VersionsKeys.compilerFlags) {
                let copt = require(section, "tsqlCOPT", at: flagsPath).flatMap {
                    string($0, at: flagsPath.appending("tsqlCOPT"), example: "\"-Wno-error=maybe-uninitialized -fcommon\"")
                }
                let cppflags = require(section, "tsqlCPPFLAGS", at: flagsPath).flatMap {
                    string($0, at: flagsPath.appending("tsqlCPPFLAGS"), example: "\"\" or \"-Wno-error=overloaded-virtual\"")
                }
                if let copt, let cppflags { flags = CompilerFlags(tsqlCOPT: copt, tsqlCPPFLAGS: cppflags) }
            }
        }
        guard let name, let images, let packages, let flags else { return nil }
        return Distribution(name: name, images: images, packages: packages, compilerFlags: flags)
    }

    private mutating func decodeLine(_ value: JSONValue, at path: JSONPath) -> ReleaseLine? {
        guard let object = members(value, at: path, keys: VersionsKeys.line) else { return nil }
        let postgres: PostgresVersion? = parsed(
            object, "postgres", at: path, example: "\"17.5\"", as: PostgresVersion.init, kind: "PostgreSQL version",
            fix: "write MAJOR.MINOR, e.g. \"17.5\" (PostgreSQL 10 and later have two parts)")
        let babelfish: BabelfishVersion? = parsed(
            object, "babelfish", at: path, example: "\"5.2.0\"", as: BabelfishVersion.init, kind: "Babelfish version",
            fix: "write MAJOR.MINOR.PATCH, e.g. \"5.2.0\"")
        let antlr = require(object, "antlr", at: path).flatMap { string($0, at: path.appending("antlr"), example: "\"4.13.2\"") }
        let distribution = require(object, "distribution", at: path).flatMap {
            string($0, at: path.appending("distribution"), example: "\"debian-12\"")
        }
        let layout: SourceLayout? = choice(object, "sourceLayout", at: path, example: "\"git-tags\"", kind: "source layout")
        let checksums = require(object, "checksums", at: path).flatMap {
            map($0, at: path.appending("checksums")) { decoder, value, entryPath in decoder.decodeChecksum(value, at: entryPath) }
        }
        let patches = require(object, "patches", at: path).flatMap { decodePatches($0, at: path.appending("patches")) }
        guard let postgres, let babelfish, let antlr, let distribution, let layout, let checksums, let patches else { return nil }
        return ReleaseLine(
            postgres: postgres, babelfish: babelfish, antlr: antlr, distribution: distribution, sourceLayout: layout,
            checksums: checksums, patches: patches)
    }

    private mutating func decodeChecksum(_ value: JSONValue, at path: JSONPath) -> Checksum? {
        guard let object = members(value, at: path, keys: VersionsKeys.checksum) else { return nil }
        var result = Checksum()
        var complete = true
        for key in VersionsKeys.checksum {
            guard let field = require(object, key, at: path) else {
                complete = false
                continue
            }
            if field == .null { continue }
            guard let text = string(field, at: path.appending(key), example: "null or \"<64 hex digits>\"") else {
                complete = false
                continue
            }
            if key == "sha256" { result.sha256 = text } else { result.localArchiveSha256 = text }
        }
        return complete ? result : nil
    }

    private mutating func decodePatches(_ value: JSONValue, at path: JSONPath) -> [PatchEntry]? {
        guard case .array(let elements) = value else {
            issues.append(ValidationIssue(path, "expected an array, found \(value.kindDescription)", fix: "write [] for no patches"))
            return nil
        }
        var result: [PatchEntry] = []
        for (index, element) in elements.enumerated() {
            let entryPath = path.appending(index: index)
            guard let object = members(element, at: entryPath, keys: VersionsKeys.patch) else { continue }
            let file = require(object, "file", at: entryPath).flatMap {
                string($0, at: entryPath.appending("file"), example: "\"0001-fix.patch\"")
            }
            let target: PatchTarget? = choice(object, "target", at: entryPath, example: "\"engine\"", kind: "patch target")
            if let file, let target { result.append(PatchEntry(file: file, target: target)) }
        }
        return result.count == elements.count ? result : nil
    }

    // MARK: Primitives

    private mutating func members(_ value: JSONValue, at path: JSONPath, keys: [String]) -> [String: JSONValue]? {
        guard case .object(let list) = value else {
            issues.append(ValidationIssue(path, "expected an object, found \(value.kindDescription)", fix: "write { ... } here"))
            return nil
        }
        var result: [String: JSONValue] = [:]
        for member in list {
            if result[member.key] != nil {
                issues.append(ValidationIssue(path.appending(member.key), "the key appears twice", fix: "keep only one of them"))
                continue
            }
            if !keys.contains(member.key) {
                issues.append(
                    ValidationIssue(
                        path.appending(member.key), "unknown key",
                        fix: "remove it or correct its spelling (known keys here: \(keys.joined(separator: ", ")))"))
                continue
            }
            result[member.key] = member.value
        }
        return result
    }

    private mutating func require(_ object: [String: JSONValue], _ key: String, at path: JSONPath) -> JSONValue? {
        if let value = object[key] { return value }
        issues.append(ValidationIssue(path.appending(key), "missing", fix: "add \"\(key)\" (see docs/BUILDING.md for the schema)"))
        return nil
    }

    /// A required string member that `parse` must accept; otherwise an issue
    /// saying it is not a `kind`, with `fix`.
    private mutating func parsed<T>(
        _ object: [String: JSONValue], _ key: String, at path: JSONPath, example: String,
        as parse: (String) -> T?, kind: String, fix: String
    ) -> T? {
        guard let text = require(object, key, at: path).flatMap({ string($0, at: path.appending(key), example: example) }) else {
            return nil
        }
        guard let value = parse(text) else {
            issues.append(ValidationIssue(path.appending(key), "\"\(text)\" is not a \(kind)", fix: fix))
            return nil
        }
        return value
    }

    /// A required string member that must name one of `T`'s cases.
    private mutating func choice<T: RawRepresentable & CaseIterable>(
        _ object: [String: JSONValue], _ key: String, at path: JSONPath, example: String, kind: String
    ) -> T? where T.RawValue == String {
        parsed(
            object, key, at: path, example: example, as: T.init(rawValue:), kind: kind,
            fix: "use one of: " + T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
    }

    private mutating func string(_ value: JSONValue, at path: JSONPath, example: String) -> String? {
        if case .string(let text) = value { return text }
        issues.append(ValidationIssue(path, "expected a string, found \(value.kindDescription)", fix: "write a string, e.g. \(example)"))
        return nil
    }

    private mutating func integer(_ value: JSONValue, at path: JSONPath) -> Int? {
        if case .number(let text) = value, let number = Int(text) { return number }
        issues.append(ValidationIssue(path, "expected an integer, found \(value.kindDescription)", fix: "write \(Versions.currentSchema)"))
        return nil
    }

    private mutating func stringArray(_ value: JSONValue, at path: JSONPath) -> [String]? {
        guard case .array(let elements) = value else {
            issues.append(
                ValidationIssue(path, "expected an array of strings, found \(value.kindDescription)", fix: "write [\"name\", ...]"))
            return nil
        }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            if let text = string(element, at: path.appending(index: index), example: "\"libicu72\"") { result.append(text) }
        }
        return result.count == elements.count ? result : nil
    }

    private mutating func map<T>(
        _ value: JSONValue, at path: JSONPath, _ decode: (inout VersionsDecoder, JSONValue, JSONPath) -> T?
    ) -> [String: T]? {
        guard case .object(let list) = value else {
            issues.append(
                ValidationIssue(
                    path, "expected an object keyed by name, found \(value.kindDescription)", fix: "write { \"name\": { ... } }"))
            return nil
        }
        var result: [String: T] = [:]
        var failed = false
        var seen: Set<String> = []
        for member in list {
            let memberPath = path.appending(member.key)
            if !seen.insert(member.key).inserted {
                issues.append(ValidationIssue(memberPath, "the key appears twice", fix: "keep only one of them"))
                failed = true
                continue
            }
            if let decoded = decode(&self, member.value, memberPath) {
                result[member.key] = decoded
            } else {
                failed = true
            }
        }
        return failed ? nil : result
    }
}

/// The keys each object of versions.json may hold, in the order they are written.
enum VersionsKeys {
    static let top = ["schemaVersion", "defaultLine", "image", "swift", "sources", "distributions", "lines"]
    static let image = ["repository"]
    static let sources = ["release", "engine", "extensions", "antlr"]
    static let template = ["url", "file", "directory"]
    static let distribution = ["name", "images", "packages", "compilerFlags"]
    static let compilerFlags = ["tsqlCOPT", "tsqlCPPFLAGS"]
    static let images = ["build", "runtime", "swift"]
    static let packages = ["build", "runtime", "entrypointBuild"]
    static let line = ["postgres", "babelfish", "antlr", "distribution", "sourceLayout", "checksums", "patches"]
    static let checksum = ["sha256", "localArchiveSha256"]
    static let patch = ["file", "target"]
}
