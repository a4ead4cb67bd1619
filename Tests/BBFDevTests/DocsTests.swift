import BBFDev
import Foundation
import Testing

@Suite("The developer guide and compose.yaml agree with the code")
struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("docs/DEVELOPER.md lists every setting: its key, variable and flag")
    func guide() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/DEVELOPER.md"), encoding: .utf8)
        for entry in DevSettingsTable.entries {
            #expect(text.contains("`\(entry.key)`"), "key \(entry.key)")
            if let variable = entry.variable { #expect(text.contains("`\(variable)`"), "variable \(variable)") }
            if let flag = entry.flag { #expect(text.contains("`\(flag)"), "flag \(flag)") }
        }
    }

    @Test("compose.yaml uses bbf dev's names, ports, volume, data directory and health check")
    func compose() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("compose.yaml"), encoding: .utf8)
        for fragment in [
            "${BBF_DEV_NAME:-\(DevSettings.defaultName)}", "${BBF_DEV_PORT:-\(DevSettings.defaultTDSPort)}:1433",
            "${BBF_DEV_PG_PORT:-\(DevSettings.defaultPostgresPort)}:5432", "${BBF_DEV_VOLUME:-\(DevSettings.defaultVolume)}",
            "pgbf-devdata:/var/lib/babelfish/data", "${BBF_DEV_BIND_ADDRESS:-\(DevSettings.defaultBindAddress)}",
            #"test: ["CMD", "bbf-entrypoint", "healthcheck"]"#, "stop_signal: SIGINT",
        ] {
            #expect(text.contains(fragment), "\(fragment)")
        }
        #expect(!text.contains("PASSWORD="), "no password values in compose.yaml")
    }
}
