import BBFBuild
import BBFSystem
import Testing

@Suite("HEALTHCHECK --start-interval only for engines that take it")
struct HealthcheckStartIntervalTests {
    @Test(
        "Docker 25 and later take it; Debian 12's docker.io 20.10, podman 4.3 and an unknown version do not",
        arguments: [
            (ContainerEngine.Kind.docker, "25.0.0", true), (.docker, "28.2.2", true), (.docker, "20.10.24+dfsg1", false),
            (.docker, "24.0.7", false), (.podman, "4.3.1", false), (.podman, "5.2.0", false),
        ])
    func support(kind: ContainerEngine.Kind, version: String, expected: Bool) {
        #expect(HealthcheckStartInterval.supported(kind: kind, serverVersion: version) == expected)
    }

    @Test("an engine that does not say its version gets no flag")
    func unknownVersion() {
        #expect(!HealthcheckStartInterval.supported(kind: .docker, serverVersion: nil))
        #expect(HealthcheckStartInterval.remark(kind: .docker, serverVersion: nil).contains("does not take"))
    }

    @Test(
        "the flag goes into each of the committed Dockerfile's HEALTHCHECK lines (both engine runtimes), once; the committed files never carry it"
    )
    func adding() throws {
        let text = try #require(try LiveRepositoryFiles().read(TestSupport.layout.path("docker/4.2/Dockerfile")))
        #expect(!text.contains("--start-interval"), "the committed Dockerfiles must build on Docker 20.10 and podman 4")
        let added = HealthcheckStartInterval.adding(to: text)
        #expect(
            added.contains(
                #"HEALTHCHECK --start-interval=1s --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["bbf-entrypoint", "healthcheck"]"#
            ))
        let healthchecks = added.split(separator: "\n").filter { $0.hasPrefix("HEALTHCHECK ") && $0 != "HEALTHCHECK NONE" }
        #expect(healthchecks.count == 2, "engine-runtime and engine-minimal (the pipeline's HEALTHCHECK NONE stays)")
        #expect(healthchecks.allSatisfy { $0.hasPrefix("HEALTHCHECK --start-interval=1s --interval=10s ") })
        #expect(HealthcheckStartInterval.adding(to: added) == added)
        #expect(added.split(separator: "\n").count == text.split(separator: "\n").count)
        #expect(HealthcheckStartInterval.adding(to: "FROM scratch\n") == "FROM scratch\n")
    }

    @Test(
        "bbf build stages the flag for a Docker 27 engine and leaves the Dockerfile as committed for 20.10",
        arguments: ["27.1.1", "20.10.24+dfsg1"])
    func staged(version: String) throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let engine = layout.root + "/stub-docker"
        try FileSystem.writeAtomically(
            engine,
            """
            #!/bin/sh
            case "$1" in
            info) echo "Server Version: \(version)"; exit 0 ;;
            version) echo "\(version)"; exit 0 ;;
            build) echo "stub engine: build failed" >&2; exit 1 ;;
            esac
            exit 2

            """, permissions: 0o755)
        let result = try TestSupport.bbf(["build", "--root", layout.root, "--engine", engine, "--line", "4.2"])
        #expect(result.status == .exited(1))
        let staged = try FileSystem.readText(layout.path(".build/bbf/context/4.2-debian-12-docker/Dockerfile"))
        let committed = try FileSystem.readText(layout.path("docker/4.2/Dockerfile"))
        if version.hasPrefix("27") {
            #expect(staged == HealthcheckStartInterval.adding(to: committed))
            #expect(staged.contains("HEALTHCHECK --start-interval=1s "))
            #expect(result.standardError.contains("HEALTHCHECK --start-interval=1s added for docker 27.1.1"))
        } else {
            #expect(staged == committed)
            #expect(result.standardError.contains("docker 20.10.24+dfsg1 does not take HEALTHCHECK --start-interval"))
        }
    }
}
