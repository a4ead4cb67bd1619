import Foundation

/// The canonical text of versions.json: keys sorted by their UTF-8 bytes,
/// two-space indentation, `"key": value`, one array element per line, `[]` and
/// `{}` for empty ones, only `"`, `\` and control characters escaped, a final
/// newline. The same value always gives the same bytes, on every platform.
///
/// `JSONEncoder` does the encoding; this only lays its output out. Its own
/// pretty-printing cannot be the canonical form: its `.sortedKeys` order is not
/// the same everywhere (Darwin's Foundation compares numerically and ignoring
/// case, so "antlr4-…" sorts before "BABEL_…"; Linux compares bytes), and it
/// prints an empty array as "[", a blank line and "]".
enum CanonicalJSON {
    static func text(of value: some Encodable) throws -> String {
        let tree = try JSONDecoder().decode(Tree.self, from: JSONEncoder().encode(value))
        var output = ""
        tree.write(indent: "", into: &output)
        return output + "\n"
    }

    private indirect enum Tree: Decodable {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Tree])
        case object([String: Tree])

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var elements: [Tree] = []
                while !list.isAtEnd { elements.append(try list.decode(Tree.self)) }
                self = .array(elements)
            } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
                var members: [String: Tree] = [:]
                for key in object.allKeys { members[key.stringValue] = try object.decode(Tree.self, forKey: key) }
                self = .object(members)
            } else {
                let value = try decoder.singleValueContainer()
                if value.decodeNil() {
                    self = .null
                } else if let flag = try? value.decode(Bool.self) {
                    self = .bool(flag)
                } else if let integer = try? value.decode(Int.self) {
                    self = .number(String(integer))
                } else if let number = try? value.decode(Double.self) {
                    self = .number(String(number))
                } else {
                    self = .string(try value.decode(String.self))
                }
            }
        }

        func write(indent: String, into output: inout String) {
            let inner = indent + "  "
            switch self {
            case .null: output += "null"
            case .bool(let flag): output += flag ? "true" : "false"
            case .number(let text): output += text
            case .string(let text): output += CanonicalJSON.quoted(text)
            case .array(let elements) where elements.isEmpty: output += "[]"
            case .object(let members) where members.isEmpty: output += "{}"
            case .array(let elements):
                output += "[\n"
                for (index, element) in elements.enumerated() {
                    output += inner
                    element.write(indent: inner, into: &output)
                    output += index == elements.count - 1 ? "\n" : ",\n"
                }
                output += indent + "]"
            case .object(let members):
                output += "{\n"
                let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                for (index, key) in keys.enumerated() {
                    output += inner + CanonicalJSON.quoted(key) + ": "
                    members[key]?.write(indent: inner, into: &output)
                    output += index == keys.count - 1 ? "\n" : ",\n"
                }
                output += indent + "}"
            }
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, nothing else.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
