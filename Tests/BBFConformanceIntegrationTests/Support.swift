import BBFConformance
import BBFSystem
import Testing

/// Where the programs and installs under test are.
enum Gate {
    /// An install prefix of PostgreSQL + Babelfish (BBF_TEST_BABELFISH_HOME).
    static let babelfishHome: String? = nonEmpty("BBF_TEST_BABELFISH_HOME")
    /// An extracted upstream test/JDBC directory (BBF_TEST_JDBC_SUITE).
    static let jdbcSuite: String? = nonEmpty("BBF_TEST_JDBC_SUITE")

    static let babelfishSkip: Comment =
        "needs a real Babelfish: set BBF_TEST_BABELFISH_HOME to an install prefix holding bin/postgres and the babelfishpg_* extensions"
    static let suiteSkip: Comment =
        "needs BBF_TEST_BABELFISH_HOME and BBF_TEST_JDBC_SUITE (the extracted test/JDBC directory of the line's babelfish_extensions tag)"

    static func nonEmpty(_ name: String) -> String? {
        guard let value = ProcessEnvironment.current()[name], !value.isEmpty else { return nil }
        return value
    }

    /// The executables built next to this test bundle.
    static func sibling(_ name: String) -> String {
        let executable = (try? FileSystem.symlinkTarget("/proc/self/exe")) ?? CommandLine.arguments[0]
        return FileSystem.parent(of: executable) + "/" + name
    }

    static func server(multiDb: Bool = false) throws -> ThrowawayServer {
        let home = try #require(babelfishHome)
        let server = try ThrowawayServer(home: home, entrypoint: sibling("bbf-entrypoint"), multiDb: multiDb)
        try server.start()
        return server
    }
}
