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
    private var currentNotice: String?
    private var interruptedNow = false

    /// What the interruption message says was undone (default: the pipeline's
    /// "no backup or image was completed"); `bbf dev` sets its own.
    public var notice: String? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return currentNotice
        }
        set {
            lock.lock()
            currentNotice = newValue
            lock.unlock()
        }
    }

    /// Blocks for good when an interruption is being handled: its handler
    /// stops the tools (so the main thread sees them fail), undoes, and exits
    /// 128+signal. A command's error path calls this first, so it does not
    /// race the handler to exit with its own status before the undoing is done.
    public func parkIfInterrupted() {
        lock.lock()
        let interrupted = interruptedNow
        lock.unlock()
        guard interrupted else { return }
        while true { sleep(60) }
    }

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
        interruptedNow = true
        let work = cleanups.sorted { $0.key > $1.key }.map(\.value)
        cleanups = [:]
        let notice = currentNotice ?? "stopping and removing temporary files; no backup or image was completed."
        lock.unlock()
        FileHandle.standardError.write(Data("bbf: interrupted (\(signalNumber == SIGINT ? "SIGINT" : "SIGTERM")): \(notice)\n".utf8))
        ToolProcess.terminateAll()
        for cleanup in work { cleanup() }
        exit(128 + signalNumber)
    }
}
