/// A platform the image is built for (one per build: both engines load one
/// platform into the local image store).
public enum TargetPlatform: String, Equatable, Sendable, CaseIterable {
    case amd64 = "linux/amd64"
    case arm64 = "linux/arm64"

    /// `linux/amd64` or `linux/arm64`, or an alias (`linux/x86_64`,
    /// `linux/aarch64`, `linux/arm64/v8`); nil for platforms the image is not built for.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts[0] == "linux" else { return nil }
        switch (parts[1], parts.count == 3 ? parts[2] : nil) {
        case ("amd64", nil), ("x86_64", nil): self = .amd64
        case ("arm64", nil), ("arm64", "v8"), ("aarch64", nil): self = .arm64
        default: return nil
        }
    }

    /// Docker's architecture name: amd64, arm64.
    public var architecture: String { String(rawValue.dropFirst("linux/".count)) }
}
