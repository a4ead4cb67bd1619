import Foundation

/// The name of one backup: `bbf-backup-20261201T233000Z`, so names sort by time.
public struct BackupName: Comparable, Hashable, Sendable, CustomStringConvertible {
    public static let prefix = "bbf-backup-"
    public static let archiveSuffix = ".tar.gz"
    public static let recordSuffix = ".manifest.json"

    /// `20261201T233000Z`.
    public var stamp: String

    public init?(stamp: String) {
        guard Self.isStamp(stamp) else { return nil }
        self.stamp = stamp
    }

    /// The name for a UTC time.
    public init(date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        stamp = "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    public var base: String { Self.prefix + stamp }
    public var archive: String { base + Self.archiveSuffix }
    public var record: String { base + Self.recordSuffix }
    public var description: String { base }

    /// What an object or file name is, if it belongs to a backup.
    public enum Kind: Equatable, Sendable { case archive, record }

    /// Parses `bbf-backup-<stamp>.tar.gz` or `.manifest.json`; nil for anything else
    /// (temporary files, other objects under the prefix).
    public static func parse(_ file: String) -> (BackupName, Kind)? {
        guard file.hasPrefix(prefix) else { return nil }
        let rest = file.dropFirst(prefix.count)
        for (suffix, kind) in [(archiveSuffix, Kind.archive), (recordSuffix, Kind.record)] where rest.hasSuffix(suffix) {
            if let name = BackupName(stamp: String(rest.dropLast(suffix.count))) { return (name, kind) }
        }
        return nil
    }

    static func isStamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            index == 8 || index == 15 || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
    }

    public static func < (lhs: BackupName, rhs: BackupName) -> Bool { lhs.stamp < rhs.stamp }
}

/// What a listing of a prefix holds, sorted out. Pure.
public struct BackupCatalog: Equatable, Sendable {
    /// Backups whose archive and record are both present, oldest first.
    public var complete: [BackupName]
    /// Archives without a record: uploads that did not finish, or one under way.
    public var unfinished: [BackupName]
    /// Records without an archive (a retention run that stopped halfway).
    public var orphanRecords: [BackupName]

    public init(listing: [String]) {
        var archives = Set<BackupName>()
        var records = Set<BackupName>()
        for file in listing {
            guard let (name, kind) = BackupName.parse(file) else { continue }
            switch kind {
            case .archive: archives.insert(name)
            case .record: records.insert(name)
            }
        }
        complete = archives.intersection(records).sorted()
        unfinished = archives.subtracting(records).sorted()
        orphanRecords = records.subtracting(archives).sorted()
    }

    /// The newest complete backup.
    public var newest: BackupName? { complete.last }

    /// The files to delete to keep the newest `keep` complete backups. An
    /// unfinished archive is deleted only when it is older than the newest
    /// complete one (a newer one may be an upload under way). Records go
    /// before their archives, so a run that stops halfway never leaves an
    /// archive that looks complete without its data.
    public func retention(keep: Int) -> [String] {
        guard keep > 0, let newest else { return [] }
        var files: [String] = []
        for name in complete.dropLast(keep) { files += [name.record, name.archive] }
        for name in unfinished where name < newest { files.append(name.archive) }
        for name in orphanRecords where name < newest { files.append(name.record) }
        return files
    }
}
