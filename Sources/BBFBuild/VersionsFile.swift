extension Versions {
    /// Parses and validates versions.json text.
    ///
    /// - Throws: `BuildToolError` `.unreadableVersions` for a syntax error (with
    ///   line and column), `.invalidVersions` listing every problem by JSON path.
    public static func parse(_ text: String, fileName: String = "versions.json") throws(BuildToolError) -> Versions {
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw BuildToolError(.unreadableVersions, "\(fileName) is not valid JSON: \(error)")
        }
        var decoder = VersionsDecoder()
        let decoded = decoder.decode(document)
        guard let versions = decoded, decoder.issues.isEmpty else {
            throw BuildToolError(.invalidVersions, problemsHeading(fileName, decoder.issues.count), issues: decoder.issues)
        }
        let issues = VersionsValidator.issues(in: versions)
        if !issues.isEmpty {
            throw BuildToolError(.invalidVersions, problemsHeading(fileName, issues.count), issues: issues)
        }
        return versions
    }

    /// Every rule violation (empty when the value could be written out and read back).
    public var validationIssues: [ValidationIssue] { VersionsValidator.issues(in: self) }

    /// The file's text: fixed member order, sorted maps, two-space indentation.
    public func serialized() -> String {
        JSONWriter.write(VersionsEncoder.encode(self))
    }

    private static func problemsHeading(_ fileName: String, _ count: Int) -> String {
        "\(fileName) has \(count) problem\(count == 1 ? "" : "s"):"
    }

    /// The line named `name`, or an error listing the lines there are.
    public func line(named name: String) throws(BuildToolError) -> ReleaseLine {
        guard let line = lines[name] else {
            throw BuildToolError(
                .invalidArgument, "there is no line \"\(name)\" in versions.json; the lines are: \(lineNames.joined(separator: ", "))")
        }
        return line
    }

    /// The distribution named `name`, or an error listing the distributions there are.
    public func distribution(named name: String) throws(BuildToolError) -> Distribution {
        guard let distribution = distributions[name] else {
            throw BuildToolError(
                .invalidArgument,
                "there is no distribution \"\(name)\" in versions.json; the distributions are: \(distributionNames.joined(separator: ", "))"
            )
        }
        return distribution
    }

    /// Archives whose checksums are not known yet, per line.
    public func unpinnedSources() -> [(line: String, source: ResolvedSource)] {
        lineNames.flatMap { name -> [(line: String, source: ResolvedSource)] in
            guard let line = lines[name] else { return [] }
            return sources(for: line).filter { $0.checksum.sha256 == nil }.map { (name, $0) }
        }
    }
}
