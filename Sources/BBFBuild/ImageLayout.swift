/// Fixed facts about the image's file system and interface. These are the
/// contract with bbf-entrypoint, not versions, so they live here and not in
/// versions.json.
public enum ImageLayout {
    /// Install prefix of PostgreSQL and Babelfish. It must not contain
    /// "postgres" or "pgsql", so extensions land in lib/postgresql and
    /// share/postgresql/extension.
    public static let prefix = "/opt/babelfish"
    public static let dataDirectory = "/var/lib/babelfish/data"
    public static let home = "/var/lib/babelfish"
    public static let socketDirectory = "/var/run/postgresql"
    public static let initScriptsDirectory = "/docker-entrypoint-initdb.d"
    public static let entrypoint = "/usr/local/bin/bbf-entrypoint"
    /// The `postgres` user and group, as in the official postgres image.
    public static let userID = 999
    public static let groupID = 999
    public static let postgresPort = 5432
    public static let tdsPort = 1433
    /// Prefix of the image's own labels (OCI labels use org.opencontainers.image.*).
    public static let labelPrefix = "babelfish-dev"
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
