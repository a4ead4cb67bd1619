/// Where an image is, in skopeo's transport terms. A plain reference
/// (`registry.example.com/team/db:tag`) means a registry.
public enum ImageLocation: Equatable, Sendable, CustomStringConvertible {
    /// A registry reference, without a transport prefix.
    case registry(String)
    /// An OCI layout directory and the image's name in it.
    case ociLayout(path: String, name: String?)
    /// One image in skopeo's `dir:` format (blobs unconverted).
    case directory(String)
    /// The local Docker engine's image store.
    case dockerDaemon(String)
    /// podman/buildah's image store.
    case containersStorage(String)

    /// Parses a `--base-image` / `--tag` value. Pure.
    public static func parse(_ text: String, flag: String) throws(ContainerError) -> ImageLocation {
        if text.hasPrefix("docker://") { return try registry(String(text.dropFirst(9)), flag: flag) }
        if text.hasPrefix("oci:") {
            let rest = text.dropFirst(4)
            guard !rest.isEmpty else { throw ContainerError(.invalidReference, "\(flag) \(text): give oci:DIRECTORY[:NAME]") }
            if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/") {
                return .ociLayout(path: String(rest[..<colon]), name: String(rest[rest.index(after: colon)...]))
            }
            return .ociLayout(path: String(rest), name: nil)
        }
        if text.hasPrefix("dir:") {
            guard text.count > 4 else { throw ContainerError(.invalidReference, "\(flag) \(text): give dir:DIRECTORY") }
            return .directory(String(text.dropFirst(4)))
        }
        if text.hasPrefix("docker-daemon:") {
            let reference = String(text.dropFirst(14))
            _ = try registry(reference, flag: flag)
            return .dockerDaemon(reference)
        }
        if text.hasPrefix("containers-storage:") {
            let reference = String(text.dropFirst(19))
            _ = try registry(reference, flag: flag)
            return .containersStorage(reference)
        }
        return try registry(text, flag: flag)
    }

    private static func registry(_ reference: String, flag: String) throws(ContainerError) -> ImageLocation {
        if let problem = ImageReferenceSyntax.problem(reference) {
            throw ContainerError(.invalidReference, "\(flag) \(reference): \(problem)")
        }
        return .registry(reference)
    }

    /// The skopeo transport string.
    public var skopeo: String {
        switch self {
        case .registry(let reference): return "docker://" + reference
        case .ociLayout(let path, let name): return "oci:" + path + (name.map { ":" + $0 } ?? "")
        case .directory(let path): return "dir:" + path
        case .dockerDaemon(let reference): return "docker-daemon:" + reference
        case .containersStorage(let reference): return "containers-storage:" + reference
        }
    }

    public var description: String {
        if case .registry(let reference) = self { return reference }
        return skopeo
    }
}

/// The syntax of Docker image references (`[host[:port]/]path[:tag][@sha256:hex]`). Pure.
public enum ImageReferenceSyntax {
    public struct Parts: Equatable, Sendable {
        public var repository: String
        public var tag: String?
        public var digest: String?

        /// The registry host ("docker.io" when the reference names none).
        public var host: String {
            let first = repository.split(separator: "/").first.map(String.init) ?? repository
            if repository.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost") { return first }
            return "docker.io"
        }
    }

    /// nil when `reference` is valid; else what is wrong and how to write it.
    public static func problem(_ reference: String) -> String? {
        parts(reference) == nil
            ? "not an image reference: use [REGISTRY[:PORT]/]NAME[:TAG][@sha256:DIGEST] with a lowercase name, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/babelfish-dev-data:latest"
            : nil
    }

    public static func parts(_ reference: String) -> Parts? {
        guard !reference.isEmpty, reference.count <= 255, !reference.contains(" ") else { return nil }
        var rest = Substring(reference)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let value = rest[rest.index(after: at)...]
            guard value.hasPrefix("sha256:"), value.count == 71, value.dropFirst(7).allSatisfy(\.isHexDigit) else { return nil }
            digest = String(value)
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/") {
            let value = rest[rest.index(after: colon)...]
            guard !value.isEmpty, value.count <= 128, value.first.map({ $0.isLetter || $0.isNumber || $0 == "_" }) == true,
                value.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "." || $0 == "-" })
            else { return nil }
            tag = String(value)
            rest = rest[..<colon]
        }
        let components = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty else { return nil }
        for (index, component) in components.enumerated() {
            if index == 0 && components.count > 1 && (component.contains(".") || component.contains(":") || component == "localhost") {
                // A registry host, optionally with a port.
                let host = component.split(separator: ":", omittingEmptySubsequences: false)
                guard host.count <= 2, let name = host.first, !name.isEmpty,
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
                    host.count == 1 || (Int(host[1]).map { (1...65535).contains($0) } ?? false)
                else { return nil }
                continue
            }
            guard !component.isEmpty, component.first.map({ $0.isLowercase || $0.isNumber }) == true,
                component.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "_" || $0 == "-" })
            else { return nil }
        }
        return Parts(repository: String(rest), tag: tag, digest: digest)
    }
}
