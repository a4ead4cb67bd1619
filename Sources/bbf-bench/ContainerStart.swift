import BBFContainer
import BBFSystem
import TDSClient

#if canImport(Glibc)
    import Glibc
#endif

// 6. An engine image in a container engine: `run` with a new volume to the
//    first TDS answer and to `healthy`, as the image's HEALTHCHECK says and,
//    on an engine that takes it (Docker 25+), with the 1 s start interval
//    `bbf dev up` adds. Side by side in one run, on the same image; with
//    --image given more than once, the images side by side too (the minimal
//    engine image against the distribution runtime, say).

/// The figures of one way of running the image, over `boots` containers.
struct ContainerStartFigures {
    var title: String
    var timings: [StartTiming]

    var firstAnswer: Stats { Stats(samples: timings.map(\.firstAnswer)) }
    var healthy: Stats { Stats(samples: timings.compactMap(\.healthy)) }
    var gap: Stats { Stats(samples: timings.compactMap(\.healthyAfterAnswer)) }
}

@MainActor
func containerStart(images: [String], engineOption: String?, boots: Int) {
    let environment = ProcessEnvironment.current()
    let engine: Engine
    let version: String
    var dataDirectories: [String] = []
    do {
        engine = try Engine.locate(requested: engineOption, environment: environment)
        version = try engine.info()
        for image in images {
            guard let inspection = try engine.imageInspect(image) else {
                fail("--image \(image) is not in \(engine.name)'s store: build it (bbf build) or pull it")
            }
            dataDirectories.append(inspection.environment["PGDATA"] ?? "/var/lib/babelfish/data")
            guard inspection.hasHealthcheck else { fail("--image \(image) has no HEALTHCHECK: nothing to measure") }
            if let enabled = inspection.environment["BABELFISH_ENABLED"], ["false", "0", "no", "off"].contains(enabled.lowercased()) {
                fail("--image \(image) has BABELFISH_ENABLED=\(enabled): this phase waits for a TDS answer")
            }
        }
    } catch {
        fail("\(error.message)")
    }
    let takesStartInterval = engine.kind.takesHealthStartInterval(serverVersion: version)
    print(
        "6. \(engine.name) \(version), \(images.joined(separator: " and ")): run with a new volume -> first TDS answer -> healthy (\(boots) containers each\(images.count > 1 ? ", the images taking turns" : ""), s)"
    )

    let password = "Bench-\(UInt32.random(in: 0...UInt32.max))"
    func measure(_ index: Int, startInterval: Bool, boot: Int) -> StartTiming {
        let name = "bbf-bench-start-\(getpid())-\(index)\(startInterval ? "i" : "p")\(boot)"
        let volume = name + "-data"
        defer {
            try? engine.remove(name, force: true)
            try? engine.volumeRemove(volume)
        }
        let port: Int
        do {
            port = try Network.freeLoopbackPort()
        } catch {
            fail("no free loopback port: \(error)")
        }
        var spec = ContainerSpec(name: name, image: images[index])
        spec.volumes = [.init(volume: volume, path: dataDirectories[index])]
        spec.ports = [.init(hostAddress: "127.0.0.1", hostPort: port, containerPort: 1433)]
        spec.environmentNames = ["POSTGRES_PASSWORD", "BABELFISH_PASSWORD"]
        if startInterval { spec.healthStartInterval = "1s" }
        do {
            return try StartTiming.measure(
                engine: engine, spec: spec, secrets: ["POSTGRES_PASSWORD": password, "BABELFISH_PASSWORD": password]
            ) {
                (try? TDSConnection(
                    host: "127.0.0.1", port: port, user: "babelfish_user", password: password, application: "bbf-bench"
                )
                .execute("SELECT 1")) != nil
            }
        } catch {
            fail("\(error.message)")
        }
    }

    // Each way, the images take turns boot by boot, so drift on the machine falls on all of them alike.
    var ways: [ContainerStartFigures] = []
    for startInterval in takesStartInterval ? [false, true] : [false] {
        var timings = Array(repeating: [StartTiming](), count: images.count)
        for boot in 0..<boots {
            for index in images.indices { timings[index].append(measure(index, startInterval: startInterval, boot: boot)) }
        }
        let how = startInterval ? "with --health-start-interval 1s (bbf dev up)" : "as the image's HEALTHCHECK says"
        for index in images.indices {
            ways.append(ContainerStartFigures(title: images.count > 1 ? "\(images[index]), \(how)" : how, timings: timings[index]))
        }
    }
    let width = max(46, ways.map(\.title.count).max() ?? 0)
    print("   \(pad("", width)) \(pad("first answer", 13)) \(pad("healthy", 9)) healthy after the answer (median, max)")
    for way in ways {
        let unhealthy = way.timings.count - way.healthy.samples.count
        print(
            "   \(pad(way.title, width)) \(pad(format(way.firstAnswer.median), 13)) \(pad(format(way.healthy.median), 9)) \(format(way.gap.median)), \(format(way.gap.samples.max() ?? 0))\(unhealthy > 0 ? "   (\(unhealthy) not healthy within 180 s)" : "")"
        )
    }
    for index in images.indices.dropFirst() where ways[0].firstAnswer.median > 0 {
        print(
            "   first answer, \(images[index]) / \(images[0]): \(format(ways[index].firstAnswer.median / ways[0].firstAnswer.median))x"
        )
    }
    if takesStartInterval {
        for index in images.indices where ways[index].gap.median > 0 {
            let interval = ways[images.count + index]
            print(
                "   healthy after the answer, start interval / as the image says\(images.count > 1 ? " (\(images[index]))" : ""): \(format(interval.gap.median / ways[index].gap.median))x"
            )
        }
    } else {
        print(
            "   (\(engine.name) \(version) does not take a health start interval: Docker 25+ does; the first probe comes one interval after the start)"
        )
    }
    print("")
}
