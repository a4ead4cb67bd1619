import BBFBuild
import BBFProcess
import BBFSystem
import Foundation
import Testing

/// The image's Swift stage builds bbf-entrypoint from docker/entrypoint/Package.swift,
/// not from the root manifest: these tests keep the two in step and prove the
/// staged package builds without resolving anything.
@Suite("bbf-entrypoint's own package for the image build", .serialized)
struct EntrypointPackageTests {
    static let swift = TestSupport.which("swift")

    /// `swift package dump-package` of the package at `path`, as JSON.
    static func dump(_ path: String) throws -> [String: Any] {
        let scratch = try FileSystem.makeTemporaryDirectory(prefix: "bbf-dump-")
        defer { try? FileSystem.removeTree(scratch) }
        let swift = try #require(Self.swift)
        // Its own scratch path: the running `swift test` holds the lock on .build.
        let result = try ProcessRunner.run(swift, ["package", "--package-path", path, "--scratch-path", scratch, "dump-package"])
        try #require(result.status.isSuccess, "dump-package of \(path): \(result.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    /// The targets of a dump, by name.
    static func targets(_ dump: [String: Any]) throws -> [String: [String: Any]] {
        let list = try #require(dump["targets"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.compactMap { target in (target["name"] as? String).map { ($0, target) } })
    }

    /// The names of the targets `target` depends on; a dependency on another package's product is a failure.
    static func dependencies(of target: [String: Any]) -> [String] {
        let list = target["dependencies"] as? [[String: Any]] ?? []
        return list.compactMap { dependency in
            guard let byName = (dependency["byName"] ?? dependency["target"]) as? [Any], let name = byName.first as? String else {
                Issue.record("\(target["name"] ?? "?") depends on another package's product: \(dependency)")
                return nil
            }
            return name
        }
    }

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(
        "the entrypoint manifest holds exactly bbf-entrypoint's targets of the root manifest: names, dependencies, paths, settings",
        .enabled(if: swift != nil, "needs swift on PATH"))
    func manifestsInStep() throws {
        let root = try Self.dump(TestSupport.repositoryRoot)
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-entrypoint-package-")
        defer { try? FileSystem.removeTree(directory) }
        try EntrypointPackage.stage(from: TestSupport.layout, into: directory)
        let own = try Self.dump(directory)

        let rootTargets = try Self.targets(root)
        var closure: [String] = []
        var pending = ["bbf-entrypoint"]
        while let name = pending.popLast() {
            guard !closure.contains(name) else { continue }
            closure.append(name)
            pending += Self.dependencies(of: try #require(rootTargets[name], "the root manifest has no target \(name)"))
        }
        let ownTargets = try Self.targets(own)
        #expect(
            Set(ownTargets.keys) == Set(closure), "targets of \(EntrypointPackage.manifest) vs bbf-entrypoint's closure in Package.swift")
        #expect(Set(EntrypointPackage.targets) == Set(closure), "EntrypointPackage.targets (what the image build copies)")
        for name in closure {
            guard let mine = ownTargets[name], let theirs = rootTargets[name] else { continue }
            #expect(try Self.json(mine) == (try Self.json(theirs)), "target \(name) differs between the manifests")
        }
        #expect((own["dependencies"] as? [Any])?.isEmpty == true, "the entrypoint package depends on no package")
        for key in ["toolsVersion", "swiftLanguageVersions", "platforms"] {
            #expect(try Self.json(own[key] ?? NSNull()) == (try Self.json(root[key] ?? NSNull())), "\(key) differs")
        }
        let products = try #require(own["products"] as? [[String: Any]])
        #expect(products.compactMap { $0["name"] as? String } == ["bbf-entrypoint"])
    }

    @Test(
        "the staged package builds bbf-entrypoint without resolving or fetching anything",
        .enabled(if: swift != nil, "needs swift on PATH"), .timeLimit(.minutes(20)))
    func stagedPackageBuilds() throws {
        let swift = try #require(Self.swift)
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-entrypoint-package-")
        defer { try? FileSystem.removeTree(directory) }
        try EntrypointPackage.stage(from: TestSupport.layout, into: directory)
        #expect(
            try FileSystem.contents(ofDirectory: directory + "/Sources").sorted() == EntrypointPackage.targets.sorted(),
            "only bbf-entrypoint's targets are staged")
        let build = try ProcessRunner.run(
            swift, ["build", "--package-path", directory, "--disable-automatic-resolution", "--product", "bbf-entrypoint"])
        #expect(build.status.isSuccess, "\(build.standardOutput)\(build.standardError)")
        let output = build.standardOutput + build.standardError
        #expect(!output.contains("Fetching") && !output.contains("Computing version") && !output.contains("Resolving"))
        #expect(!FileSystem.exists(directory + "/Package.resolved"), "nothing was resolved")
        let bin = try ProcessRunner.run(swift, ["build", "--package-path", directory, "--show-bin-path"])
        #expect(FileSystem.isExecutable(bin.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) + "/bbf-entrypoint"))
    }
}
