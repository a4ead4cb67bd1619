import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where `bbf dev` talks: progress and notes on standard error (one
/// rewritten line on a terminal), results on standard output, questions on
/// the terminal.
public final class DevConsole: @unchecked Sendable {
    public let prefix: String
    public var quiet: Bool
    private let lock = NSLock()
    private var progressShown = false
    private var lastProgressKey = ""
    public let errorIsTerminal: Bool
    public let outputIsTerminal: Bool
    public let inputIsTerminal: Bool

    public init(prefix: String = "bbf dev", quiet: Bool = false) {
        self.prefix = prefix
        self.quiet = quiet
        errorIsTerminal = isatty(2) == 1
        outputIsTerminal = isatty(1) == 1
        inputIsTerminal = isatty(0) == 1
    }

    public func info(_ message: String) {
        guard !quiet else { return }
        write(2, "\(prefix): \(message)\n")
    }

    public func warning(_ message: String) {
        write(2, "\(prefix): WARNING: \(message)\n")
    }

    public func error(_ message: String) {
        write(2, "\(prefix): error: \(message)\n")
    }

    /// Results (connection strings, reports) on standard output.
    public func out(_ text: String) {
        endProgress()
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// One progress line: rewritten in place on a terminal; elsewhere
    /// printed when `key` (the text without the changing clock) changes.
    public func progress(_ text: String, key: String) {
        guard !quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        if errorIsTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(prefix): \(text)".utf8))
            progressShown = true
        } else if key != lastProgressKey {
            FileHandle.standardError.write(Data("\(prefix): \(text)\n".utf8))
        }
        lastProgressKey = key
    }

    public func endProgress() {
        lock.lock()
        defer { lock.unlock() }
        if progressShown { FileHandle.standardError.write(Data("\n".utf8)) }
        progressShown = false
        lastProgressKey = ""
    }

    /// Asks a yes/no question; `yes` (from --yes) answers it. Without a
    /// terminal to ask on, it refuses rather than guessing.
    public func confirm(_ question: String, yes: Bool, flagHint: String = "--yes") throws(DevError) {
        if yes { return }
        endProgress()
        guard inputIsTerminal else {
            throw DevError(
                .refused,
                "\(question)\nThis needs a confirmation and there is no terminal to ask on: pass \(flagHint). Nothing was changed.")
        }
        FileHandle.standardError.write(Data("\(question)\nContinue? [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard answer == "y" || answer == "yes" else { throw DevError(.refused, "cancelled: nothing was changed.") }
    }

    private func write(_ descriptor: Int32, _ text: String) {
        endProgress()
        (descriptor == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
    }
}
