import BBFImage

/// The image facts the Dockerfile renderer uses (shared with bbf-entrypoint
/// through `ImageFacts`) and the build-only ones.
public enum ImageLayout {
    public static let prefix = ImageFacts.prefix
    public static let dataDirectory = ImageFacts.dataDirectory
    public static let home = ImageFacts.home
    public static let socketDirectory = ImageFacts.socketDirectory
    public static let initScriptsDirectory = ImageFacts.initScriptsDirectory
    public static let entrypoint = ImageFacts.entrypoint
    public static let templateDirectory = ImageFacts.templateDirectory
    public static let userID = ImageFacts.userID
    public static let groupID = ImageFacts.groupID
    public static let postgresPort = ImageFacts.postgresPort
    public static let tdsPort = ImageFacts.tdsPort
    public static let labelPrefix = ImageFacts.labelPrefix
    /// bbf in the pipeline image.
    public static let bbf = "/usr/local/bin/bbf"
    /// The pipeline image's only writable place: HOME and WORKDIR (an emptyDir or tmpfs in Kubernetes).
    public static let pipelineWork = "/work"
    /// TMPDIR in the pipeline image; bbf creates it when /work is a fresh mount.
    public static let pipelineTemporary = "/work/tmp"
    /// Where the ANTLR runtime is installed in the build stages: the tsql
    /// Makefile and antlr/CMakeLists.txt hard-code /usr/local.
    public static let antlrPrefix = "/usr/local"
    /// Staging root of the ANTLR install (`make install DESTDIR=`).
    public static let antlrStaging = "/opt/antlr-install"

    /// The engine's configure flags: the official 5.x CI set plus --with-openssl
    /// (TLS on TDS, which sqlcmd 18 needs). Never --with-extra-version: it breaks
    /// sys.get_host_os().
    public static let configureFlags = [
        "--with-ldap", "--with-libxml", "--with-pam", "--with-uuid=ossp", "--enable-nls", "--with-libxslt", "--with-icu",
        "--with-openssl",
    ]

    /// The four extensions, in build order.
    public static let extensions = ["babelfishpg_money", "babelfishpg_common", "babelfishpg_tds", "babelfishpg_tsql"]
}

/// Base images that replace the distribution's, at generation or build time.
public struct ImageOverrides: Equatable, Sendable {
    public var build: String?
    public var runtime: String?
    public var swift: String?

    public init(build: String? = nil, runtime: String? = nil, swift: String? = nil) {
        self.build = build
        self.runtime = runtime
        self.swift = swift
    }

    public var isEmpty: Bool { build == nil && runtime == nil && swift == nil }

    /// Parses `--base` values: `IMAGE` (build and runtime stages) or
    /// `build=IMAGE`, `runtime=IMAGE`, `swift=IMAGE`.
    public static func parse(_ values: [String]) throws(BuildToolError) -> ImageOverrides {
        var result = ImageOverrides()
        for value in values {
            let stage: String?
            let image: String
            if let equals = value.firstIndex(of: "="), !value[..<equals].contains("/"), !value[..<equals].contains(":") {
                stage = String(value[..<equals])
                image = String(value[value.index(after: equals)...])
            } else {
                stage = nil
                image = value
            }
            if let problem = ImageReference.problem(image) {
                throw BuildToolError(.invalidArgument, "--base \(value): \(problem)")
            }
            switch stage {
            case nil:
                result.build = image
                result.runtime = image
            case "build": result.build = image
            case "runtime": result.runtime = image
            case "swift": result.swift = image
            case let other?:
                throw BuildToolError(
                    .invalidArgument, "--base \(value): unknown stage \"\(other)\"; use IMAGE, build=IMAGE, runtime=IMAGE or swift=IMAGE")
            }
        }
        return result
    }

    func applied(to images: BaseImages) -> BaseImages {
        BaseImages(build: build ?? images.build, runtime: runtime ?? images.runtime, swift: swift ?? images.swift)
    }
}
