import BBFSystem
import Testing

@testable import BBFEntrypoint

/// One row of a documentation table of variables.
private struct DocumentedRow: Equatable {
    var name: String
    var fromFile: Bool
    var defaultCell: String
}

private let repositoryRoot = FileSystem.parent(of: FileSystem.parent(of: FileSystem.parent(of: #filePath)))

/// The rows of the table headed `| Variable | Default | ...` in a Markdown file.
private func variableTable(in relativePath: String) throws -> [DocumentedRow] {
    let lines = try FileSystem.readText(repositoryRoot + "/" + relativePath).split(separator: "\n", omittingEmptySubsequences: false)
    let header = try #require(
        lines.firstIndex { $0.hasPrefix("| Variable | Default |") }, "\(relativePath) has no table headed | Variable | Default |")
    var rows: [DocumentedRow] = []
    for line in lines[(header + 2)...] {
        guard line.hasPrefix("|") else { break }
        let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map {
            String($0).trimmedWhitespace()
        }
        try #require(cells.count >= 3, "\(relativePath): a row without three cells: \(line)")
        let nameCell = cells[0]
        let fromFile = nameCell.hasSuffix(" / `_FILE`")
        let name = String(nameCell.dropLast(fromFile ? " / `_FILE`".count : 0))
        try #require(name.hasPrefix("`") && name.hasSuffix("`") && name.count > 2, "\(relativePath): not a `NAME` cell: \(nameCell)")
        rows.append(DocumentedRow(name: String(name.dropFirst().dropLast()), fromFile: fromFile, defaultCell: cells[1]))
    }
    return rows
}

@Suite("The table of variables is the one list")
struct VariableTableTests {
    @Test("Names are unique; only variables that may come from a file have a _FILE form")
    func table() {
        let names = EntrypointVariable.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(EntrypointConfiguration.knownVariables.contains("POSTGRES_PASSWORD_FILE"))
        #expect(!EntrypointConfiguration.knownVariables.contains("PGDATA_FILE"))
    }

    @Test("--help lists every documented variable with its default, and no internal one")
    func help() {
        let help = Entrypoint.helpText
        for variable in EntrypointVariable.all {
            let line = help.split(separator: "\n").first { $0.hasPrefix("  \(variable.name) ") }
            if variable.audience == .documented {
                let shown = variable.defaultValue.map { "(default \($0))" } ?? "(\(variable.withoutDefault))"
                #expect(line?.hasSuffix(shown) == true, "\(variable.name): \(line ?? "missing")")
                #expect(line?.contains("\(variable.name) *") == variable.fromFile, "\(variable.name): \(line ?? "missing")")
            } else {
                #expect(line == nil, "\(variable.name) is internal but in --help")
            }
        }
    }

    @Test(
        "The README's and docs/ENTRYPOINT.md's tables list exactly the documented variables, with their defaults and _FILE",
        arguments: ["README.md", "docs/ENTRYPOINT.md"])
    func documentation(file: String) throws {
        let rows = try variableTable(in: file)
        #expect(rows.map(\.name) == EntrypointVariable.documented.map(\.name), "\(file) lists other variables, or in another order")
        for row in rows {
            guard let variable = EntrypointVariable.documented.first(where: { $0.name == row.name }) else { continue }
            #expect(row.fromFile == variable.fromFile, "\(file): \(row.name) should \(variable.fromFile ? "" : "not ")say / `_FILE`")
            if let value = variable.defaultValue {
                #expect(row.defaultCell.hasPrefix("`\(value)`"), "\(file): \(row.name)'s default is `\(value)`, not \(row.defaultCell)")
            } else {
                #expect(row.defaultCell.hasPrefix("—"), "\(file): \(row.name) has no default, but the table says \(row.defaultCell)")
            }
        }
    }

    @Test("The image's paths and port are the defaults")
    func imageFacts() {
        func value(_ name: String) -> String? { EntrypointVariable.all.first { $0.name == name }?.defaultValue }
        #expect(value("PGDATA") == "/var/lib/babelfish/data")
        #expect(value("POSTGRES_SOCKET_DIR") == "/var/run/postgresql")
        #expect(value("BABELFISH_INITDB_DIR") == "/docker-entrypoint-initdb.d")
        #expect(value("BABELFISH_TDS_PORT") == "1433")
    }
}
