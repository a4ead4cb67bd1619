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
              "linkedServers": true,
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
                "linkedServersBuild": [
                  "freetds-dev"
                ],
                "locales": [
                  "locales"
                ],
                "pipeline": [
                  "awscli",
                  "ca-certificates",
                  "skopeo"
                ],
                "runtime": [
                  "libicu72",
                  "libpq5"
                ],
                "spatialBuild": [
                  "libgeos-dev",
                  "libproj-dev"
                ],
                "spatialRuntime": [
                  "libgeos-c1v5",
                  "libproj25"
                ]
              },
              "spatialTypes": true
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
              "linkedServers": false,
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
                "linkedServersBuild": [],
                "locales": [
                  "locales"
                ],
                "pipeline": [
                  "ca-certificates",
                  "skopeo"
                ],
                "runtime": [
                  "libicu74",
                  "libpq5"
                ],
                "spatialBuild": [],
                "spatialRuntime": []
              },
              "spatialTypes": false
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
                },
                "pg_hint_plan-REL16_1_6_0.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": "4444444444444444444444444444444444444444444444444444444444444444"
                },
                "postgis-3.4.0.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": "5555555555555555555555555555555555555555555555555555555555555555"
                }
              },
              "cultures": [
                "en-US",
                "de-DE"
              ],
              "distribution": "debian-12",
              "patches": [],
              "pgHintPlan": "REL16_1_6_0",
              "postgis": "3.4.0",
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
                },
                "pg_hint_plan-REL17_1_7_0.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": "6666666666666666666666666666666666666666666666666666666666666666"
                },
                "postgis-3.5.2.tar.gz": {
                  "localArchiveSha256": null,
                  "sha256": "7777777777777777777777777777777777777777777777777777777777777777"
                }
              },
              "cultures": [],
              "distribution": "debian-12",
              "patches": [],
              "pgHintPlan": "REL17_1_7_0",
              "postgis": "3.5.2",
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
            "pgHintPlan": {
              "directory": "pg_hint_plan-{pgHintPlan}",
              "file": "pg_hint_plan-{pgHintPlan}.tar.gz",
              "url": "https://example.invalid/pg_hint_plan/{pgHintPlan}.tar.gz"
            },
            "postgis": {
              "directory": "postgis-{postgis}",
              "file": "postgis-{postgis}.tar.gz",
              "url": "https://example.invalid/postgis/{postgis}.tar.gz"
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
