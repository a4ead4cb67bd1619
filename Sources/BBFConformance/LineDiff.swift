/// A line diff of expected against actual output, grouped into hunks.
public struct LineDiff: Equatable, Sendable {
    public struct Hunk: Equatable, Sendable {
        /// 0-based first line in the expected and actual text.
        public var expectedStart: Int
        public var actualStart: Int
        /// Lines only in the expected output (removed) and only in ours (added).
        public var removed: [String]
        public var added: [String]
    }

    public var hunks: [Hunk]
    public var isEmpty: Bool { hunks.isEmpty }

    /// Lines as `diff` sees them ("a\nb\n" is two lines, "a\nb" too, but
    /// the missing final newline is itself a difference).
    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") {
            lines.removeLast()
        } else if !text.isEmpty {
            lines[lines.count - 1] += "\\ No newline at end of file"
        }
        return lines
    }

    /// `diff -a -u expected actual`, optionally with `-I regex`-style
    /// ignoring: a hunk whose every changed line satisfies `ignoring` does not count.
    public init(expected: String, actual: String, ignoring: ((String) -> Bool)? = nil) {
        let old = Self.lines(expected)
        let new = Self.lines(actual)
        if old == new {
            hunks = []
            return
        }
        let difference = new.difference(from: old)
        var removals: [Int: String] = [:]
        var insertions: [Int: String] = [:]
        for change in difference {
            switch change {
            case .remove(let offset, let element, _): removals[offset] = element
            case .insert(let offset, let element, _): insertions[offset] = element
            }
        }
        var hunks: [Hunk] = []
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if removals[i] == nil && insertions[j] == nil && i < old.count && j < new.count {
                i += 1
                j += 1
                continue
            }
            var hunk = Hunk(expectedStart: i, actualStart: j, removed: [], added: [])
            while (i < old.count && removals[i] != nil) || (j < new.count && insertions[j] != nil) {
                while i < old.count, let line = removals[i] {
                    hunk.removed.append(line)
                    i += 1
                }
                while j < new.count, let line = insertions[j] {
                    hunk.added.append(line)
                    j += 1
                }
            }
            if hunk.removed.isEmpty && hunk.added.isEmpty {
                // Past the end of one side: the rest of the other.
                if i < old.count { hunk.removed = Array(old[i...]); i = old.count }
                if j < new.count { hunk.added = Array(new[j...]); j = new.count }
            }
            if let ignoring, (hunk.removed + hunk.added).allSatisfy(ignoring) { continue }
            hunks.append(hunk)
        }
        self.hunks = hunks
    }

    /// The first `limit` changed lines, unified-diff style with line numbers.
    public func firstLines(_ limit: Int) -> [String] {
        var out: [String] = []
        for hunk in hunks {
            out.append("@@ expected line \(hunk.expectedStart + 1), ours line \(hunk.actualStart + 1) @@")
            for line in hunk.removed { out.append("-" + line) }
            for line in hunk.added { out.append("+" + line) }
            if out.count >= limit { break }
        }
        return Array(out.prefix(limit))
    }
}
