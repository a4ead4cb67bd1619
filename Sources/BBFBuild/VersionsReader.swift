/// Problems found while decoding part of versions.json. Each `init(from:)`
/// throws them up to its parent, which adds its own and goes on, so one run of
/// `JSONDecoder` reports every problem, not only the first.
struct DecodingProblems: Error {
    var issues: [ValidationIssue]
}

/// Any key of a JSON object.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        return nil
    }
}

/// What a JSON value is, for messages: "a string", "null", ...
enum JSONKind: String, Decodable {
    case null = "null"
    case boolean = "a boolean"
    case number = "a number"
    case string = "a string"
    case array = "an array"
    case object = "an object"

    init(from decoder: any Decoder) throws {
        if let value = try? decoder.singleValueContainer() {
            if value.decodeNil() {
                self = .null
                return
            }
            if (try? value.decode(Bool.self)) != nil {
                self = .boolean
                return
            }
            if (try? value.decode(Double.self)) != nil {
                self = .number
                return
            }
            if (try? value.decode(String.self)) != nil {
                self = .string
                return
            }
        }
        self = (try? decoder.container(keyedBy: AnyKey.self)) != nil ? .object : .array
    }

    static func of(_ decoder: any Decoder) -> String {
        ((try? JSONKind(from: decoder)) ?? .null).rawValue
    }
}

/// Reads one object of versions.json whose keys are `Key`'s cases: reports
/// unknown and missing keys and values of the wrong kind, each with its JSON
/// path and a fix, and returns nil for what it could not read.
struct ObjectReader<Key: CodingKey & CaseIterable> {
    let path: JSONPath
    private let container: KeyedDecodingContainer<AnyKey>?
    private(set) var issues: [ValidationIssue] = []

    init(_ decoder: any Decoder) {
        path = JSONPath(codingPath: decoder.codingPath)
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else {
            issues.append(ValidationIssue(path, "expected an object, found \(JSONKind.of(decoder))", fix: "write { ... } here"))
            container = nil
            return
        }
        self.container = container
        let known = Key.allCases.map(\.stringValue)
        for key in container.allKeys.map(\.stringValue).sorted() where !known.contains(key) {
            issues.append(
                ValidationIssue(
                    path.appending(key), "unknown key",
                    fix: "remove it or correct its spelling (known keys here: \(known.joined(separator: ", ")))"))
        }
    }

    /// Adds a problem found by the caller.
    mutating func report(_ issue: ValidationIssue) {
        issues.append(issue)
    }

    /// Throws the problems found so far, if any.
    func finish() throws(DecodingProblems) {
        if !issues.isEmpty { throw DecodingProblems(issues: issues) }
    }

    /// The decoder of a required member, or nil (reported) when it is absent.
    private mutating func member(_ key: Key) -> (decoder: any Decoder, path: JSONPath)? {
        guard let container else { return nil }
        let name = AnyKey(stringValue: key.stringValue)
        guard container.contains(name), let decoder = try? container.superDecoder(forKey: name) else {
            issues.append(
                ValidationIssue(
                    path.appending(key.stringValue), "missing", fix: "add \"\(key.stringValue)\" (see docs/BUILDING.md for the schema)"))
            return nil
        }
        return (decoder, path.appending(key.stringValue))
    }

    /// A nested object (or a list or map of them) that reads itself.
    mutating func value<T: Decodable>(_ key: Key) -> T? {
        guard let (decoder, path) = member(key) else { return nil }
        return read(T.self, from: decoder, at: path)
    }

    private mutating func read<T: Decodable>(_ type: T.Type, from decoder: any Decoder, at path: JSONPath) -> T? {
        do {
            return try T(from: decoder)
        } catch let problems as DecodingProblems {
            issues += problems.issues
        } catch {
            issues.append(ValidationIssue(path, "cannot be read: \(error)", fix: "see docs/BUILDING.md for the schema"))
        }
        return nil
    }

    private mutating func string(from decoder: any Decoder, at path: JSONPath, example: String) -> String? {
        if let text = try? decoder.singleValueContainer().decode(String.self) { return text }
        issues.append(ValidationIssue(path, "expected a string, found \(JSONKind.of(decoder))", fix: "write a string, e.g. \(example)"))
        return nil
    }

    /// A required string.
    mutating func string(_ key: Key, example: String) -> String? {
        guard let (decoder, path) = member(key) else { return nil }
        return string(from: decoder, at: path, example: example)
    }

    /// A required member that is a string or null.
    mutating func nullableString(_ key: Key, example: String) -> String?? {
        guard let (decoder, path) = member(key) else { return nil }
        if (try? decoder.singleValueContainer().decodeNil()) == true { return .some(nil) }
        return string(from: decoder, at: path, example: example).map { .some($0) }
    }

    /// A required integer.
    mutating func integer(_ key: Key, fix: String) -> Int? {
        guard let (decoder, path) = member(key) else { return nil }
        if let number = try? decoder.singleValueContainer().decode(Int.self) { return number }
        issues.append(ValidationIssue(path, "expected an integer, found \(JSONKind.of(decoder))", fix: fix))
        return nil
    }

    /// A required boolean.
    mutating func boolean(_ key: Key, fix: String) -> Bool? {
        guard let (decoder, path) = member(key) else { return nil }
        if let value = try? decoder.singleValueContainer().decode(Bool.self) { return value }
        issues.append(ValidationIssue(path, "expected true or false, found \(JSONKind.of(decoder))", fix: fix))
        return nil
    }

    /// A required string that `parse` must accept; otherwise an issue saying it is not a `kind`.
    mutating func parsed<T>(_ key: Key, example: String, as parse: (String) -> T?, kind: String, fix: String) -> T? {
        guard let text = string(key, example: example) else { return nil }
        guard let value = parse(text) else {
            issues.append(ValidationIssue(path.appending(key.stringValue), "\"\(text)\" is not a \(kind)", fix: fix))
            return nil
        }
        return value
    }

    /// A required string naming one of `T`'s cases.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: Key, example: String, kind: String) -> T? where T.RawValue == String {
        parsed(
            key, example: example, as: T.init(rawValue:), kind: kind,
            fix: "use one of: " + T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
    }

    /// A required array of strings.
    mutating func strings(_ key: Key, example: String) -> [String]? {
        list(key, kind: "an array of strings", fix: "write [\(example), ...]") { reader, decoder, path in
            reader.string(from: decoder, at: path, example: example)
        }
    }

    /// A required array of objects.
    mutating func objects<T: Decodable>(_ key: Key, fix: String) -> [T]? {
        list(key, kind: "an array", fix: fix) { reader, decoder, path in reader.read(T.self, from: decoder, at: path) }
    }

    private mutating func list<T>(
        _ key: Key, kind: String, fix: String, _ element: (inout ObjectReader, any Decoder, JSONPath) -> T?
    ) -> [T]? {
        guard let (decoder, path) = member(key) else { return nil }
        guard var elements = try? decoder.unkeyedContainer() else {
            issues.append(ValidationIssue(path, "expected \(kind), found \(JSONKind.of(decoder))", fix: fix))
            return nil
        }
        var result: [T] = []
        var complete = true
        while !elements.isAtEnd {
            let index = elements.currentIndex
            guard let elementDecoder = try? elements.superDecoder() else { return nil }
            if let value = element(&self, elementDecoder, path.appending(index: index)) {
                result.append(value)
            } else {
                complete = false
            }
        }
        return complete ? result : nil
    }

    /// A required object keyed by name (lines, distributions, checksums).
    mutating func map<T: Decodable>(_ key: Key) -> [String: T]? {
        guard let (decoder, path) = member(key) else { return nil }
        guard let members = try? decoder.container(keyedBy: AnyKey.self) else {
            issues.append(
                ValidationIssue(
                    path, "expected an object keyed by name, found \(JSONKind.of(decoder))", fix: "write { \"name\": { ... } }"))
            return nil
        }
        var result: [String: T] = [:]
        var complete = true
        for name in members.allKeys.sorted(by: { VersionOrder.precedes($0.stringValue, $1.stringValue) }) {
            if let memberDecoder = try? members.superDecoder(forKey: name),
                let value = read(T.self, from: memberDecoder, at: path.appending(name.stringValue))
            {
                result[name.stringValue] = value
            } else {
                complete = false
            }
        }
        return complete ? result : nil
    }
}
