import BBFProcess

/// One layer of a built image, as `<engine> history` lists it.
public struct ImageLayer: Equatable, Sendable {
    public var bytes: Int64
    /// What made it (the Dockerfile instruction), "" for an imported base.
    public var createdBy: String

    public init(bytes: Int64, createdBy: String) {
        self.bytes = bytes
        self.createdBy = createdBy
    }
}

/// The summary's sizes per layer: which part of the runtime stage each
/// non-empty layer is, with everything older than the first of them counted
/// as the base image. Pure, but `read`.
public enum LayerSizes {
    /// The `history` format this reads: bytes, a tab, the instruction.
    public static let historyArguments = ["history", "--human=false", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}"]

    /// Parses `history` output (newest first) into layers, oldest first.
    public static func parse(_ output: String) -> [ImageLayer] {
        output.split(separator: "\n").compactMap { line -> ImageLayer? in
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = fields.first, let bytes = Int64(String(first).trimmed()) else { return nil }
            return ImageLayer(bytes: bytes, createdBy: fields.count > 1 ? String(fields[1]) : "")
        }.reversed()
    }

    /// The runtime stage's part a layer is, or nil when it is none of them.
    public static func part(_ createdBy: String) -> String? {
        if createdBy.contains("make-template") { return "template cluster" }
        if createdBy.contains("COPY") && createdBy.contains("bbf-entrypoint") { return "bbf-entrypoint" }
        if createdBy.contains("COPY") && createdBy.contains(ImageLayout.prefix) { return ImageLayout.prefix }
        if createdBy.contains("apt-get install") { return "run-time packages" }
        if createdBy.contains("useradd") { return "user and directories" }
        return nil
    }

    /// "base image 117.0 MB, run-time packages 58.7 MB, ...": non-empty layers, oldest first.
    public static func summary(_ layers: [ImageLayer]) -> String {
        var parts: [(String, Int64)] = []
        var base: Int64 = 0
        var seenOwn = false
        for layer in layers where layer.bytes > 0 {
            if let name = part(layer.createdBy) {
                seenOwn = true
                parts.append((name, layer.bytes))
            } else if !seenOwn {
                base += layer.bytes
            } else {
                parts.append(("other (\(layer.createdBy.prefix(40)))", layer.bytes))
            }
        }
        return ([("base image", base)] + parts).map { "\($0.0) \(megabytes($0.1))" }.joined(separator: ", ")
    }

    static func megabytes(_ bytes: Int64) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    /// The image's layers, nil when the engine does not list them.
    public static func read(_ reference: String, engine: ContainerEngine, environment: [String: String]) -> [ImageLayer]? {
        guard let result = try? ProcessRunner.run(engine.path, historyArguments + [reference], environment: environment),
            result.status.isSuccess
        else { return nil }
        let layers = parse(result.standardOutput)
        return layers.isEmpty ? nil : layers
    }
}
