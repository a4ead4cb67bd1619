import Foundation
import Testing

@testable import BBFContainer

@Suite("What docker and podman print, read the same way")
struct EngineOutputTests {
    // Trimmed from docker 20.10's `container inspect` of a created container.
    static let dockerContainer = #"""
        [{"Id": "55260b2eb79baa0b2a7e525d81914e941bf50b40116a63ad8dc8164e08296d90", "Created": "2026-12-02T00:47:09.783956383Z",
          "State": {"Status": "created", "Running": false, "Paused": false, "Restarting": false, "OOMKilled": false, "Dead": false,
                    "Pid": 0, "ExitCode": 0, "Error": "", "StartedAt": "0001-01-01T00:00:00Z", "FinishedAt": "0001-01-01T00:00:00Z"},
          "Image": "sha256:ee0807e110e0aed6086893d55aa64b02c36c6676cd1bc3b32a80d9071cb8a4cb", "Name": "/fixc",
          "Mounts": [{"Type": "volume", "Name": "fixvol", "Source": "/var/lib/docker/volumes/fixvol/_data",
                      "Destination": "/var/lib/babelfish/data", "Driver": "local", "Mode": "z", "RW": true, "Propagation": ""}],
          "Config": {"Image": "babelfish-dev:4.2", "Labels": {"babelfish-dev.dev.instance": "fixc", "babelfish-dev.postgresql.version": "16.3"},
                     "Env": ["PGDATA=/var/lib/babelfish/data"]},
          "HostConfig": {"PortBindings": {"1433/tcp": [{"HostIp": "127.0.0.1", "HostPort": "21434"}], "5432/tcp": null}}}]
        """#

    // podman 4: bare hex ids, ImageName, State.Health with its log.
    static let podmanContainer = #"""
        [{"Id": "5f0d1c2b3a4958677685a4b3c2d1e0f5f0d1c2b3a4958677685a4b3c2d1e0f0", "Created": "2026-12-01T10:00:00.123456789+01:00",
          "State": {"OciVersion": "1.1.0", "Status": "running", "Running": true, "Paused": false, "Restarting": false, "OOMKilled": false,
                    "Dead": false, "Pid": 4242, "ExitCode": 0, "Error": "", "StartedAt": "2026-12-01T10:00:01.5+01:00",
                    "FinishedAt": "0001-01-01T00:00:00Z",
                    "Health": {"Status": "healthy", "FailingStreak": 0,
                               "Log": [{"Start": "x", "End": "y", "ExitCode": 0, "Output": "healthy: PostgreSQL on 127.0.0.1:5432\n"}]}},
          "Image": "ab09c2018fa6db93356b6be125580ee2698cb04649cda52d678033bbf2773a38", "ImageName": "localhost/babelfish-dev:4.2",
          "Name": "babelfish-dev",
          "Mounts": [{"Type": "volume", "Name": "pgbf-devdata", "Source": "/home/u/.local/share/containers/storage/volumes/pgbf-devdata/_data",
                      "Destination": "/var/lib/babelfish/data", "Driver": "local", "Mode": "", "Options": ["nosuid", "nodev", "rbind"],
                      "RW": true, "Propagation": "rprivate"}],
          "Config": {"Hostname": "5f0d1c2b3a49", "Image": "localhost/babelfish-dev:4.2", "Labels": {"babelfish-dev.dev.instance": "babelfish-dev"}},
          "HostConfig": {"PortBindings": {"1433/tcp": [{"HostIp": "127.0.0.1", "HostPort": "1434"}],
                                          "5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5432"}]}}}]
        """#

    @Test("docker's container inspect")
    func dockerContainerInspect() throws {
        let container = try ContainerInspection.decode(Data(Self.dockerContainer.utf8))
        #expect(container.name == "fixc")
        #expect(container.status == "created" && !container.isRunning && container.health == nil)
        #expect(container.imageID == "sha256:ee0807e110e0aed6086893d55aa64b02c36c6676cd1bc3b32a80d9071cb8a4cb")
        #expect(container.imageReference == "babelfish-dev:4.2")
        #expect(container.mounts == [.init(type: "volume", source: "fixvol", destination: "/var/lib/babelfish/data", readWrite: true)])
        #expect(container.ports == [.init(hostAddress: "127.0.0.1", hostPort: 21434, containerPort: 1433)])
        #expect(container.labels["babelfish-dev.dev.instance"] == "fixc")
    }

    @Test("podman's container inspect")
    func podmanContainerInspect() throws {
        let container = try ContainerInspection.decode(Data(Self.podmanContainer.utf8))
        #expect(container.name == "babelfish-dev" && container.isRunning)
        #expect(container.health == "healthy" && container.healthOutput == "healthy: PostgreSQL on 127.0.0.1:5432")
        #expect(container.imageID == "sha256:ab09c2018fa6db93356b6be125580ee2698cb04649cda52d678033bbf2773a38")
        #expect(container.imageReference == "localhost/babelfish-dev:4.2")
        #expect(container.ports.map(\.hostPort) == [1434, 5432])
        #expect(container.mounts.first?.source == "pgbf-devdata")
    }

    @Test("image inspect: docker's and podman's ids, labels, digests and health check")
    func imageInspect() throws {
        let docker = #"""
            [{"Id": "sha256:ab09c2018fa6db93356b6be125580ee2698cb04649cda52d678033bbf2773a38", "RepoTags": ["registry.example.com/team/db:latest"],
              "RepoDigests": ["registry.example.com/team/db@sha256:1111111111111111111111111111111111111111111111111111111111111111"],
              "Created": "2026-12-01T04:00:00Z",
              "Config": {"User": "999:999", "Env": ["PGDATA=/var/lib/babelfish/data", "LANG=C.UTF-8"],
                         "Healthcheck": {"Test": ["CMD", "bbf-entrypoint", "healthcheck"]}, "Labels": {"babelfish-dev.postgresql.version": "16.3"}}}]
            """#
        let image = try ImageInspection.decode(Data(docker.utf8))
        #expect(image.id.hasPrefix("sha256:ab09"))
        #expect(image.hasHealthcheck && image.user == "999:999")
        #expect(image.environment["PGDATA"] == "/var/lib/babelfish/data")
        #expect(image.digests(forRepository: "registry.example.com/team/db") == ["sha256:" + String(repeating: "1", count: 64)])
        #expect(image.digests(forRepository: "registry.example.com/team/other").isEmpty)
        let podman = #"""
            [{"Id": "ab09c2018fa6db93356b6be125580ee2698cb04649cda52d678033bbf2773a38", "Digest": "sha256:2222",
              "RepoTags": ["docker.io/library/babelfish-dev:4.2"], "RepoDigests": ["docker.io/library/babelfish-dev@sha256:3333"],
              "Config": {"Env": ["PATH=/bin"]}, "Labels": {"babelfish-dev.postgresql.version": "16.3"},
              "Healthcheck": {"Test": ["CMD", "bbf-entrypoint", "healthcheck"]}}]
            """#
        let fromPodman = try ImageInspection.decode(Data(podman.utf8))
        #expect(fromPodman.id == "sha256:ab09c2018fa6db93356b6be125580ee2698cb04649cda52d678033bbf2773a38")
        #expect(fromPodman.labels["babelfish-dev.postgresql.version"] == "16.3")
        #expect(fromPodman.hasHealthcheck)
        // docker.io/library/x and x are the same repository.
        #expect(fromPodman.digests(forRepository: "babelfish-dev") == ["sha256:3333"])
    }

    @Test("volume inspect, and output that is not JSON")
    func volumeInspect() throws {
        let volume = try VolumeInspection.decode(
            Data(#"[{"CreatedAt": "2026-12-02T00:47:09Z", "Driver": "local", "Labels": null, "Name": "fixvol"}]"#.utf8))
        #expect(volume.name == "fixvol" && volume.labels.isEmpty && volume.createdAt == "2026-12-02T00:47:09Z")
        #expect(throws: ContainerError.self) { try VolumeInspection.decode(Data("Error: no such volume".utf8)) }
    }

    @Test("Not-found messages of both engines are told from other failures")
    func notFound() {
        for text in [
            "Error: No such container: babelfish-dev", "Error response from daemon: No such image: x:1",
            "Error: no such volume pgbf-devdata",
            "Error: x:1: image not known", "Error: No such object: babelfish-dev",
        ] {
            #expect(Engine.saysNotFound(text), "\(text)")
        }
        #expect(!Engine.saysNotFound("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"))
        let engine = Engine(kind: .docker, executable: "/usr/bin/docker", environment: [:])
        let message = engine.notRunningMessage(
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
        #expect(message?.contains("start it") == true)
        #expect(
            engine.notRunningMessage("permission denied while trying to connect to the Docker daemon socket")?.contains("docker group")
                == true)
        #expect(ContainerError(.engine, "driver failed: Bind for 127.0.0.1:1434 failed: port is already allocated").isPortConflict)
    }

    @Test("The published ports of running containers, from ps")
    func publishedPorts() {
        let text =
            "other-db\t127.0.0.1:1434->1433/tcp, 0.0.0.0:5432->5432/tcp, :::5432->5432/tcp\nweb\t0.0.0.0:8000-8002->8000-8002/tcp\nidle\t\n"
        let ports = Engine.parsePublishedPorts(text)
        #expect(ports["other-db"] == [1434, 5432, 5432])
        #expect(ports["web"] == [8000, 8001, 8002])
        #expect(ports["idle"] == nil)
    }
}
