import BBFProcess
import Foundation

/// SIGINT / SIGTERM during a long pipeline step: stop the running tools,
/// remove temporary and partial files, exit 130 / 143. Handlers run on their
/// own queue, so they work while the main thread waits for a child.
public final class Interruption: @unchecked Sendable {
    public static let shared = Interruption()

    private let lock = NSLock()
    private var cleanups: [Int: () -> Void] = [:]
    private var nextToken = 0
    private var sources: [DispatchSourceSignal] = []
    private var installed = false

    /// Registers work to undo on interruption; returns a token for `remove`.
    public func onInterrupt(_ cleanup: @escaping () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        installIfNeeded()
        nextToken += 1
        cleanups[nextToken] = cleanup
        return nextToken
    }

    public func remove(_ token: Int) {
        lock.lock()
        cleanups[token] = nil
        lock.unlock()
    }

    private func installIfNeeded() {
        guard !installed else { return }
        installed = true
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: DispatchQueue(label: "bbf.interruption"))
            source.setEventHandler { [weak self] in self?.interrupted(by: signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    private func interrupted(by signalNumber: Int32) {
        lock.lock()
        let work = cleanups.sorted { $0.key > $1.key }.map(\.value)
        cleanups = [:]
        lock.unlock()
        FileHandle.standardError.write(
            Data(
                "bbf: interrupted (\(signalNumber == SIGINT ? "SIGINT" : "SIGTERM")): stopping and removing temporary files; no backup or image was completed.\n"
                    .utf8))
        ToolProcess.terminateAll()
        for cleanup in work { cleanup() }
        exit(128 + signalNumber)
    }
}
