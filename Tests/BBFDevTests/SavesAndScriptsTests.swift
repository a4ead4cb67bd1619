import BBFDev
import BBFSystem
import Foundation
import Testing

@testable import TDSClient

@Suite("Saves, T-SQL output, ECR hosts")
struct SavesAndScriptsTests {
    func record(_ name: String, major: String = "16", created: String = "2026-12-01T10:00:00Z") -> SaveRecord {
        SaveRecord(
            name: name, createdAt: created, instance: "babelfish-dev", volume: "pgbf-devdata", image: "registry.example.com/team/db:latest",
            imageID: "sha256:1", imageDigest: nil, postgresMajor: major, postgresVersion: major + ".3", babelfishVersion: "4.2.0",
            snapshot: nil, size: 12_345_678, sha256: "ab", tool: "bbf 0.2.0")
    }

    @Test("Save names are plain file names")
    func names() {
        for good in ["before-refresh", "qa.2026-12", "A1_b"] { #expect(SaveStore.nameProblem(good) == nil, "\(good)") }
        for bad in ["", ".hidden", "../x", "a/b", "with space", String(repeating: "x", count: 65)] {
            #expect(SaveStore.nameProblem(bad) != nil, "\(bad)")
        }
    }

    @Test("A save of another PostgreSQL major is refused, saying what to do")
    func majorRefusal() {
        let refusal = SaveStore.loadProblem(record("old", major: "15"), imageMajor: "16", image: "team/db:latest")
        #expect(refusal?.code == .refused)
        #expect(refusal?.message.contains("PostgreSQL 15 cluster") == true && refusal?.message.contains("pg_upgrade") == true)
        #expect(refusal?.message.contains("Nothing was changed") == true)
        #expect(SaveStore.loadProblem(record("same"), imageMajor: "16", image: "x") == nil)
    }

    @Test("The store lists complete saves only, oldest first, and names the known ones for a missing save")
    func store() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-saves-")
        defer { try? FileSystem.removeTree(directory) }
        let store = SaveStore(directory: directory)
        let encoder = JSONEncoder()
        for (name, created) in [("newer", "2026-12-02T00:00:00Z"), ("older", "2026-11-01T00:00:00Z")] {
            try FileManager.default.createDirectory(atPath: store.path(of: name), withIntermediateDirectories: true)
            try encoder.encode(record(name, created: created)).write(to: URL(fileURLWithPath: store.path(of: name) + "/save.json"))
        }
        // A save still being written is not listed.
        try FileManager.default.createDirectory(atPath: directory + "/.third.partial-1", withIntermediateDirectories: true)
        let listed = try store.list()
        #expect(listed.map(\.record.name) == ["older", "newer"])
        let text = SaveStore.render(listed, directory: directory)
        #expect(text.contains("older") && text.contains("12.3 MB") && text.contains("2 save(s)"))
        #expect(throws: DevError.self) { try store.read("third") }
        do {
            _ = try store.read("missing")
        } catch {
            #expect(error.message.contains("the saves are: older, newer"))
        }
        #expect(SaveStore.render([], directory: directory).contains("No saves"))
    }

    @Test("Result sets print as aligned tables with a row count")
    func resultTable() {
        let set = TDSResultSet(columns: ["id", "name"], rows: [["1", "Zoë"], ["22", nil]])
        #expect(SQLScript.render(set) == "id  name\n--  ----\n1   Zoë\n22  NULL\n(2 rows affected)")
    }

    @Test("A script's GO batches, with a named error for a bad repeat count")
    func batches() throws {
        let batches = try SQLScript.batches("select 1\nGO\nselect 2\nGO 3\n", file: "a.tsql")
        #expect(batches.map(\.repeatCount) == [1, 3])
        #expect(throws: DevError.self) { try SQLScript.batches("select 1\nGO 0\n", file: "a.tsql") }
    }

    @Test("ECR hosts give their region; other hosts do not")
    func ecr() {
        let host = ECRRegistry.parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
        #expect(host?.region == "eu-west-1" && host?.account == "123456789012")
        #expect(ECRRegistry.parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")?.region == "cn-north-1")
        #expect(ECRRegistry.parse("registry.example.com") == nil)
        #expect(ECRRegistry.parse("12345.dkr.ecr.eu-west-1.amazonaws.com") == nil)
    }
}
