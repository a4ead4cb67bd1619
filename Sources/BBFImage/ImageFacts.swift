/// Fixed facts about the engine image's file system and interface: the
/// contract between the Dockerfiles the build tool renders, bbf-entrypoint
/// inside the image, and the pipeline and developer commands that run it.
/// Not versions (those live in versions.json): these change only with a
/// new image layout.
public enum ImageFacts {
    /// Install prefix of PostgreSQL and Babelfish. It must not contain
    /// "postgres" or "pgsql", so extensions land in lib/postgresql and
    /// share/postgresql/extension.
    public static let prefix = "/opt/babelfish"
    /// The postgres user's home; the data directory lives below it.
    public static let home = "/var/lib/babelfish"
    /// PGDATA in the image, and where developers mount their named volume.
    public static let dataDirectory = "/var/lib/babelfish/data"
    public static let socketDirectory = "/var/run/postgresql"
    public static let initScriptsDirectory = "/docker-entrypoint-initdb.d"
    public static let entrypoint = "/usr/local/bin/bbf-entrypoint"
    /// The template cluster first boots copy (`bbf-entrypoint make-template`),
    /// read-only and outside PGDATA.
    public static let templateDirectory = "/opt/babelfish/template"
    /// The `postgres` user and group, as in the official postgres image.
    public static let userID = 999
    public static let groupID = 999
    public static let userName = "postgres"
    public static let postgresPort = 5432
    public static let tdsPort = 1433
    /// Prefix of the image's own labels (OCI labels use org.opencontainers.image.*).
    public static let labelPrefix = "babelfish-dev"
}

/// The project's version: bbf, bbf-entrypoint and the images they make.
public enum ProjectVersion {
    public static let current = "0.2.0"
}
