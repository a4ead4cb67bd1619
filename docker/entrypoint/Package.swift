// swift-tools-version:6.0
// The manifest the image's Swift stage builds bbf-entrypoint from, instead of
// the repository's Package.swift: it lists only bbf-entrypoint's targets and
// no package dependencies, so the image build resolves and fetches nothing.
// The Dockerfile copies it to /build/Package.swift next to those targets'
// Sources/ directories (bbf build stages only these files). Keep it in step
// with the root manifest: EntrypointPackageTests compares the two.
import PackageDescription

let package = Package(
    name: "bbf-entrypoint",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bbf-entrypoint", targets: ["bbf-entrypoint"])
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CSybDB",
            providers: [.apt(["freetds-dev"]), .brew(["freetds"])]
        ),
        .target(name: "CBBFSupport"),
        .target(name: "BBFImage"),
        .target(name: "BBFSystem", dependencies: ["CBBFSupport"]),
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        .target(name: "TDSClient", dependencies: ["CSybDB", "BBFSystem"]),
        .target(
            name: "BBFEntrypoint",
            dependencies: ["BBFImage", "BBFSystem", "PostgresClient", "TDSClient"]
        ),
        .executableTarget(name: "bbf-entrypoint", dependencies: ["BBFEntrypoint"]),
    ],
    swiftLanguageModes: [.v6]
)
