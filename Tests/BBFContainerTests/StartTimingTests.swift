import BBFContainer
import BBFSystem
import BBFTestSupport
import Testing

/// The benchmarks' start timing, against the real engine and a built engine
/// image (BBF_TEST_ENGINE_IMAGE). No figure is asserted: only that each is
/// measured and that a container that dies is reported.
@Suite("Start timing of a real container", .serialized)
struct StartTimingTests {
    func engineAndImage() throws -> (Engine, String) {
        do {
            let (docker, image) = try DockerEngine.requireEngineImage()
            return (Engine(kind: .docker, executable: docker.executable, environment: docker.environment), image)
        } catch let skip as TestPrerequisite {
            try Test.cancel("\(skip.reason)")
        }
    }

    func spec(_ image: String) -> ContainerSpec {
        let name = "bbf-start-timing-\(UInt32.random(in: 0...UInt32.max))"
        var spec = ContainerSpec(name: name, image: image)
        spec.volumes = [.init(volume: name + "-data", path: "/var/lib/babelfish/data")]
        return spec
    }

    @Test("A first boot is timed to its first answer and to the engine's healthy")
    func firstBoot() throws {
        let (engine, image) = try engineAndImage()
        var spec = self.spec(image)
        spec.environmentNames = ["POSTGRES_PASSWORD", "BABELFISH_PASSWORD"]
        defer {
            try? engine.remove(spec.name, force: true)
            try? engine.volumeRemove(spec.name + "-data")
        }
        let timing = try StartTiming.measure(
            engine: engine, spec: spec, secrets: ["POSTGRES_PASSWORD": "Timing-1", "BABELFISH_PASSWORD": "Timing-1"], deadline: 120
        ) {
            (try? engine.exec(spec.name, ["bbf-entrypoint", "healthcheck"]))?.succeeded == true
        }
        #expect(timing.firstAnswer > 0)
        let healthy = try #require(timing.healthy, "the engine never said healthy")
        #expect(timing.healthyAfterAnswer == healthy - timing.firstAnswer)
    }

    @Test("A container that stops before it answers is reported with its log, not waited on to the deadline")
    func stopsEarly() throws {
        let (engine, image) = try engineAndImage()
        let spec = self.spec(image)  // no POSTGRES_PASSWORD: the entrypoint refuses a first boot and exits
        defer {
            try? engine.remove(spec.name, force: true)
            try? engine.volumeRemove(spec.name + "-data")
        }
        let error = try #require(throws: ContainerError.self) {
            try StartTiming.measure(engine: engine, spec: spec, deadline: 120) { false }
        }
        #expect(error.message.contains("stopped (exited"), "\(error.message)")
        #expect(error.message.contains("POSTGRES_PASSWORD"), "the entrypoint's own reason is in the message: \(error.message)")
    }
}
