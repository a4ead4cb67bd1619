// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "babelfish-dev",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bbf-entrypoint", targets: ["bbf-entrypoint"]),
        .executable(name: "bbf", targets: ["bbf"]),
        .executable(name: "bbf-bench", targets: ["bbf-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // C libraries, linked dynamically from the system.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CSybDB",
            providers: [.apt(["freetds-dev"]), .brew(["freetds"])]
        ),
        // fork/exec with a parent-death signal and async-signal-safe handlers:
        // the few things Swift cannot do safely between fork and exec.
        .target(name: "CBBFSupport"),

        // The image's fixed layout (paths, ports, uid): read by the entrypoint and the Dockerfile renderer.
        .target(name: "BBFImage"),

        // Side effects behind small types: processes, files, privileges, signals.
        .target(name: "BBFSystem", dependencies: ["CBBFSupport"]),
        // libpq: one owner of the connection, errors with SQLSTATE.
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        // TDS 7.4 in Swift (no Foundation): packets, PRELOGIN, LOGIN7, SQL batches, the whole token stream.
        .target(name: "TDSWire", dependencies: ["BBFSystem"]),
        // TDS: SQL batches through FreeTDS db-lib, and a PRELOGIN probe.
        .target(name: "TDSClient", dependencies: ["CSybDB", "BBFSystem"]),
        // The entrypoint's logic: configuration, decisions, the boot flow.
        .target(
            name: "BBFEntrypoint",
            dependencies: ["BBFImage", "BBFSystem", "PostgresClient", "TDSClient"]
        ),
        .executableTarget(name: "bbf-entrypoint", dependencies: ["BBFEntrypoint"]),

        // Babelfish's own JDBC test suite as a conformance gate: mssql-jdbc's result rendering over TDSWire.
        .target(name: "BBFConformance", dependencies: ["TDSWire", "BBFSystem"]),

        // The build tool: versions.json -> Dockerfiles, bumps, image builds.
        .target(name: "BBFBuild", dependencies: ["BBFImage", "BBFSystem"]),
        .executableTarget(
            name: "bbf",
            dependencies: [
                "BBFBuild",
                "BBFConformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Benchmarks (figures and ratios; never timed assertions in tests).
        .executableTarget(name: "bbf-bench", dependencies: ["BBFSystem", "BBFEntrypoint"]),

        .testTarget(
            name: "BBFEntrypointTests",
            dependencies: ["BBFEntrypoint", "BBFSystem", "TDSClient", "PostgresClient"]
        ),
        .testTarget(
            name: "BBFEntrypointIntegrationTests",
            dependencies: ["BBFEntrypoint", "BBFSystem", "PostgresClient", "TDSClient", "bbf-entrypoint"]
        ),
        .testTarget(name: "TDSWireTests", dependencies: ["TDSWire"]),
        .testTarget(name: "BBFConformanceTests", dependencies: ["BBFConformance", "TDSWire"]),
        .testTarget(
            name: "BBFConformanceIntegrationTests",
            dependencies: ["BBFConformance", "TDSWire", "BBFSystem", "bbf", "bbf-entrypoint"]
        ),
        .testTarget(name: "BBFBuildTests", dependencies: ["BBFBuild", "BBFSystem", "bbf"]),
    ],
    swiftLanguageModes: [.v6]
)
