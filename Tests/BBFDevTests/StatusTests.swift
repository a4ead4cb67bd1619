import BBFContainer
import BBFDev
import BBFPipeline
import Testing

@Suite("bbf dev status: the decision")
struct StatusTests {
    static let imageSHA = String(repeating: "b", count: 64)

    func image(snapshotCreated: String? = "2026-12-01T03:00:00Z", sha: String = imageSHA, postgres: String = "16.3") -> ImageInspection {
        var labels = ["babelfish-dev.postgresql.version": postgres, "babelfish-dev.babelfish.version": "4.2.0"]
        if let snapshotCreated {
            labels[SnapshotLabels.archive] = "bbf-backup-20261201T030000Z.tar.gz"
            labels[SnapshotLabels.sha256] = sha
            labels[SnapshotLabels.created] = snapshotCreated
            labels[SnapshotLabels.source] = "dev-aurora/babelfish_db"
        }
        return ImageInspection(
            id: "sha256:" + String(repeating: "1", count: 64), repoTags: ["registry.example.com/team/db:latest"],
            repoDigests: ["registry.example.com/team/db@sha256:" + String(repeating: "d", count: 64)], created: nil, labels: labels,
            environment: [:], user: "999:999", hasHealthcheck: true)
    }

    func record(created: String, sha: String) -> SnapshotRecord {
        SnapshotRecord(
            archive: "bbf-backup-x.tar.gz", archiveSHA256: sha, snapshotCreatedAt: created, bakedAt: created, sourceHost: "dev-aurora",
            sourceDatabase: "babelfish_db", serverVersion: "16.3", babelfishVersion: "4.2.0", migrationMode: "multi-db", tool: "bbf 0.2.0")
    }

    func container(imageID: String? = nil, status: String = "running", health: String? = "healthy") -> ContainerInspection {
        ContainerInspection(
            id: "c1", name: "babelfish-dev", status: status, exitCode: 0, startedAt: nil, finishedAt: nil, health: health,
            healthOutput: nil, imageID: imageID ?? "sha256:" + String(repeating: "1", count: 64),
            imageReference: "registry.example.com/team/db:latest", labels: ["babelfish-dev.dev.instance": "babelfish-dev"], mounts: [],
            ports: [])
    }

    func facts(image: ImageInspection?, contents: VolumeContents?, container: ContainerInspection? = nil) -> StatusFacts {
        var facts = StatusFacts(
            instance: "babelfish-dev", engine: "docker 28.2", imageReference: "registry.example.com/team/db:latest",
            volumeName: "pgbf-devdata")
        facts.image = image
        facts.container = container ?? self.container()
        facts.volume = VolumeInspection(
            name: "pgbf-devdata", driver: "local", createdAt: "2026-11-01T09:00:00Z", labels: [:], mountpoint: nil)
        facts.contents = contents
        return facts
    }

    @Test("A volume seeded from an older snapshot than the image's: said plainly, with what refresh would do")
    func olderVolume() {
        let contents = VolumeContents(
            postgresMajor: "16", snapshot: record(created: "2026-11-01T03:00:00Z", sha: "aaaa"), initialized: true, empty: false)
        let facts = facts(image: image(), contents: contents)
        let findings = StatusDecision.findings(facts)
        #expect(findings == [.volumeOlderThanImage(volume: "2026-11-01T03:00:00Z", image: "2026-12-01T03:00:00Z")])
        let text = StatusDecision.render(facts)
        #expect(text.contains("The volume is older than the image"))
        #expect(text.contains("`bbf dev refresh` would take the new data and drop your local changes"))
        #expect(text.contains("DEV as of 2026-11-01T03:00:00Z"))
    }

    @Test("The same archive: the volume is on the image's snapshot")
    func sameSnapshot() {
        let contents = VolumeContents(
            postgresMajor: "16", snapshot: record(created: "2026-12-01T03:00:00Z", sha: Self.imageSHA), initialized: true, empty: false)
        #expect(StatusDecision.findings(facts(image: image(), contents: contents)) == [.volumeOnImageSnapshot("2026-12-01T03:00:00Z")])
    }

    @Test("A volume newer than the image, and one not seeded from a snapshot at all")
    func newerAndNone() {
        let newer = VolumeContents(
            postgresMajor: "16", snapshot: record(created: "2026-12-02T03:00:00.5Z", sha: "cc"), initialized: true, empty: false)
        #expect(
            StatusDecision.findings(facts(image: image(), contents: newer)) == [
                .volumeNewerThanImage(volume: "2026-12-02T03:00:00.5Z", image: "2026-12-01T03:00:00Z")
            ])
        let none = VolumeContents(postgresMajor: "16", snapshot: nil, initialized: true, empty: false)
        #expect(StatusDecision.findings(facts(image: image(), contents: none)) == [.volumeNotFromSnapshot(image: "2026-12-01T03:00:00Z")])
        #expect(StatusDecision.findings(facts(image: image(snapshotCreated: nil), contents: none)).isEmpty)
    }

    @Test("Another PostgreSQL major in the volume than in the image: refused, with the choices")
    func majorMismatch() {
        let contents = VolumeContents(postgresMajor: "15", snapshot: nil, initialized: true, empty: false)
        let findings = StatusDecision.findings(facts(image: image(snapshotCreated: nil, postgres: "16.3"), contents: contents))
        #expect(findings == [.majorMismatch(volume: "15", image: "16")])
        #expect(findings[0].text.contains("pg_upgrade") && findings[0].text.contains("bbf dev save"))
    }

    @Test("A newer image in the registry, a container on an older image, a stopped or unhealthy container")
    func containerAndRegistry() {
        let contents = VolumeContents(postgresMajor: "16", snapshot: nil, initialized: true, empty: false)
        var newer = facts(image: image(snapshotCreated: nil), contents: contents, container: container(imageID: "sha256:old"))
        newer.registry = .newer(remoteDigest: "sha256:" + String(repeating: "e", count: 64))
        let findings = StatusDecision.findings(newer)
        #expect(findings.contains(.containerOnOtherImage("registry.example.com/team/db:latest")))
        #expect(findings.contains(.newerImageAvailable("registry.example.com/team/db:latest")))
        #expect(StatusDecision.render(newer).contains("NEWER IMAGE AVAILABLE"))
        let stopped = facts(image: image(snapshotCreated: nil), contents: contents, container: container(status: "exited", health: nil))
        #expect(StatusDecision.findings(stopped) == [.containerStopped("exited")])
        let sick = facts(image: image(snapshotCreated: nil), contents: contents, container: container(health: "unhealthy"))
        #expect(StatusDecision.findings(sick) == [.containerUnhealthy(nil)])
    }

    @Test("Nothing yet: no container, no volume")
    func nothingYet() {
        var empty = StatusFacts(instance: "babelfish-dev", engine: "docker", imageReference: "a/b:1", volumeName: "pgbf-devdata")
        empty.image = image()
        #expect(StatusDecision.findings(empty) == [.noContainer, .noVolume("pgbf-devdata")])
        let none = StatusFacts(instance: "babelfish-dev", engine: "docker", imageReference: nil, volumeName: "v")
        #expect(StatusDecision.findings(none).first == .noImageConfigured)
    }

    @Test("The volume probe's output is parsed, with or without a snapshot record")
    func volumeProbe() throws {
        let json =
            #"{"format":"bbf-snapshot","formatVersion":1,"archive":"a.tar.gz","archiveSHA256":"ab","snapshotCreatedAt":"2026-12-01T03:00:00Z","bakedAt":"2026-12-01T04:00:00Z","sourceHost":"h","sourceDatabase":"babelfish_db","serverVersion":"16.3","babelfishVersion":"4.2.0","migrationMode":"multi-db","tool":"bbf 0.2.0"}"#
        let full = VolumeContents.parse("files\n--bbf--\n16\n--bbf--\ninitialized\n--bbf--\n\(json)\n")
        #expect(full.postgresMajor == "16" && full.initialized && !full.empty)
        #expect(full.snapshot?.archive == "a.tar.gz")
        let empty = VolumeContents.parse("empty\n--bbf--\n--bbf--\n--bbf--\n")
        #expect(empty.empty && empty.postgresMajor == nil && !empty.initialized && empty.snapshot == nil)
        let interrupted = VolumeContents.parse("files\n--bbf--\n16\n--bbf--\n--bbf--\n")
        #expect(!interrupted.initialized && interrupted.postgresMajor == "16")
    }
}
