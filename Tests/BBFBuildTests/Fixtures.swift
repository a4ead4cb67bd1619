/// A small, self-contained versions.json for tests (independent of the real one).
enum Fixtures {
    static let versionsJSON = #"""
        {
          "schemaVersion": 1,
          "defaultLine": "5.2",
          "image": {
            "repository": "example/babelfish"
          },
          "swift": "6.3.1",
          "sources": {
            "release": {
              "url": "https://example.com/releases/{engineTag}/{engineTag}.tar.gz",
              "file": "{engineTag}.tar.gz",
              "directory": "{engineTag}"
            },
            "engine": {
              "url": "https://example.com/engine/{engineTag}.tar.gz",
              "file": "engine-{engineTag}.tar.gz",
              "directory": "engine-{engineTag}"
            },
            "extensions": {
              "url": "https://example.com/extensions/{extensionsTag}.tar.gz",
              "file": "extensions-{extensionsTag}.tar.gz",
              "directory": "extensions-{extensionsTag}"
            },
            "antlr": {
              "url": "https://example.com/antlr/{antlr}.tar.gz",
              "file": "antlr4-{antlr}.tar.gz",
              "directory": "antlr4-{antlr}"
            }
          },
          "distributions": {
            "debian-12": {
              "name": "Debian 12 (bookworm)",
              "images": {
                "build": "debian:bookworm-slim",
                "runtime": "debian:bookworm-slim",
                "swift": "swift:{swift}-bookworm"
              },
              "packages": {
                "build": [
                  "build-essential",
                  "libicu-dev"
                ],
                "runtime": [
                  "libicu72",
                  "libpq5"
                ],
                "entrypointBuild": [
                  "libpq-dev"
                ]
              },
              "compilerFlags": {
                "tsqlCOPT": "-Wno-error=maybe-uninitialized -fcommon",
                "tsqlCPPFLAGS": ""
              }
            },
            "ubuntu-24.04": {
              "name": "Ubuntu 24.04 LTS (noble)",
              "images": {
                "build": "ubuntu:24.04",
                "runtime": "ubuntu:24.04@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                "swift": "swift:{swift}-noble"
              },
              "packages": {
                "build": [
                  "build-essential",
                  "libicu-dev"
                ],
                "runtime": [
                  "libicu74",
                  "libpq5"
                ],
                "entrypointBuild": [
                  "libpq-dev"
                ]
              },
              "compilerFlags": {
                "tsqlCOPT": "-Wno-error=maybe-uninitialized -fcommon",
                "tsqlCPPFLAGS": "-Wno-error=overloaded-virtual"
              }
            }
          },
          "lines": {
            "4.2": {
              "postgres": "16.3",
              "babelfish": "4.2.0",
              "antlr": "4.9.3",
              "distribution": "debian-12",
              "sourceLayout": "git-tags",
              "checksums": {
                "antlr4-4.9.3.tar.gz": {
                  "sha256": "1111111111111111111111111111111111111111111111111111111111111111",
                  "localArchiveSha256": null
                },
                "engine-BABEL_4_2_0__PG_16_3.tar.gz": {
                  "sha256": null,
                  "localArchiveSha256": "2222222222222222222222222222222222222222222222222222222222222222"
                },
                "extensions-BABEL_4_2_0.tar.gz": {
                  "sha256": null,
                  "localArchiveSha256": null
                }
              },
              "patches": []
            },
            "5.2": {
              "postgres": "17.5",
              "babelfish": "5.2.0",
              "antlr": "4.13.2",
              "distribution": "debian-12",
              "sourceLayout": "release-tarball",
              "checksums": {
                "BABEL_5_2_0__PG_17_5.tar.gz": {
                  "sha256": null,
                  "localArchiveSha256": null
                },
                "antlr4-4.13.2.tar.gz": {
                  "sha256": "3333333333333333333333333333333333333333333333333333333333333333",
                  "localArchiveSha256": null
                }
              },
              "patches": []
            }
          }
        }

        """#
}
