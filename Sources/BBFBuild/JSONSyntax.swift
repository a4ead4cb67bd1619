import Foundation

/// What Foundation's JSON parsers do not tell: where a syntax error is, as a
/// line and column, and which keys appear twice in one object.
enum JSONSyntax {
    /// "line 3, column 7: invalid value" for a JSONSerialization error, which
    /// gives only a byte offset here ("around character 18"; newer
    /// Foundations say "around line 3, column 7", taken as it is).
    static func describe(_ error: any Error, in data: Data) -> String {
        let message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        var reason = message.hasSuffix(".") ? String(message.dropLast()) : message
        if let match = message.firstMatch(of: /(?<reason>.*) around line (?<line>[0-9]+), column (?<column>[0-9]+)\.?$/) {
            return "line \(match.line), column \(match.column): " + lowercasedFirst(String(match.reason))
        }
        var offset = data.count
        if let match = message.firstMatch(of: /(?<reason>.*) around character (?<offset>[0-9]+)\.?$/), let number = Int(match.offset) {
            reason = String(match.reason)
            offset = min(number, data.count)
        }
        var line = 1
        var column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return "line \(line), column \(column): " + lowercasedFirst(reason)
    }

    private static func lowercasedFirst(_ text: String) -> String {
        text.prefix(1).lowercased() + text.dropFirst()
    }

    /// The paths of keys that appear twice in one object. JSONDecoder keeps the
    /// first of them and JSONSerialization the last, silently: a hand edit that
    /// adds a second "sha256" would vanish on `bbf format`. Runs on text that
    /// JSONSerialization accepted, so it only tracks strings and nesting.
    static func duplicateKeys(in data: Data) -> [JSONPath] {
        struct Level {
            var path: JSONPath
            var isObject: Bool
            var keys: Set<String> = []
            var key: String?
            var index = 0

            /// The path of the value that starts next at this level.
            var childPath: JSONPath { isObject ? path.appending(key ?? "") : path.appending(index: index) }
        }
        let bytes = [UInt8](data)
        var stack: [Level] = []
        var duplicates: [JSONPath] = []
        var offset = 0
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append(Level(path: stack.last?.childPath ?? .root, isObject: bytes[offset] == UInt8(ascii: "{")))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if let last = stack.indices.last, !stack[last].isObject { stack[last].index += 1 }
            case UInt8(ascii: "\""):
                let start = offset
                offset += 1
                while offset < bytes.count && bytes[offset] != UInt8(ascii: "\"") {
                    offset += bytes[offset] == UInt8(ascii: "\\") ? 2 : 1
                }
                var next = offset + 1
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if let last = stack.indices.last, stack[last].isObject, next < bytes.count, bytes[next] == UInt8(ascii: ":") {
                    let raw = Data(bytes[start...min(offset, bytes.count - 1)])
                    let key = (try? JSONDecoder().decode(String.self, from: raw)) ?? String(decoding: raw, as: UTF8.self)
                    stack[last].key = key
                    if !stack[last].keys.insert(key).inserted { duplicates.append(stack[last].path.appending(key)) }
                }
            default:
                break
            }
            offset += 1
        }
        return duplicates
    }
}
