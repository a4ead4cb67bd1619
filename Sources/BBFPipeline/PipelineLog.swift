import Foundation

/// Progress lines on standard error: `bbf backup: ...`. Standard output stays
/// for results a script may read.
public struct PipelineLog: Sendable {
    public var command: String
    public var quiet: Bool

    public init(command: String, quiet: Bool = false) {
        self.command = command
        self.quiet = quiet
    }

    public func info(_ message: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data("\(command): \(message)\n".utf8))
    }

    public func warning(_ message: String) {
        FileHandle.standardError.write(Data("\(command): WARNING: \(message)\n".utf8))
    }

    /// Runs a step, logging its start, its end and how long it took.
    public func step<T>(_ name: String, _ body: () throws(PipelineError) -> T) throws(PipelineError) -> T {
        info("\(name) ...")
        let started = Date()
        do {
            let value = try body()
            info("\(name): done in \(Self.duration(Date().timeIntervalSince(started)))")
            return value
        } catch {
            var failed = error
            if failed.step == nil { failed.step = name }
            throw failed
        }
    }

    public static func duration(_ seconds: TimeInterval) -> String {
        if seconds < 10 { return String(format: "%.2f s", seconds) }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        return "\(Int(seconds) / 60) min \(Int(seconds) % 60) s"
    }

    public static func size(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
