// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "babelfish-dev",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bbf-entrypoint", targets: ["bbf-entrypoint"]),
        .executable(name: "bbf", targets: ["bbf"]),
        .executable(name: "bbf-bench", targets: ["bbf-bench"]),
        .executable(name: "bbf-pipeline-bench", targets: ["bbf-pipeline-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 in bbf: source archives, backups, image layers (never in bbf-entrypoint).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // Tests only: reading rendered Kubernetes manifests.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
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
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // fork/exec with a parent-death signal and async-signal-safe handlers:
        // the few things Swift cannot do safely between fork and exec.
        .target(name: "CBBFSupport"),
        // OpenSSL 3 (libssl and libcrypto, loaded anyway by libpq): the entrypoint's
        // self-signed TLS certificate, the checks of one brought along, and the
        // health check's TLS handshake on a TDS port that requires encryption.
        .target(name: "CBBFTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

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
            dependencies: ["BBFImage", "BBFSystem", "CBBFTLS", "PostgresClient", "TDSClient"]
        ),
        .executableTarget(name: "bbf-entrypoint", dependencies: ["BBFEntrypoint"]),

        // Streaming tar, gzip and SHA-256: backup archives, image layers, volume saves.
        .target(
            name: "BBFArchive",
            dependencies: ["BBFSystem", "CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // Ordinary child processes (pg_dump, psql, aws, skopeo, docker) through Foundation.Process.
        .target(name: "BBFProcess", dependencies: ["BBFSystem"]),
        // Images without a daemon (OCI layouts, deterministic layers, skopeo) and the container engines.
        .target(name: "BBFContainer", dependencies: ["BBFArchive", "BBFProcess", "BBFSystem"]),
        // The pipeline: backup archives and manifests, bbf backup, bbf bake.
        .target(
            name: "BBFPipeline",
            dependencies: [
                "BBFArchive", "BBFContainer", "BBFEntrypoint", "BBFImage", "BBFProcess", "BBFSystem", "PostgresClient", "TDSClient",
            ]
        ),

        // bbf dev: a developer's own instance (config, status decision, save/load) over the engine driver.
        .target(
            name: "BBFDev",
            dependencies: ["BBFArchive", "BBFContainer", "BBFEntrypoint", "BBFImage", "BBFPipeline", "BBFProcess", "BBFSystem", "TDSClient"]
        ),
        // Babelfish's own JDBC test suite as a conformance gate: mssql-jdbc's result rendering over TDSWire.
        .target(name: "BBFConformance", dependencies: ["TDSWire", "BBFSystem"]),

        // The build tool: versions.json -> Dockerfiles, bumps, image builds.
        .target(
            name: "BBFBuild",
            dependencies: ["BBFContainer", "BBFImage", "BBFProcess", "BBFSystem", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "bbf",
            dependencies: [
                "BBFBuild",
                "BBFContainer",
                "BBFDev",
                "BBFPipeline",
                "BBFConformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Benchmarks (figures and ratios; never timed assertions in tests).
        .executableTarget(name: "bbf-bench", dependencies: ["BBFContainer", "BBFSystem", "BBFEntrypoint", "TDSClient"]),
        .executableTarget(
            name: "bbf-pipeline-bench",
            dependencies: [
                "BBFContainer", "BBFImage", "BBFPipeline", "BBFProcess", "BBFSystem", "BBFTestSupport", "PostgresClient", "TDSClient",
            ]),

        .testTarget(
            name: "BBFEntrypointTests",
            dependencies: ["BBFEntrypoint", "BBFSystem", "TDSClient", "PostgresClient"]
        ),
        .testTarget(
            name: "BBFEntrypointIntegrationTests",
            dependencies: ["BBFEntrypoint", "BBFSystem", "PostgresClient", "TDSClient", "bbf-entrypoint"]
        ),
        // What the integration tests share: built products, real servers (PostgreSQL, S3, registry).
        .target(name: "BBFTestSupport", dependencies: ["BBFSystem", "PostgresClient"], path: "Tests/BBFTestSupport"),
        .testTarget(name: "BBFArchiveTests", dependencies: ["BBFArchive", "BBFSystem"]),
        .testTarget(name: "BBFContainerTests", dependencies: ["BBFContainer", "BBFArchive", "BBFSystem", "BBFTestSupport"]),
        .testTarget(
            name: "BBFPipelineTests",
            dependencies: [
                "BBFPipeline", "BBFArchive", "BBFProcess", "BBFSystem", "BBFTestSupport", "PostgresClient", "bbf", "bbf-entrypoint",
            ]
        ),
        .testTarget(
            name: "BBFBuildTests", dependencies: ["BBFBuild", "BBFProcess", "BBFSystem", "BBFTestSupport", "bbf", "bbf-entrypoint"]),
        .testTarget(
            name: "BBFDevTests",
            dependencies: ["BBFDev", "BBFContainer", "BBFPipeline", "BBFSystem", "BBFTestSupport", "PostgresClient", "TDSClient", "bbf"]
        ),
        .testTarget(name: "TDSWireTests", dependencies: ["TDSWire"]),
        .testTarget(name: "BBFConformanceTests", dependencies: ["BBFConformance", "TDSWire"]),
        .testTarget(
            name: "BBFConformanceIntegrationTests",
            dependencies: ["BBFConformance", "TDSWire", "BBFSystem", "bbf", "bbf-entrypoint"]
        ),
        // deploy/kubernetes: rendered, validated, policy-checked, and run as written under Docker.
        .testTarget(
            name: "BBFDeployTests", dependencies: ["BBFContainer", "BBFSystem", "BBFTestSupport", .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
