import BBFEntrypoint
import BBFSystem
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Template clusters made by `bbf-entrypoint make-template`, one per kind and
/// test process (making one takes a first boot's time), removed at exit.
enum SharedTemplate {
    /// Made from the plain PostgreSQL (BABELFISH_ENABLED=false), with a sandbox's environment.
    static func plain() throws -> String {
        try plainTemplate.get()
    }

    /// Made from BBF_TEST_BABELFISH_HOME with the defaults.
    static func babelfish() throws -> String {
        guard TestEnvironment.hasBabelfish else { try Test.cancel(TestEnvironment.babelfishSkipReason) }
        return try babelfishTemplate.get()
    }

    private static let plainTemplate = Result { try make(babelfish: false) }
    private static let babelfishTemplate = Result { try make(babelfish: true) }

    private static func make(babelfish: Bool) throws -> String {
        let root = try FileSystem.makeTemporaryDirectory(prefix: "bbf-template-")
        try FileSystem.changePermissions(root, 0o755)
        TemplateCleanup.add(root)
        let directory = root + "/template"
        let result = try makeTemplate(directory, babelfish: babelfish)
        guard result.status == .exited(0) else { throw HarnessFailure("make-template failed (\(result.status)):\n\(result.output)") }
        return directory
    }

    /// Runs make-template with a sandbox-like environment; returns how it ended.
    static func makeTemplate(_ directory: String, babelfish: Bool, extra: [String: String] = [:]) throws -> RunResult {
        let sandbox = try Sandbox()
        var environment = try sandbox.environment(babelfish: babelfish, extra)
        environment["PGDATA"] = nil
        return try sandbox.run(["make-template", directory], environment: environment, timeoutSeconds: 300)
    }
}

/// What SharedTemplate made, removed when the test process exits.
enum TemplateCleanup {
    private static let roots = Mutex<[String]>([])

    static func add(_ root: String) {
        let first = roots.withLock { roots in
            roots.append(root)
            return roots.count == 1
        }
        if first { atexit { TemplateCleanup.removeAll() } }
    }

    static func removeAll() {
        for root in roots.withLock({ $0 }) { try? FileSystem.removeTree(root) }
    }
}

/// What pg_controldata says about a data directory or a template's cluster.
struct ControlData {
    var systemIdentifier: String
    var nonce: String
    var state: String

    static func read(_ dataDirectory: String, bin: String) throws -> ControlData {
        let output = try Command.output(bin + "/pg_controldata", [dataDirectory], environment: ["LANG": "C", "PATH": "/usr/bin:/bin"])
        #expect(!output.contains("calculated CRC checksum does not match"), "pg_controldata: \(output)")
        func field(_ name: String) -> String {
            let line = output.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return line.dropFirst(name.count + 1).trimmingPrefix(while: { $0 == " " }).description
        }
        return ControlData(
            systemIdentifier: field("Database system identifier"), nonce: field("Mock authentication nonce"),
            state: field("Database cluster state"))
    }
}

extension Sandbox {
    /// The environment of a first boot from `template`.
    func templateEnvironment(_ template: String, babelfish: Bool = false, _ extra: [String: String] = [:]) throws -> [String: String] {
        var more = extra
        more["BBF_INIT_TEMPLATE"] = template
        return try environment(babelfish: babelfish, more)
    }
}

extension Substring {
    fileprivate func trimmingPrefix(while predicate: (Character) -> Bool) -> Substring {
        var copy = self
        while let first = copy.first, predicate(first) { copy.removeFirst() }
        return copy
    }
}
