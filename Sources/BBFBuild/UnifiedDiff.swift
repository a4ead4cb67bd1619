/// Line-based unified diffs (as `diff -u` prints them), for drift reports.
public enum UnifiedDiff {
    enum Edit: Equatable {
        case keep(String)
        case delete(String)
        case insert(String)
    }

    /// The diff from `old` to `new`, or "" when they are equal.
    public static func diff(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        if old == new { return "" }
        let edits = self.edits(splitLines(old), splitLines(new))
        var output = "--- \(oldName)\n+++ \(newName)\n"
        for hunk in hunks(edits, context: context) {
            output += hunk
        }
        return output
    }

    static func splitLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The edit script from `a` to `b`: the standard library's `difference(from:)`
    /// (Myers' algorithm) laid out as `diff -u` reads, deletions before insertions.
    static func edits(_ a: [String], _ b: [String]) -> [Edit] {
        var removed: Set<Int> = []
        var inserted: Set<Int> = []
        for change in b.difference(from: a) {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var edits: [Edit] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count && removed.contains(i) {
                edits.append(.delete(a[i]))
                i += 1
            } else if j < b.count && inserted.contains(j) {
                edits.append(.insert(b[j]))
                j += 1
            } else {
                edits.append(.keep(a[i]))
                i += 1
                j += 1
            }
        }
        return edits
    }

    private static func hunks(_ edits: [Edit], context: Int) -> [String] {
        let changed = edits.indices.filter { if case .keep = edits[$0] { return false } else { return true } }
        guard let firstChange = changed.first else { return [] }
        var ranges: [ClosedRange<Int>] = []
        var start = max(0, firstChange - context)
        var end = min(edits.count - 1, firstChange + context)
        for index in changed.dropFirst() {
            if index - context <= end + 1 {
                end = min(edits.count - 1, index + context)
            } else {
                ranges.append(start...end)
                start = max(0, index - context)
                end = min(edits.count - 1, index + context)
            }
        }
        ranges.append(start...end)

        var oldLine = [Int](repeating: 0, count: edits.count + 1)
        var newLine = [Int](repeating: 0, count: edits.count + 1)
        for (index, edit) in edits.enumerated() {
            oldLine[index + 1] = oldLine[index] + (edit == .insert(edit.text) ? 0 : 1)
            newLine[index + 1] = newLine[index] + (edit == .delete(edit.text) ? 0 : 1)
        }
        return ranges.map { range in
            var body = ""
            var oldCount = 0
            var newCount = 0
            for edit in edits[range] {
                switch edit {
                case .keep(let text):
                    body += " \(text)\n"
                    oldCount += 1
                    newCount += 1
                case .delete(let text):
                    body += "-\(text)\n"
                    oldCount += 1
                case .insert(let text):
                    body += "+\(text)\n"
                    newCount += 1
                }
            }
            let oldStart = oldCount == 0 ? oldLine[range.lowerBound] : oldLine[range.lowerBound] + 1
            let newStart = newCount == 0 ? newLine[range.lowerBound] : newLine[range.lowerBound] + 1
            return "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n" + body
        }
    }
}

extension UnifiedDiff.Edit {
    var text: String {
        switch self {
        case .keep(let text), .delete(let text), .insert(let text): return text
        }
    }
}
