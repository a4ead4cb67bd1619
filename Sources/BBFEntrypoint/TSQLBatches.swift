/// One T-SQL batch of a script.
public struct TSQLBatch: Equatable, Sendable {
    public var text: String
    /// 1-based line where the batch starts in the file.
    public var firstLine: Int
    /// How many times to run it (`GO 3`).
    public var repeatCount: Int
}

/// Splits a T-SQL script into batches at `GO` lines, as sqlcmd does: `GO`
/// alone on its line (any case, optional count and trailing `--` comment),
/// not inside a string, a quoted identifier or a (nested) block comment.
public enum TSQLBatches {
    public struct SplitError: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func split(_ script: String) throws -> [TSQLBatch] {
        var batches: [TSQLBatch] = []
        var current: [Substring] = []
        var currentStart = 1
        var lexer = Lexer()
        let lines = script.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            let lineNumber = index + 1
            if lexer.isAtTopLevel, let count = try goCount(line, lineNumber: lineNumber) {
                appendBatch(&batches, current, firstLine: currentStart, repeatCount: count)
                current = []
                currentStart = lineNumber + 1
                continue
            }
            if current.isEmpty && line.allSatisfy(\.isWhitespace) {
                currentStart = lineNumber + 1
                continue
            }
            current.append(line)
            lexer.consume(line)
        }
        appendBatch(&batches, current, firstLine: currentStart, repeatCount: 1)
        return batches
    }

    private static func appendBatch(_ batches: inout [TSQLBatch], _ lines: [Substring], firstLine: Int, repeatCount: Int) {
        var trimmed = lines
        while let last = trimmed.last, last.allSatisfy(\.isWhitespace) { trimmed.removeLast() }
        guard !trimmed.isEmpty else { return }
        batches.append(TSQLBatch(text: trimmed.joined(separator: "\n"), firstLine: firstLine, repeatCount: repeatCount))
    }

    /// The repeat count if `line` is a batch separator.
    static func goCount(_ line: Substring, lineNumber: Int) throws -> Int? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        guard rest.count >= 2, rest.prefix(2).lowercased() == "go" else { return nil }
        rest = rest.dropFirst(2)
        if let next = rest.first, !(next == " " || next == "\t" || next == "-") { return nil }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        var count = 1
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty {
            guard let parsed = Int(digits), parsed >= 1 else {
                throw SplitError(line: lineNumber, reason: "GO \(digits): the repeat count must be at least 1")
            }
            count = parsed
            rest = rest.dropFirst(digits.count).drop { $0 == " " || $0 == "\t" }
        }
        if rest.isEmpty || rest.hasPrefix("--") { return count }
        return nil
    }

    /// Tracks whether the text so far ends inside a string or comment.
    struct Lexer {
        private var blockDepth = 0
        private var closingQuote: Character?

        var isAtTopLevel: Bool { blockDepth == 0 && closingQuote == nil }

        mutating func consume(_ line: Substring) {
            var index = line.startIndex
            func peek(_ offset: Int) -> Character? {
                line.index(index, offsetBy: offset, limitedBy: line.endIndex).flatMap { $0 < line.endIndex ? line[$0] : nil }
            }
            while index < line.endIndex {
                let c = line[index]
                if let quote = closingQuote {
                    if c == quote {
                        if peek(1) == quote {
                            index = line.index(index, offsetBy: 2)
                            continue
                        }
                        closingQuote = nil
                    }
                } else if blockDepth > 0 {
                    if c == "/" && peek(1) == "*" {
                        blockDepth += 1
                        index = line.index(index, offsetBy: 2)
                        continue
                    }
                    if c == "*" && peek(1) == "/" {
                        blockDepth -= 1
                        index = line.index(index, offsetBy: 2)
                        continue
                    }
                } else {
                    switch c {
                    case "-" where peek(1) == "-":
                        return
                    case "/" where peek(1) == "*":
                        blockDepth = 1
                        index = line.index(index, offsetBy: 2)
                        continue
                    case "'": closingQuote = "'"
                    case "\"": closingQuote = "\""
                    case "[": closingQuote = "]"
                    default: break
                    }
                }
                index = line.index(after: index)
            }
        }
    }
}
