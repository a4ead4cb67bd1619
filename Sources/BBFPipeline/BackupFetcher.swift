import Foundation

/// Finds, downloads and checks a backup: the newest complete one under a
/// prefix or directory, or a named archive; its record first, then the
/// archive against the record. Used by the bake and by `bbf dev up --from-backup`.
public struct BackupFetcher {
    public var source: StorageLocation
    public var store: ArchiveStore

    public init(source: StorageLocation, store: ArchiveStore) {
        self.source = source
        self.store = store
    }

    public init(source: StorageLocation, environment: [String: String]) throws(PipelineError) {
        self.source = source
        store = try makeStore(for: source, environment: environment, forWriting: false)
    }

    /// The archive's name and its record (nil for a lone local file without one).
    public func choose(work: String) throws(PipelineError) -> (String, ArchiveRecord?) {
        let name: String
        switch source {
        case .s3Object(_, let key): name = String(key.split(separator: "/").last ?? "")
        case .file(let path): name = (path as NSString).lastPathComponent
        case .s3, .directory:
            let catalog = BackupCatalog(listing: try store.list())
            guard let newest = catalog.newest else {
                var message = "no complete backup under \(store.description)"
                if !catalog.unfinished.isEmpty {
                    message += " (\(catalog.unfinished.count) archive(s) without a record: unfinished uploads)"
                }
                throw PipelineError(.storage, message + ": run bbf backup --to \(store.description) first, or check the address")
            }
            name = newest.archive
        }
        guard let (backup, _) = BackupName.parse(name) else {
            if case .file = source { return (name, nil) }
            throw PipelineError(.invalidArgument, "\(name) is not a bbf backup name (bbf-backup-<UTC time>.tar.gz)")
        }
        let recordPath = work + "/" + backup.record
        do {
            try store.get(backup.record, to: recordPath)
        } catch {
            if case .file = source { return (name, nil) }
            throw PipelineError(
                .storage,
                "\(store.address(of: backup.archive)) has no record (\(backup.record)): the upload did not finish. \(error.message)")
        }
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw PipelineError(.storage, "cannot read \(recordPath)")
        }
        let record = try PipelineJSON.decode(ArchiveRecord.self, from: data, name: backup.record)
        try record.manifest.validate()
        return (name, record)
    }

    /// The archive on this machine (downloaded into `work` when remote),
    /// checked against its record when there is one.
    public func fetch(_ name: String, record: ArchiveRecord?, work: String, consequence: String) throws(PipelineError) -> String {
        let path: String
        switch source {
        case .file(let file): path = file
        case .directory(let directory): path = directory + "/" + name
        case .s3, .s3Object:
            path = work + "/" + name
            try store.get(name, to: path)
        }
        guard let record else { return path }
        let (digest, size) = try hashFile(path)
        guard digest == record.sha256, size == record.size else {
            throw PipelineError(
                .verification,
                "\(name) does not match its record (sha256 \(digest), \(size) bytes; the record says \(record.sha256), \(record.size) bytes): the archive is damaged or was replaced. \(consequence)"
            )
        }
        return path
    }
}
