/// What a source archive is for.
public enum SourceRole: String, Equatable, Sendable, CaseIterable {
    case release
    case engine
    case extensions
    case antlr
    case pgHintPlan
    case postgis
}

/// One archive a line needs, with every placeholder filled in.
public struct ResolvedSource: Equatable, Sendable {
    public var role: SourceRole
    public var url: String
    public var file: String
    public var directory: String
    public var checksum: Checksum

    public init(role: SourceRole, url: String, file: String, directory: String, checksum: Checksum) {
        self.role = role
        self.url = url
        self.file = file
        self.directory = directory
        self.checksum = checksum
    }
}

/// `{name}` placeholders in versions.json strings.
public enum Placeholders {
    /// Placeholders allowed in source templates.
    public static let sourceNames = ["engineTag", "extensionsTag", "postgres", "babelfish", "antlr", "pgHintPlan", "postgis"]
    /// Placeholders allowed in base image references.
    public static let imageNames = ["swift"]

    /// The names used in `text`, in order.
    public static func names(in text: String) -> [String] {
        var names: [String] = []
        var current: String?
        for character in text {
            if character == "{" {
                current = ""
            } else if character == "}", let name = current {
                names.append(name)
                current = nil
            } else if current != nil {
                current?.append(character)
            }
        }
        return names
    }

    /// `text` with each `{name}` replaced by `values[name]` (unknown names are left as they are).
    public static func expand(_ text: String, _ values: [String: String]) -> String {
        var result = text
        for (name, value) in values {
            result = result.replacing("{\(name)}", with: value)
        }
        return result
    }

    static func sourceValues(_ line: ReleaseLine) -> [String: String] {
        [
            "engineTag": line.engineTag, "extensionsTag": line.extensionsTag, "postgres": line.postgres.description,
            "babelfish": line.babelfish.description, "antlr": line.antlr, "pgHintPlan": line.pgHintPlan,
            "postgis": line.postgis,
        ]
    }
}

extension Versions {
    /// The archives `line` is built from: the Babelfish sources (one combined
    /// tarball or two repository archives), ANTLR, pg_hint_plan and then, unless
    /// `spatialTypes` is false (a distribution without them), PostGIS.
    public func sources(for line: ReleaseLine, spatialTypes: Bool = true) -> [ResolvedSource] {
        let values = Placeholders.sourceValues(line)
        var roles: [SourceRole] = line.sourceLayout == .releaseTarball ? [.release, .antlr] : [.engine, .extensions, .antlr]
        roles.append(.pgHintPlan)
        if spatialTypes { roles.append(.postgis) }
        return roles.map { role in
            let template = self.template(for: role)
            let file = Placeholders.expand(template.file, values)
            return ResolvedSource(
                role: role, url: Placeholders.expand(template.url, values), file: file,
                directory: Placeholders.expand(template.directory, values), checksum: line.checksums[file] ?? Checksum())
        }
    }

    /// The template a role is fetched with.
    public func template(for role: SourceRole) -> SourceTemplate {
        switch role {
        case .release: return sources.release
        case .engine: return sources.engine
        case .extensions: return sources.extensions
        case .antlr: return sources.antlr
        case .pgHintPlan: return sources.pgHintPlan
        case .postgis: return sources.postgis
        }
    }

    /// A distribution's base images with `{swift}` filled in.
    public func images(of distribution: Distribution) -> BaseImages {
        let values = ["swift": swift]
        return BaseImages(
            build: Placeholders.expand(distribution.images.build, values),
            runtime: Placeholders.expand(distribution.images.runtime, values),
            swift: Placeholders.expand(distribution.images.swift, values))
    }
}
