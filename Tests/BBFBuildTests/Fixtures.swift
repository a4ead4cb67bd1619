/// A small, self-contained versions.json for tests (independent of the real one).
enum Fixtures {
    static let versionsJSON = #"""
        {
          "defaultLine": "5.2",
          "distributions": {
            "debian-12": {
              "compilerFlags": {
                "tsqlCOPT": "-Wno-error=maybe-uninitialized -fcommon",
                "tsqlCPPFLAGS": ""
              },
              "images": {
                "build": "debian:bookworm-slim",
                "runtime": "debian:bookworm-slim",
                "swift": "swift:{swift}-bookworm"
              },
              "name": "Debian 12 (bookworm)",
              "packages": {
                "bbfBuild": [
                  "zlib1g-dev"
                ],
                "build": [
                  "build-essential",
                  "libicu-dev"
                ],
                "entrypointBuild": [
                  "libpq-dev"
                ],
                "pipeline": [
                  "awscli",
                  "ca-certificates",
                  "skopeo"
                ],
                "runtime": [
                  "libicu72",
                  "libpq5"
                ]
              }
            },
            "ubuntu-24.04": {
              "compilerFlags": {
                "tsqlCOPT": "-Wno-error=maybe-uninitialized -fcommon",
                "tsqlCPPFLAGS": "-Wno-error=overloaded-virtual"
              },
              "images": {
                "build": "ubuntu:24.04",
                "runtime": "ubuntu:24.04@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                "swift": "swift:{swift}-noble"
              },
              "name": "Ubuntu 24.04 LTS (noble)",
              "packages": {
                "bbfBuild": [],
                "build": [
                  "build-essential",
                  "libicu-dev"
                ],
                "entrypointBuild": [
                  "libpq-dev"
                ],
                "pipeline": [
                  "ca-certificates",
                  "skopeo"
                ],
                "runtime": [
                  "libicu74",
                  "libpq5"
                ]
              }
            }
          },
          "image": {
            "repository": "example/babelfish"
          },
          "lines": {
            "4.2": {
              "antlr": "4.9.3",
              "babelfish": "4.2.0",
              "checksums": {
                "antlr4-4.9.3.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": "1111111111111111111111111111111111111111111111111111111111111111"
                },
                "engine-BABEL_4_2_0__PG_16_3.tar.gz": {
                  "localArchiveSha256": "2222222222222222222222222222222222222222222222222222222222222222",
                  "sha256": null
                },
                "extensions-BABEL_4_2_0.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": null
                }
              },
              "distribution": "debian-12",
              "patches": [],
              "postgres": "16.3",
              "sourceLayout": "git-tags"
            },
            "5.2": {
              "antlr": "4.13.2",
              "babelfish": "5.2.0",
              "checksums": {
                "BABEL_5_2_0__PG_17_5.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": null
                },
                "antlr4-4.13.2.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": "3333333333333333333333333333333333333333333333333333333333333333"
                }
              },
              "distribution": "debian-12",
              "patches": [],
              "postgres": "17.5",
              "sourceLayout": "release-tarball"
            }
          },
          "schemaVersion": 1,
          "sources": {
            "antlr": {
              "directory": "antlr4-{antlr}",
              "file": "antlr4-{antlr}.tar.gz",
              "url": "https://example.invalid/antlr/{antlr}.tar.gz"
            },
            "engine": {
              "directory": "engine-{engineTag}",
              "file": "engine-{engineTag}.tar.gz",
              "url": "https://example.invalid/engine/{engineTag}.tar.gz"
            },
            "extensions": {
              "directory": "extensions-{extensionsTag}",
              "file": "extensions-{extensionsTag}.tar.gz",
              "url": "https://example.invalid/extensions/{extensionsTag}.tar.gz"
            },
            "release": {
              "directory": "{engineTag}",
              "file": "{engineTag}.tar.gz",
              "url": "https://example.invalid/releases/{engineTag}/{engineTag}.tar.gz"
            }
          },
          "swift": "6.3.1"
        }

        """#
}
