/// Accumulates Dockerfile text: comments, instructions and `RUN` scripts laid
/// out one command per line.
struct DockerfileWriter {
    private(set) var lines: [String] = []

    var text: String { lines.joined(separator: "\n") + "\n" }

    mutating func comment(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(line.isEmpty ? "#" : "# \(line)")
        }
    }

    mutating func blank() {
        if lines.last != "" { lines.append("") }
    }

    /// A stage heading: a blank line and a rule with the stage's purpose.
    mutating func stage(_ title: String) {
        blank()
        lines.append("# " + String(repeating: "-", count: 76))
        comment(title)
    }

    mutating func instruction(_ text: String) {
        lines.append(text)
    }

    /// `RUN [mounts] set -eux; cmd; cmd` with one command per line. A command may
    /// itself span lines (see `wrapped`).
    mutating func run(_ commands: [String], mounts: [String] = [], trace: Bool = true) {
        var parts = mounts
        parts.append((trace ? "set -eux; " : "set -eu; ") + (commands.first ?? "true"))
        let body = commands.dropFirst().reduce(parts.joined(separator: " \\\n    ")) { script, command in
            script + "; \\\n    " + command
        }
        lines.append("RUN " + body)
    }

    /// `command` followed by one argument per continued line, indented under it.
    static func wrapped(_ command: String, _ arguments: [String]) -> String {
        arguments.reduce(command) { text, argument in text + " \\\n        " + argument }
    }
}

/// Quoting for POSIX shells.
public enum ShellQuote {
    /// `text` as one shell word: unchanged when it is plainly safe, else in single quotes.
    public static func word(_ text: String) -> String {
        let safe =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "@%+=:,./_-".unicodeScalars.contains(scalar))
            }
        return safe ? text : single(text)
    }

    /// `text` in single quotes, embedded single quotes escaped as `'\''`.
    public static func single(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }

    /// A command line as a shell would need it typed.
    public static func commandLine(_ words: [String]) -> String {
        words.map(word).joined(separator: " ")
    }
}
