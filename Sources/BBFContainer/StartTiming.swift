import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// For the benchmarks: how long a new container takes from `run` (create and
/// start) to its first answer and to the engine calling it `healthy`.
public struct StartTiming: Equatable, Sendable {
    /// Seconds from the create to the first answer.
    public var firstAnswer: Double
    /// Seconds from the create to `healthy`; nil when the engine did not say
    /// so within the deadline (or the image has no health check).
    public var healthy: Double?

    public init(firstAnswer: Double, healthy: Double?) {
        self.firstAnswer = firstAnswer
        self.healthy = healthy
    }

    /// `healthy` after the first answer: what someone watching `docker ps`
    /// waits beyond the database itself.
    public var healthyAfterAnswer: Double? { healthy.map { $0 - firstAnswer } }

    /// Creates and starts `spec`, then polls `answers` and the container's
    /// health every 20 ms until both came or `deadline` seconds passed. The
    /// container stays; the caller removes it.
    /// - Parameter answers: true once the server answers a query (a TDS or
    ///   libpq client of the caller's choice).
    public static func measure(
        engine: Engine, spec: ContainerSpec, secrets: [String: String] = [:], deadline: Double = 180, answers: () -> Bool
    ) throws(ContainerError) -> StartTiming {
        let started = Date()
        try engine.create(spec, secrets: secrets)
        try engine.start(spec.name)
        var firstAnswer: Double?
        var healthy: Double?
        let end = started.addingTimeInterval(deadline)
        while Date() < end, firstAnswer == nil || healthy == nil {
            if firstAnswer == nil, answers() { firstAnswer = Date().timeIntervalSince(started) }
            if healthy == nil {
                let state = try engine.containerInspect(spec.name)
                if state?.health == "healthy" { healthy = Date().timeIntervalSince(started) }
                if let state, !state.isRunning {
                    throw ContainerError(
                        .engine,
                        "\(spec.name) stopped (\(state.status), exit \(state.exitCode)) before it \(firstAnswer == nil ? "answered" : "was healthy"): \(engine.logs(spec.name, tail: 20))"
                    )
                }
            }
            usleep(20_000)
        }
        guard let firstAnswer else {
            throw ContainerError(
                .engine, "\(spec.name) gave no answer within \(Int(deadline)) s: \(engine.logs(spec.name, tail: 20))")
        }
        return StartTiming(firstAnswer: firstAnswer, healthy: healthy)
    }
}
