/// A PostgreSQL version, MAJOR.MINOR (10 and later), e.g. 17.5.
public struct PostgresVersion: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses "17.5"; nil for anything else.
    public init?(_ text: String) {
        guard let numbers = VersionOrder.numbers(text), numbers.count == 2, numbers[0] >= 10 else { return nil }
        self.init(major: numbers[0], minor: numbers[1])
    }

    public var description: String { "\(major).\(minor)" }
}

/// A Babelfish version, MAJOR.MINOR.PATCH, e.g. 5.2.0.
public struct BabelfishVersion: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses "5.2.0"; nil for anything else.
    public init?(_ text: String) {
        guard let numbers = VersionOrder.numbers(text), numbers.count == 3, numbers[0] >= 1 else { return nil }
        self.init(major: numbers[0], minor: numbers[1], patch: numbers[2])
    }

    /// The line this version belongs to, "MAJOR.MINOR".
    public var lineName: String { "\(major).\(minor)" }

    /// The PostgreSQL major every Babelfish major is built on:
    /// 1.x on 13, 2.x on 14, 3.x on 15, 4.x on 16, 5.x on 17.
    public var postgresMajor: Int { major + 12 }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// Dotted numeric versions: parsing and ordering.
public enum VersionOrder {
    /// The numbers of a dotted version ("4.13.2" → [4, 13, 2]); nil unless every
    /// part is a decimal number without a leading zero.
    public static func numbers(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 4 else { return nil }
        var result: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 6, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            if part.count > 1 && part.first == "0" { return nil }
            guard let number = Int(part) else { return nil }
            result.append(number)
        }
        return result
    }

    /// Whether `a` sorts before `b`: numerically when both are versions, else as text.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        if let left = numbers(a), let right = numbers(b), left != right {
            return left.lexicographicallyPrecedes(right)
        }
        return a < b
    }
}
