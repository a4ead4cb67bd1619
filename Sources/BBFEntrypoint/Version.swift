/// This entrypoint's version.
public enum EntrypointVersion {
    public static let current = "0.1.0"
}
