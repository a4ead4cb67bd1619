/// A JSON syntax error with the line and column (both from 1) where it was found.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 JSON parser.
public enum JSONParser {
    /// Parses one JSON document (surrounding whitespace allowed).
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.skipWhitespace()
        let value = try scanner.value(depth: 0)
        scanner.skipWhitespace()
        if !scanner.atEnd {
            throw scanner.error("unexpected text after the end of the document")
        }
        return value
    }

    private struct Scanner {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }
        var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        func error(_ message: String) -> JSONSyntaxError {
            var line = 1
            var column = 1
            for byte in bytes[0..<min(offset, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return JSONSyntaxError(line: line, column: column, message: message)
        }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                offset += 1
            }
        }

        mutating func expect(_ literal: String, as value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
            let expected = Array(literal.utf8)
            guard offset + expected.count <= bytes.count, Array(bytes[offset..<offset + expected.count]) == expected else {
                throw error("unexpected character; expected a value (string, number, object, array, true, false or null)")
            }
            offset += expected.count
            return value
        }

        mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            guard depth < 256 else { throw error("nesting is too deep") }
            guard let byte = current else { throw error("unexpected end of document; expected a value") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", as: .bool(true))
            case UInt8(ascii: "f"): return try expect("false", as: .bool(false))
            case UInt8(ascii: "n"): return try expect("null", as: .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected character; expected a value (string, number, object, array, true, false or null)")
            }
        }

        mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            offset += 1
            var members: [JSONMember] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected ':' after the member name \"\(key)\"") }
                offset += 1
                skipWhitespace()
                members.append(JSONMember(key, try value(depth: depth + 1)))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","):
                    offset += 1
                case UInt8(ascii: "}"):
                    offset += 1
                    return .object(members)
                default:
                    throw error("expected ',' or '}' after the value of \"\(key)\"")
                }
            }
        }

        mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
            offset += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                offset += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","):
                    offset += 1
                case UInt8(ascii: "]"):
                    offset += 1
                    return .array(elements)
                default:
                    throw error("expected ',' or ']' after an array element")
                }
            }
        }

        mutating func number() throws(JSONSyntaxError) -> JSONValue {
            let start = offset
            func digits(_ scanner: inout Scanner) -> Int {
                var count = 0
                while let byte = scanner.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    scanner.offset += 1
                    count += 1
                }
                return count
            }
            if current == UInt8(ascii: "-") { offset += 1 }
            if current == UInt8(ascii: "0") {
                offset += 1
            } else if digits(&self) == 0 {
                throw error("invalid number")
            }
            if current == UInt8(ascii: ".") {
                offset += 1
                if digits(&self) == 0 { throw error("invalid number: expected digits after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                if digits(&self) == 0 { throw error("invalid number: expected digits in the exponent") }
            }
            return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
        }

        mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw error("incomplete \\u escape") }
            var value: UInt32 = 0
            for byte in bytes[offset..<offset + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("invalid \\u escape")
                }
                value = value * 16 + UInt32(digit)
            }
            offset += 4
            return value
        }

        mutating func string() throws(JSONSyntaxError) -> String {
            offset += 1
            var result: [UInt8] = []
            while true {
                guard let byte = current else { throw error("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    offset += 1
                    return String(decoding: result, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    offset += 1
                    guard let escaped = current else { throw error("unterminated string") }
                    offset += 1
                    switch escaped {
                    case UInt8(ascii: "\""): result.append(UInt8(ascii: "\""))
                    case UInt8(ascii: "\\"): result.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "/"): result.append(UInt8(ascii: "/"))
                    case UInt8(ascii: "b"): result.append(0x08)
                    case UInt8(ascii: "f"): result.append(0x0C)
                    case UInt8(ascii: "n"): result.append(0x0A)
                    case UInt8(ascii: "r"): result.append(0x0D)
                    case UInt8(ascii: "t"): result.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hexQuad()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                                throw error("unpaired UTF-16 surrogate in \\u escape")
                            }
                            offset += 2
                            let low = try hexQuad()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired UTF-16 surrogate in \\u escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                        result.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default:
                        offset -= 1
                        throw error("invalid escape sequence")
                    }
                case 0x00..<0x20:
                    throw error("control character in string (escape it, e.g. \\n)")
                default:
                    result.append(byte)
                    offset += 1
                }
            }
        }
    }
}
