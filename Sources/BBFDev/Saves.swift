import BBFPipeline
import Foundation

/// `save.json`: what a saved copy of a volume is and which image it belongs to.
public struct SaveRecord: Codable, Equatable, Sendable {
    public static let fileName = "save.json"
    public static let archiveName = "volume.tar.gz"

    public var format = "bbf-dev-save"
    public var formatVersion = 1
    public var name: String
    public var createdAt: String
    public var instance: String
    public var volume: String
    /// The image reference the volume was used with.
    public var image: String
    public var imageID: String
    /// The image's registry digest, when it came from a registry.
    public var imageDigest: String?
    /// `PG_VERSION` of the saved cluster: a load refuses an image of another major.
    public var postgresMajor: String
    public var postgresVersion: String?
    public var babelfishVersion: String?
    /// The DEV snapshot the volume was seeded from, if any.
    public var snapshot: SnapshotRecord?
    public var archive = archiveName
    public var size: Int64
    public var sha256: String
    public var tool: String

    public init(
        name: String, createdAt: String, instance: String, volume: String, image: String, imageID: String, imageDigest: String?,
        postgresMajor: String, postgresVersion: String?, babelfishVersion: String?, snapshot: SnapshotRecord?, size: Int64,
        sha256: String, tool: String
    ) {
        self.name = name
        self.createdAt = createdAt
        self.instance = instance
        self.volume = volume
        self.image = image
        self.imageID = imageID
        self.imageDigest = imageDigest
        self.postgresMajor = postgresMajor
        self.postgresVersion = postgresVersion
        self.babelfishVersion = babelfishVersion
        self.snapshot = snapshot
        self.size = size
        self.sha256 = sha256
        self.tool = tool
    }
}

/// The saves directory: `NAME/save.json` + `NAME/volume.tar.gz` per save.
/// A save is written under a hidden partial name and renamed when complete,
/// so a name that is listed is always whole.
public struct SaveStore: Sendable {
    public var directory: String

    public init(directory: String) { self.directory = directory }

    /// nil when `name` may name a save. Pure.
    public static func nameProblem(_ name: String) -> String? {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
        guard (1...64).contains(name.count), allowed, let first = name.first, first.isLetter || first.isNumber else {
            return "not a save name: use 1-64 letters, digits, _ . - starting with a letter or digit (e.g. before-refresh-2026-12)"
        }
        return nil
    }

    public func path(of name: String) -> String { directory + "/" + name }

    public func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(of: name) + "/" + SaveRecord.fileName)
    }

    public func read(_ name: String) throws(DevError) -> SaveRecord {
        let file = path(of: name) + "/" + SaveRecord.fileName
        guard let data = FileManager.default.contents(atPath: file) else {
            let known = (try? list().map(\.record.name)) ?? []
            throw DevError(
                .save,
                "there is no save \(name) in \(directory)"
                    + (known.isEmpty
                        ? " (there are none yet: bbf dev save NAME makes one)" : "; the saves are: \(known.joined(separator: ", "))"))
        }
        do {
            let record = try JSONDecoder().decode(SaveRecord.self, from: data)
            guard record.format == "bbf-dev-save" else { throw DevError(.save, "\(file) is not a bbf dev save (format \(record.format))") }
            return record
        } catch let error as DevError {
            throw error
        } catch {
            throw DevError(.save, "\(file) cannot be read (\(error)): the save is damaged")
        }
    }

    public struct Listed: Sendable {
        public var record: SaveRecord
        public var path: String
    }

    /// Every complete save, oldest first; partial writes are skipped.
    public func list() throws(DevError) -> [Listed] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DevError(.save, "cannot read the saves directory \(directory): \(error)")
        }
        var result: [Listed] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            if let record = try? read(name) { result.append(Listed(record: record, path: path(of: name))) }
        }
        return result.sorted { ($0.record.createdAt, $0.record.name) < ($1.record.createdAt, $1.record.name) }
    }

    /// The refusal for loading `record` with an image of PostgreSQL `imageMajor`, or nil. Pure.
    public static func loadProblem(_ record: SaveRecord, imageMajor: String?, image: String) -> DevError? {
        guard let imageMajor, imageMajor != record.postgresMajor else { return nil }
        return DevError(
            .refused,
            "the save \(record.name) holds a PostgreSQL \(record.postgresMajor) cluster, but \(image) is PostgreSQL \(imageMajor): PostgreSQL cannot start it. Load it with a PostgreSQL \(record.postgresMajor) image (--image \(record.image)), or upgrade it with pg_upgrade. Nothing was changed."
        )
    }

    /// Rows for `bbf dev saves`. Pure.
    public static func render(_ saves: [Listed], directory: String) -> String {
        guard !saves.isEmpty else { return "No saves in \(directory) (bbf dev save NAME makes one)." }
        var rows = [["NAME", "SAVED", "SIZE", "POSTGRES", "VOLUME", "IMAGE", "DEV SNAPSHOT"]]
        for save in saves {
            let record = save.record
            rows.append([
                record.name, record.createdAt, PipelineLog.size(record.size), record.postgresVersion ?? record.postgresMajor, record.volume,
                record.image, record.snapshot?.snapshotCreatedAt ?? "-",
            ])
        }
        var widths = Array(repeating: 0, count: rows[0].count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        let lines = rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
        }
        return lines.joined(separator: "\n") + "\n\n\(saves.count) save(s) in \(directory)"
    }
}
