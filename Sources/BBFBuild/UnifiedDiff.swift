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

    /// A shortest edit script: common prefix and suffix, then an LCS table for the middle.
    static func edits(_ a: [String], _ b: [String]) -> [Edit] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var result = a[..<prefix].map { Edit.keep($0) }
        if middleA.count * middleB.count > 4_000_000 {
            result += middleA.map { .delete($0) } + middleB.map { .insert($0) }
        } else {
            result += lcsEdits(middleA, middleB)
        }
        result += a[(a.count - suffix)...].map { Edit.keep($0) }
        return result
    }

    private static func lcsEdits(_ a: [String], _ b: [String]) -> [Edit] {
        let width = b.count + 1
        var table = [Int](repeating: 0, count: (a.count + 1) * width)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i * width + j] =
                    a[i] == b[j] ? table[(i + 1) * width + j + 1] + 1 : max(table[(i + 1) * width + j], table[i * width + j + 1])
            }
        }
        var edits: [Edit] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count && j < b.count && a[i] == b[j] {
                edits.append(.keep(a[i]))
                i += 1
                j += 1
            } else if i < a.count && (j == b.count || table[(i + 1) * width + j] >= table[i * width + j + 1]) {
                edits.append(.delete(a[i]))
                i += 1
            } else {
                edits.append(.insert(b[j]))
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
