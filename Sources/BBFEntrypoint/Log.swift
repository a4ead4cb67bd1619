import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Lines on stderr in PostgreSQL's log style, so they interleave readably with the server's.
public enum Log {
    public static func info(_ message: String) { emit("LOG", message) }
    public static func warning(_ message: String) { emit("WARNING", message) }
    public static func error(_ message: String) { emit("ERROR", message) }

    private static func emit(_ level: String, _ message: String) {
        let prefix = "\(utcTimestamp()) [bbf-entrypoint] \(level):  "
        let text =
            message.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .enumerated().map { $0.offset == 0 ? prefix + $0.element : "\t" + $0.element }
            .joined(separator: "\n") + "\n"
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
