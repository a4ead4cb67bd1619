/// Where archives are written to or read from: `s3://bucket/prefix/`, an
/// S3 object, a local directory or a local archive file. Pure.
public enum StorageLocation: Equatable, Sendable, CustomStringConvertible {
    case s3(bucket: String, prefix: String)
    case s3Object(bucket: String, key: String)
    case directory(String)
    case file(String)

    /// Parses a `--to` / `--from` value.
    ///
    /// - Parameter isDirectory: whether a local path is an existing directory.
    public static func parse(_ text: String, flag: String, isDirectory: (String) -> Bool) throws(PipelineError) -> StorageLocation {
        guard !text.isEmpty else {
            throw PipelineError(.invalidArgument, "\(flag) is empty: give s3://BUCKET/PREFIX/ or a local directory")
        }
        if text.lowercased().hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            guard Self.isBucketName(bucket) else {
                throw PipelineError(
                    .invalidArgument,
                    "\(flag) \(text): \"\(bucket)\" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens): use s3://BUCKET/PREFIX/"
                )
            }
            var key = String(rest.dropFirst(bucket.count))
            while key.hasPrefix("/") { key.removeFirst() }
            if key.isEmpty || key.hasSuffix("/") { return .s3(bucket: bucket, prefix: key) }
            if BackupName.parse(String(key.split(separator: "/").last ?? ""))?.1 == .archive {
                return .s3Object(bucket: bucket, key: key)
            }
            return .s3(bucket: bucket, prefix: key + "/")
        }
        if text.hasSuffix(BackupName.archiveSuffix) && !isDirectory(text) { return .file(text) }
        return .directory(text.count > 1 && text.hasSuffix("/") ? String(text.dropLast()) : text)
    }

    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.count)
            && name.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "." || $0 == "-" }
            && name.first.map { $0 != "." && $0 != "-" } == true
    }

    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return "s3://\(bucket)/\(prefix)"
        case .s3Object(let bucket, let key): return "s3://\(bucket)/\(key)"
        case .directory(let path): return path
        case .file(let path): return path
        }
    }
}
