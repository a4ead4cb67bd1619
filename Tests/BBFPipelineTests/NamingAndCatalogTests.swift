import BBFPipeline
import Foundation
import Testing

@Suite("Backup names, catalogs and retention")
struct NamingAndCatalogTests {
    @Test("A backup is named by its UTC time, so names sort by time")
    func names() throws {
        let date = try #require(ISO8601DateFormatter().date(from: "2026-12-01T23:30:05Z"))
        let name = BackupName(date: date)
        #expect(name.archive == "bbf-backup-20261201T233005Z.tar.gz")
        #expect(name.record == "bbf-backup-20261201T233005Z.manifest.json")
        #expect(BackupName.parse(name.archive)?.0 == name)
        #expect(BackupName.parse(name.record)?.1 == .record)
        for other in [
            ".bbf-backup-20261201T233005Z.tar.gz.partial", "bbf-backup-2026-12-01.tar.gz", "bbf-backup-20261201T233005.tar.gz", "notes.txt",
            "bbf-backup-20261201T233005Z.tar",
        ] {
            #expect(BackupName.parse(other) == nil, "\(other)")
        }
        let later = try #require(BackupName(stamp: "20261202T000000Z"))
        #expect(name < later)
    }

    @Test("Only backups with both the archive and the record are complete; the newest is picked")
    func catalog() {
        let catalog = BackupCatalog(listing: [
            "bbf-backup-20261101T000000Z.tar.gz", "bbf-backup-20261101T000000Z.manifest.json",
            "bbf-backup-20261201T000000Z.tar.gz", "bbf-backup-20261201T000000Z.manifest.json",
            // Newer, but its record never arrived: an interrupted or running upload.
            "bbf-backup-20261202T000000Z.tar.gz",
            "readme.txt",
        ])
        #expect(catalog.complete.map(\.stamp) == ["20261101T000000Z", "20261201T000000Z"])
        #expect(catalog.newest?.stamp == "20261201T000000Z")
        #expect(catalog.unfinished.map(\.stamp) == ["20261202T000000Z"])
        #expect(BackupCatalog(listing: []).newest == nil)
    }

    @Test("Retention keeps the newest N, deletes records before archives, and never touches a newer unfinished upload")
    func retention() {
        let listing = [
            "bbf-backup-20261001T000000Z.tar.gz", "bbf-backup-20261001T000000Z.manifest.json",
            "bbf-backup-20261015T000000Z.tar.gz",  // stale failed upload
            "bbf-backup-20261020T000000Z.manifest.json",  // orphan record
            "bbf-backup-20261101T000000Z.tar.gz", "bbf-backup-20261101T000000Z.manifest.json",
            "bbf-backup-20261201T000000Z.tar.gz", "bbf-backup-20261201T000000Z.manifest.json",
            "bbf-backup-20261202T000000Z.tar.gz",  // may be uploading now
        ]
        let doomed = BackupCatalog(listing: listing).retention(keep: 2)
        #expect(
            doomed == [
                "bbf-backup-20261001T000000Z.manifest.json", "bbf-backup-20261001T000000Z.tar.gz",
                "bbf-backup-20261015T000000Z.tar.gz", "bbf-backup-20261020T000000Z.manifest.json",
            ])
        #expect(BackupCatalog(listing: listing).retention(keep: 5).count == 2)
    }

    @Test("--to / --from accept s3:// prefixes, objects, directories and archive files, and name a bad bucket")
    func locations() throws {
        let isDirectory: (String) -> Bool = { $0 == "/backups" }
        #expect(
            try StorageLocation.parse("s3://dev-dumps/babelfish/", flag: "--to", isDirectory: isDirectory)
                == .s3(bucket: "dev-dumps", prefix: "babelfish/"))
        #expect(try StorageLocation.parse("s3://dev-dumps", flag: "--to", isDirectory: isDirectory) == .s3(bucket: "dev-dumps", prefix: ""))
        #expect(
            try StorageLocation.parse("s3://dev-dumps/daily", flag: "--to", isDirectory: isDirectory)
                == .s3(bucket: "dev-dumps", prefix: "daily/"))
        #expect(
            try StorageLocation.parse("s3://dev-dumps/daily/bbf-backup-20261201T000000Z.tar.gz", flag: "--from", isDirectory: isDirectory)
                == .s3Object(bucket: "dev-dumps", key: "daily/bbf-backup-20261201T000000Z.tar.gz"))
        #expect(try StorageLocation.parse("/backups/", flag: "--to", isDirectory: isDirectory) == .directory("/backups"))
        #expect(try StorageLocation.parse("/x/b.tar.gz", flag: "--from", isDirectory: isDirectory) == .file("/x/b.tar.gz"))
        let error = try #require(throws: PipelineError.self) {
            try StorageLocation.parse("s3://Dev_Dumps/x/", flag: "--to", isDirectory: isDirectory)
        }
        #expect(error.message.contains("--to s3://Dev_Dumps/x/"))
        #expect(error.message.contains("not an S3 bucket name"))
    }

    @Test("A list-objects-v2 answer gives the names directly under the prefix")
    func s3Listing() throws {
        let json = Data(
            #"{"Contents":[{"Key":"p/bbf-backup-20261201T000000Z.tar.gz","Size":1},{"Key":"p/sub/x","Size":1},{"Key":"p/","Size":0}]}"#.utf8
        )
        #expect(try S3Store.names(inListing: json, prefix: "p/") == ["bbf-backup-20261201T000000Z.tar.gz"])
        #expect(try S3Store.names(inListing: Data(), prefix: "p/") == [])
    }

    @Test("AWS CLI failures become what to do: credentials, bucket, access, endpoint")
    func awsErrors() {
        let noCredentials = AWSCLI.explain(
            "Unable to locate credentials. You can configure credentials by running \"aws configure\".", bucket: "b", endpoint: nil)
        #expect(noCredentials.contains("AWS_ACCESS_KEY_ID"))
        #expect(noCredentials.contains("IAM roles for service accounts"))
        let missing = AWSCLI.explain(
            "An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist",
            bucket: "dumps", endpoint: nil)
        #expect(missing.contains("the bucket dumps does not exist"))
        let head = AWSCLI.explain(
            "An error occurred (404) when calling the HeadBucket operation: Not Found", bucket: "dumps", endpoint: nil)
        #expect(head.contains("the bucket dumps does not exist"))
        let denied = AWSCLI.explain(
            "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied", bucket: "dumps", endpoint: nil)
        #expect(denied.contains("s3:PutObject"))
        let unreachable = AWSCLI.explain(
            "Could not connect to the endpoint URL: \"http://127.0.0.1:1/dumps\"", bucket: "dumps", endpoint: "http://127.0.0.1:1")
        #expect(unreachable.contains("not reachable at http://127.0.0.1:1"))
    }

    @Test("Dump tool versions parse, and a manifest with a newer format is refused with the fix")
    func versionsAndFormats() throws {
        let bbf = try #require(DumpTools.majorMinor(ofVersionOutput: "bbf_dump (PostgreSQL) 16.3"))
        #expect(bbf == (16, 3))
        let debian = try #require(DumpTools.majorMinor(ofVersionOutput: "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"))
        #expect(debian == (15, 20))
        #expect(DumpTools.majorMinor(ofVersionOutput: "nonsense") == nil)
        var manifest = BackupManifest(
            createdAt: "2026-12-01T00:00:00Z", tool: .init(name: "bbf", version: "0", dump: "", dumpall: ""),
            source: .init(host: "h", port: "5432", database: "babelfish_db", user: "u"),
            server: .init(versionNumber: 160003, version: "16.3", versionString: ""), babelfish: nil, tables: [],
            members: [
                .init(name: "roles.sql", kind: .roles, size: 0, sha256: ""), .init(name: "database.dump", kind: .data, size: 0, sha256: ""),
            ])
        try manifest.validate()
        manifest.formatVersion = 9
        let error = try #require(throws: PipelineError.self) { try manifest.validate() }
        #expect(error.message.contains("use a newer bbf"))
        #expect(BackupManifest.Server.version(fromNumber: 170005) == "17.5")
    }
}
