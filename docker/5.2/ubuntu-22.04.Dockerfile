# GENERATED — DO NOT EDIT. Rendered by `bbf dockerfile` from versions.json:
#   line 5.2: Babelfish 5.2.0 on PostgreSQL 17.5, ANTLR 4.13.2
#   engine tag BABEL_5_2_0__PG_17_5, extensions tag BABEL_5_2_0, source layout release-tarball
#   distribution ubuntu-22.04: Ubuntu 22.04 LTS (jammy)
# To change it, edit versions.json or patches/5.2/ and run `swift run bbf dockerfile`;
# `bbf check` fails while this file differs from what the generator renders.
#
# Build it with `swift run bbf build --line 5.2` (see docs/BUILDING.md), or from the
# repository root with `docker build -f <this file> .` (BuildKit) or `podman build --format docker`.
# Targets: the last stage, runtime, is the engine image (the default). `--target pipeline`
# (`bbf build --target pipeline`) is the pipeline image: the engine plus bbf_dump, bbf_dumpall,
# bbf, the AWS CLI and skopeo, for `bbf backup` and `bbf bake`.
# Build arguments:
#   BUILD_IMAGE, RUNTIME_IMAGE, SWIFT_IMAGE  base images (references may carry @sha256: digests)
#   SOURCES_FROM     download: fetch the archives and verify their sha256 (default)
#                    context: take them from sources/ in the build context (air-gapped builds)
#   ENTRYPOINT_FROM  swift: compile bbf-entrypoint in the Swift stage (default)
#                    context: take entrypoint/<arch>/bbf-entrypoint from the build context
#   BBF_FROM         swift: compile bbf in its Swift stage (default; pipeline target only). It resolves
#                    and downloads bbf's Swift packages (swift-argument-parser, swift-crypto): needs network
#                    context: take bbf/<arch>/bbf from the build context (air-gapped builds)
#   RUNTIME_FROM     minimal: the engine image holds only what runs, on no base image (default)
#                    distribution: the engine image is the distribution's image plus the engine (has apt)
#   SOURCE_REVISION  this repository's revision, recorded in the image labels
# Portable to Docker 20.10+ with BuildKit and to podman/buildah 1.28+: no syntax line, no
# heredocs, no COPY --link, no ADD --checksum (checksums are verified in RUN steps).
#
# WARNING: no sha256 is pinned yet for BABEL_5_2_0__PG_17_5.tar.gz, antlr4-4.13.2.tar.gz, pg_hint_plan-REL17_1_7_0.tar.gz, postgis-3.5.2.tar.gz.
# The build prints their checksums but cannot verify them; run `bbf pin --line 5.2`.

ARG BUILD_IMAGE=ubuntu:22.04
ARG RUNTIME_IMAGE=ubuntu:22.04
ARG SWIFT_IMAGE=swift:6.3.1-jammy
ARG SOURCES_FROM=download
ARG ENTRYPOINT_FROM=swift
ARG BBF_FROM=swift
ARG RUNTIME_FROM=minimal

# ----------------------------------------------------------------------------
# builder: compilers and development packages (build stages only, never in the runtime image).
FROM ${BUILD_IMAGE} AS builder
ARG DEBIAN_FRONTEND=noninteractive
# Slim images exclude man pages; openjdk's postinst still expects man1.
RUN set -eux; mkdir -p /usr/share/man/man1; \
    apt-get update; \
    apt-get install --yes --no-install-recommends \
        bison \
        build-essential \
        ca-certificates \
        cmake \
        curl \
        flex \
        gettext \
        libicu-dev \
        libldap2-dev \
        libossp-uuid-dev \
        libpam0g-dev \
        libreadline-dev \
        libssl-dev \
        libutfcpp-dev \
        libxml2-dev \
        libxslt1-dev \
        openjdk-17-jre-headless \
        patch \
        perl \
        pkg-config \
        python3 \
        uuid-dev \
        zlib1g-dev; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*

# ----------------------------------------------------------------------------
# archives-download: fetch the source archives (SOURCES_FROM=download).
FROM builder AS archives-download
ARG SOURCES_FROM
WORKDIR /src/archives
# The guard keeps builders that run unused stages from downloading in air-gapped builds.
RUN set -eux; if [ "${SOURCES_FROM:-download}" != download ]; then echo "SOURCES_FROM=$SOURCES_FROM: not downloading"; exit 0; fi; \
    curl --fail --location --silent --show-error --retry 3 --output BABEL_5_2_0__PG_17_5.tar.gz https://github.com/babelfish-for-postgresql/babelfish-for-postgresql/releases/download/BABEL_5_2_0__PG_17_5/BABEL_5_2_0__PG_17_5.tar.gz; \
    curl --fail --location --silent --show-error --retry 3 --output antlr4-4.13.2.tar.gz https://github.com/antlr/antlr4/archive/refs/tags/4.13.2.tar.gz; \
    curl --fail --location --silent --show-error --retry 3 --output pg_hint_plan-REL17_1_7_0.tar.gz https://github.com/ossc-db/pg_hint_plan/archive/refs/tags/REL17_1_7_0.tar.gz; \
    curl --fail --location --silent --show-error --retry 3 --output postgis-3.5.2.tar.gz https://github.com/postgis/postgis/archive/refs/tags/3.5.2.tar.gz

# ----------------------------------------------------------------------------
# archives-context: the same archives from sources/ in the build context (SOURCES_FROM=context,
# air-gapped builds; bbf build --sources DIR puts them there).
FROM builder AS archives-context
COPY sources/ /src/archives/

# ----------------------------------------------------------------------------
# archives: the chosen archives, each verified against versions.json.
FROM archives-${SOURCES_FROM} AS archives
ARG SOURCES_FROM
WORKDIR /src/archives
# A local-archive checksum only vouches for archives from the build context, never for downloads.
RUN set -eu; verify() { \
        file="$1"; upstream="$2"; local_archive="$3"; \
        if [ "$SOURCES_FROM" != context ]; then local_archive=''; fi; \
        if [ ! -f "$file" ]; then echo "ERROR: source archive $file is missing (air-gapped builds: put it in the directory given to bbf build --sources)" >&2; exit 1; fi; \
        actual="$(sha256sum "$file")"; actual="${actual%% *}"; \
        if [ -n "$upstream" ] && [ "$actual" = "$upstream" ]; then echo "sha256 OK: $file (the upstream archive)"; \
        elif [ -n "$local_archive" ] && [ "$actual" = "$local_archive" ]; then echo "sha256 OK: $file (the local git-archive copy)"; \
        elif [ -z "$upstream$local_archive" ]; then echo "WARNING: $file is NOT VERIFIED: versions.json lines[\"5.2\"].checksums has no sha256 for it. Its sha256 is $actual; record it with bbf pin --line 5.2." >&2; \
        else echo "ERROR: sha256 mismatch for $file: it is $actual; versions.json expects ${upstream:-(none)} (upstream) or ${local_archive:-(none)} (local archive)" >&2; exit 1; \
        fi; \
    }; \
    verify BABEL_5_2_0__PG_17_5.tar.gz '' ''; \
    verify antlr4-4.13.2.tar.gz '' ''; \
    verify pg_hint_plan-REL17_1_7_0.tar.gz '' ''; \
    verify postgis-3.5.2.tar.gz '' ''

# ----------------------------------------------------------------------------
# antlr: the ANTLR 4.13.2 C++ runtime. Its own stage, so a Babelfish-only bump reuses it.
FROM builder AS antlr
COPY --from=archives /src/archives/antlr4-4.13.2.tar.gz /src/archives/
WORKDIR /src
RUN set -eux; tar -xzf archives/antlr4-4.13.2.tar.gz; \
    rm -r archives; \
    if [ ! -d antlr4-4.13.2/runtime/Cpp ]; then echo 'ERROR: antlr4-4.13.2.tar.gz did not unpack to antlr4-4.13.2/runtime/Cpp (versions.json sources.antlr.directory); it holds:' >&2; ls -la >&2; exit 1; fi; \
    mv antlr4-4.13.2 antlr4
# No patches for the antlr tree (lines["5.2"].patches).
# ANTLR_BUILD_CPP_TESTS=OFF: the runtime's tests would download googletest.
RUN set -eux; cmake -S antlr4/runtime/Cpp -B antlr-build \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX=/usr/local \
        -DCMAKE_INSTALL_LIBDIR=lib \
        -DWITH_DEMO=False \
        -DANTLR_BUILD_CPP_TESTS=OFF; \
    make -C antlr-build -j"$(nproc)"; \
    make -C antlr-build install DESTDIR=/opt/antlr-install; \
    test -f /opt/antlr-install/usr/local/lib/libantlr4-runtime.so.4.13.2

# ----------------------------------------------------------------------------
# sources: the Babelfish engine and extensions, unpacked to /src/engine and
# /src/extensions (contrib/babelfishpg_*) whatever the source layout, checked, patched.
FROM builder AS sources
COPY --from=archives /src/archives/BABEL_5_2_0__PG_17_5.tar.gz /src/archives/
WORKDIR /src
RUN set -eux; tar -xzf archives/BABEL_5_2_0__PG_17_5.tar.gz; \
    rm -r archives; \
    if [ ! -d BABEL_5_2_0__PG_17_5/contrib/babelfishpg_tsql ]; then echo 'ERROR: BABEL_5_2_0__PG_17_5.tar.gz does not unpack to BABEL_5_2_0__PG_17_5/ with the extensions in contrib/babelfishpg_* (the layout that babelfish-for-postgresql/babelfish-for-postgresql .github/scripts/build.sh produces). Set lines["5.2"].sourceLayout to git-tags to build from the two repositories instead. The archive holds:' >&2; ls -la . BABEL_5_2_0__PG_17_5 >&2; exit 1; fi; \
    mv BABEL_5_2_0__PG_17_5 engine; \
    mkdir -p extensions/contrib; \
    mv engine/contrib/babelfishpg_* extensions/contrib/
# The trees must be the versions versions.json names.
RUN set -eu; fail() { echo "ERROR: $*" >&2; exit 1; }; \
    grep -qx "PACKAGE_VERSION='17.5'" engine/configure || fail "the engine sources are not PostgreSQL 17.5: engine/configure has $(grep '^PACKAGE_VERSION=' engine/configure). Check lines[\"5.2\"].postgres and the archive."; \
    for extension in babelfishpg_money babelfishpg_common babelfishpg_tds babelfishpg_tsql; do [ -f "extensions/contrib/$extension/Makefile" ] || fail "extensions/contrib/$extension is missing from the Babelfish sources"; done; \
    for setting in PGTSQL_MAJOR_VERSION=5 PGTSQL_MINOR_VERSION=2 PGTSQL_MICRO_VERSION=0; do grep -qx "$setting" extensions/contrib/babelfishpg_tsql/Version.config || fail "the extensions are not Babelfish 5.2.0 ($setting is not in extensions/contrib/babelfishpg_tsql/Version.config, which says: $(grep VERSION= extensions/contrib/babelfishpg_tsql/Version.config)). Check lines[\"5.2\"].babelfish and the archive."; done; \
    [ -f extensions/contrib/babelfishpg_tsql/antlr/thirdparty/antlr/antlr-4.13.2-complete.jar ] || fail "the extensions do not ship antlr-4.13.2-complete.jar (extensions/contrib/babelfishpg_tsql/antlr/thirdparty/antlr holds: $(ls extensions/contrib/babelfishpg_tsql/antlr/thirdparty/antlr)). lines[\"5.2\"].antlr must be the ANTLR version of Babelfish 5.2.0."; \
    grep -q 'antlr-4.13.2-complete.jar' extensions/contrib/babelfishpg_tsql/antlr/CMakeLists.txt || fail "babelfishpg_tsql/antlr/CMakeLists.txt does not use antlr-4.13.2-complete.jar; lines[\"5.2\"].antlr must be the ANTLR version of Babelfish 5.2.0."; \
    echo "sources OK: PostgreSQL 17.5, Babelfish 5.2.0, ANTLR tool 4.13.2"
# No patches for the engine and extensions trees (lines["5.2"].patches).

# ----------------------------------------------------------------------------
# engine: PostgreSQL 17.5 modified for Babelfish, with contrib (uuid-ossp is needed at run time).
# Official configure flags plus --with-openssl; never --with-extra-version (it breaks sys.get_host_os()).
FROM builder AS engine
COPY --from=sources /src/engine /src/engine
WORKDIR /src/engine
RUN set -eux; ./configure --prefix=/opt/babelfish \
        --with-ldap \
        --with-libxml \
        --with-pam \
        --with-uuid=ossp \
        --enable-nls \
        --with-libxslt \
        --with-icu \
        --with-openssl; \
    make -j"$(nproc)"; \
    make install
RUN set -eux; make -C contrib -j"$(nproc)"; \
    make -C contrib install

# ----------------------------------------------------------------------------
# extensions: babelfishpg_money, _common, _tds and _tsql, in that order. The tsql Makefile
# exports the ANTLR paths, so they are also given on the make command line.
FROM engine AS extensions
COPY --from=antlr /opt/antlr-install/usr/local/ /usr/local/
COPY --from=sources /src/extensions /src/extensions
ENV PG_CONFIG=/opt/babelfish/bin/pg_config \
    PG_SRC=/src/engine \
    ANTLR4_JAVA_BIN=/usr/bin/java \
    ANTLR4_RUNTIME_INCLUDE_DIR=/usr/local/include/antlr4-runtime \
    ANTLR4_RUNTIME_LIB_DIR=/usr/local/lib
WORKDIR /src/extensions/contrib
# The server loads the ANTLR runtime from its own lib directory.
RUN set -eux; cp -a /usr/local/lib/libantlr4-runtime.so.4.13.2 /opt/babelfish/lib/
RUN set -eux; make -C babelfishpg_money -j"$(nproc)"; \
    make -C babelfishpg_money install
# -DENABLE_SPATIAL_TYPES: the geometry and geography types (their functions call PostGIS's library), as upstream CI
# builds babelfishpg_common and babelfishpg_tsql (distributions.ubuntu-22.04.spatialTypes).
RUN set -eux; PG_CPPFLAGS='-DENABLE_SPATIAL_TYPES' make -C babelfishpg_common -j"$(nproc)"; \
    PG_CPPFLAGS='-DENABLE_SPATIAL_TYPES' make -C babelfishpg_common install
RUN set -eux; make -C babelfishpg_tds -j"$(nproc)"; \
    make -C babelfishpg_tds install
# babelfishpg_tsql/antlr first: a parallel clean build of tsql races otherwise.
WORKDIR /src/extensions/contrib/babelfishpg_tsql/antlr
RUN set -eux; cmake -Wno-dev .; \
    make -j"$(nproc)" all
WORKDIR /src/extensions/contrib
# babelfishpg_tsql builds with -Werror; Ubuntu 22.04 LTS (jammy)'s compiler needs COPT=-Wno-error=maybe-uninitialized -fcommon -Wno-error=address
# (versions.json distributions.ubuntu-22.04.compilerFlags).
# Linked servers: -DENABLE_TDS_LIB and FreeTDS's libsybdb, as upstream CI builds babelfishpg_tsql
# (distributions.ubuntu-22.04.linkedServers; installed here so the stages above keep their cache).
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        freetds-dev; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
RUN set -eux; PG_CPPFLAGS='-I/usr/include -DENABLE_TDS_LIB -DENABLE_SPATIAL_TYPES' SHLIB_LINK='-lsybdb' make -C babelfishpg_tsql -j"$(nproc)" cmake="$(command -v cmake)" ANTLR4_RUNTIME_INCLUDE_DIR=/usr/local/include/antlr4-runtime ANTLR4_RUNTIME_LIB_DIR=/usr/local/lib ANTLR4_JAVA_BIN=/usr/bin/java COPT='-Wno-error=maybe-uninitialized -fcommon -Wno-error=address'; \
    PG_CPPFLAGS='-I/usr/include -DENABLE_TDS_LIB -DENABLE_SPATIAL_TYPES' SHLIB_LINK='-lsybdb' make -C babelfishpg_tsql install cmake="$(command -v cmake)" ANTLR4_RUNTIME_INCLUDE_DIR=/usr/local/include/antlr4-runtime ANTLR4_RUNTIME_LIB_DIR=/usr/local/lib ANTLR4_JAVA_BIN=/usr/bin/java COPT='-Wno-error=maybe-uninitialized -fcommon -Wno-error=address'

# ----------------------------------------------------------------------------
# pg-hint-plan: pg_hint_plan REL17_1_7_0 (PostgreSQL 17), built with PGXS against the engine.
# Babelfish maps T-SQL query, table and join hints onto it (babelfishpg_tsql.enable_pg_hint loads it).
# Staged under /opt/pg-hint-plan-install; the install stage copies it in.
FROM engine AS pg-hint-plan
COPY --from=archives /src/archives/pg_hint_plan-REL17_1_7_0.tar.gz /src/archives/
WORKDIR /src
RUN set -eux; tar -xzf archives/pg_hint_plan-REL17_1_7_0.tar.gz; \
    rm -r archives; \
    if [ ! -f pg_hint_plan-REL17_1_7_0/pg_hint_plan.control ]; then echo 'ERROR: pg_hint_plan-REL17_1_7_0.tar.gz did not unpack to pg_hint_plan-REL17_1_7_0/ with pg_hint_plan.control (versions.json sources.pgHintPlan.directory); it holds:' >&2; ls -la >&2; exit 1; fi; \
    mv pg_hint_plan-REL17_1_7_0 pg_hint_plan
RUN set -eux; make -C pg_hint_plan USE_PGXS=1 PG_CONFIG=/opt/babelfish/bin/pg_config -j"$(nproc)"; \
    make -C pg_hint_plan USE_PGXS=1 PG_CONFIG=/opt/babelfish/bin/pg_config install DESTDIR=/opt/pg-hint-plan-install; \
    test -f /opt/pg-hint-plan-install/opt/babelfish/lib/postgresql/pg_hint_plan.so

# ----------------------------------------------------------------------------
# postgis: PostGIS 3.5.2, whose library Babelfish's geometry and geography types call (as upstream CI:
# --without-protobuf --without-raster). distributions.ubuntu-22.04.spatialTypes turns it off.
# Staged under /opt/postgis-install; the install stage copies it in.
FROM engine AS postgis
ARG DEBIAN_FRONTEND=noninteractive
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        autoconf \
        automake \
        libgeos-dev \
        libjson-c-dev \
        libproj-dev \
        libtool; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
COPY --from=archives /src/archives/postgis-3.5.2.tar.gz /src/archives/
WORKDIR /src
RUN set -eux; tar -xzf archives/postgis-3.5.2.tar.gz; \
    rm -r archives; \
    if [ ! -f postgis-3.5.2/postgis/Makefile.in ]; then echo 'ERROR: postgis-3.5.2.tar.gz did not unpack to postgis-3.5.2/ with postgis/Makefile.in (versions.json sources.postgis.directory); it holds:' >&2; ls -la >&2; exit 1; fi; \
    mv postgis-3.5.2 postgis
WORKDIR /src/postgis
# A git-tag archive has no configure script and no spatial_ref_sys.sql (release tarballs generate both).
# Babelfish uses only the library, not the postgis extension's tables, so an empty one is installed then.
RUN set -eux; if [ ! -x configure ]; then ./autogen.sh; fi; \
    if [ ! -f spatial_ref_sys.sql ]; then : > spatial_ref_sys.sql; fi; \
    ./configure --with-pgconfig=/opt/babelfish/bin/pg_config --without-protobuf --without-raster; \
    make -j"$(nproc)"; \
    make install DESTDIR=/opt/postgis-install; \
    test -f /opt/postgis-install/opt/babelfish/lib/postgresql/postgis-3.so

# ----------------------------------------------------------------------------
# install: /opt/babelfish trimmed for run time: no headers, static libraries, PGXS, debug info or message
# translations (the server answers in English, as Aurora does; a translated lc_messages falls back to it).
# pg_config and psql stay (bbf-entrypoint and people use them).
FROM extensions AS install
COPY --from=pg-hint-plan /opt/pg-hint-plan-install/opt/babelfish/ /opt/babelfish/
COPY --from=postgis /opt/postgis-install/opt/babelfish/ /opt/babelfish/
RUN set -eux; rm -r /opt/babelfish/include /opt/babelfish/lib/pkgconfig /opt/babelfish/lib/postgresql/pgxs /opt/babelfish/share/locale /opt/babelfish/share/postgresql/contrib/postgis-*; \
    find /opt/babelfish -name '*.a' -type f -delete; \
    find /opt/babelfish/bin /opt/babelfish/lib -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec strip --strip-unneeded {} +; \
    test -x /opt/babelfish/bin/postgres; \
    test -f /opt/babelfish/lib/libantlr4-runtime.so.4.13.2; \
    for extension in babelfishpg_money babelfishpg_common babelfishpg_tds babelfishpg_tsql uuid-ossp pg_hint_plan; do test -f "/opt/babelfish/share/postgresql/extension/$extension.control"; done; \
    test -f /opt/babelfish/lib/postgresql/pg_hint_plan.so; \
    test -f /opt/babelfish/lib/postgresql/postgis-3.so; \
    du -sh /opt/babelfish

# ----------------------------------------------------------------------------
# entrypoint-swift: bbf-entrypoint compiled with the static Swift standard library (ENTRYPOINT_FROM=swift),
# from its own manifest (docker/entrypoint/Package.swift: its targets only, no package dependencies,
# so nothing is resolved or downloaded) and those targets' sources.
FROM ${SWIFT_IMAGE} AS entrypoint-swift
ARG DEBIAN_FRONTEND=noninteractive
ARG ENTRYPOINT_FROM
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        freetds-dev \
        libpq-dev \
        libssl-dev; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY docker/entrypoint/Package.swift Package.swift
COPY Sources/CBBFSupport/ Sources/CBBFSupport/
COPY Sources/CBBFTLS/ Sources/CBBFTLS/
COPY Sources/CLibPQ/ Sources/CLibPQ/
COPY Sources/CSybDB/ Sources/CSybDB/
COPY Sources/BBFImage/ Sources/BBFImage/
COPY Sources/BBFSystem/ Sources/BBFSystem/
COPY Sources/PostgresClient/ Sources/PostgresClient/
COPY Sources/TDSClient/ Sources/TDSClient/
COPY Sources/BBFEntrypoint/ Sources/BBFEntrypoint/
COPY Sources/bbf-entrypoint/ Sources/bbf-entrypoint/
# The guard keeps builders that run unused stages from compiling when a prebuilt binary is used.
RUN --mount=type=cache,id=bbf-swiftpm-ubuntu-22.04,target=/build/.build,sharing=locked \
    set -eux; if [ "${ENTRYPOINT_FROM:-swift}" != swift ]; then echo "ENTRYPOINT_FROM=$ENTRYPOINT_FROM: not compiling"; mkdir -p /out; exit 0; fi; \
    swift build -c release --static-swift-stdlib --disable-automatic-resolution --product bbf-entrypoint; \
    install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/bbf-entrypoint" /out/bbf-entrypoint

# ----------------------------------------------------------------------------
# entrypoint-context: a prebuilt bbf-entrypoint from entrypoint/<arch>/ in the build context
# (ENTRYPOINT_FROM=context; bbf build --entrypoint-binary PATH puts it there).
FROM ${BUILD_IMAGE} AS entrypoint-context
ARG TARGETARCH
COPY entrypoint/ /in/
RUN set -eux; arch="${TARGETARCH:-$(dpkg --print-architecture)}"; \
    if [ ! -f "/in/$arch/bbf-entrypoint" ]; then echo "ERROR: entrypoint/$arch/bbf-entrypoint is not in the build context (ENTRYPOINT_FROM=context): build it with swift build -c release --static-swift-stdlib --product bbf-entrypoint and pass it to bbf build --entrypoint-binary" >&2; exit 1; fi; \
    install -D -m 0755 "/in/$arch/bbf-entrypoint" /out/bbf-entrypoint

# ----------------------------------------------------------------------------
# entrypoint: the chosen bbf-entrypoint.
FROM entrypoint-${ENTRYPOINT_FROM} AS entrypoint

# ----------------------------------------------------------------------------
# entrypoint-stripped: the chosen bbf-entrypoint without its symbol table (the builder has binutils);
# about half its size. Swift needs no symbols to run: a crash report loses function names only.
FROM builder AS entrypoint-stripped
COPY --from=entrypoint /out/bbf-entrypoint /out/bbf-entrypoint
# It runs in the runtime stage, which has libpq: make-template there is its test.
RUN set -eux; strip --strip-all /out/bbf-entrypoint

# ----------------------------------------------------------------------------
# locales: the OS locales of the cultures FORMAT accepts (lines["5.2"].cultures), compiled on the runtime
# base (same C library) into one locale archive that the runtime image copies. Babelfish sets lc_time and
# lc_numeric to xx_YY.UTF-8 and lc_monetary to xx_YY, so both names are defined, with UTF-8.
FROM ${RUNTIME_IMAGE} AS locales
ARG DEBIAN_FRONTEND=noninteractive
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        locales; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
# localedef exits 1 for warnings it wrote the locale despite; the listing check below is what counts.
RUN set -eux; define() { localedef --inputfile="$1" --charmap=UTF-8 "$2" || [ "$?" -eq 1 ]; }; \
    for locale in de_DE en_GB en_US es_ES fr_FR it_IT ja_JP ko_KR nl_NL pt_BR ru_RU zh_CN; do define "$locale" "$locale.UTF-8"; define "$locale" "$locale"; done; \
    localedef --list-archive > /tmp/locales; \
    for locale in de_DE en_GB en_US es_ES fr_FR it_IT ja_JP ko_KR nl_NL pt_BR ru_RU zh_CN; do for name in "$locale.utf8" "$locale"; do grep -qx "$name" /tmp/locales || { echo "ERROR: locale $name was not generated (check lines[\"5.2\"].cultures and distributions.ubuntu-22.04.packages.locales)" >&2; exit 1; }; done; done; \
    rm /tmp/locales; \
    du -h /usr/lib/locale/locale-archive

# ----------------------------------------------------------------------------
# engine-runtime: only what runs. A fixed-UID non-root postgres user; no VOLUME (data-loaded images
# keep their data in the image); bbf-entrypoint initializes on first boot and then execs postgres.
# The engine image (the runtime stage at the end of this file) and the pipeline image's base.
FROM ${RUNTIME_IMAGE} AS engine-runtime
ARG DEBIAN_FRONTEND=noninteractive
# No documentation, manual pages or translations from the packages installed here and in images built on this one
# (/etc/dpkg/dpkg.cfg.d/bbf-slim, as Debian's slim images configure dpkg); copyright files stay.
RUN set -eux; printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/lintian/*' > /etc/dpkg/dpkg.cfg.d/bbf-slim; \
    apt-get update; \
    apt-get install --yes --no-install-recommends \
        gzip \
        libgeos-c1v5 \
        libicu70 \
        libjson-c5 \
        libldap-2.5-0 \
        liblzma5 \
        libossp-uuid16 \
        libpam0g \
        libpq5 \
        libproj22 \
        libreadline8 \
        libsasl2-2 \
        libssl3 \
        libstdc++6 \
        libsybdb5 \
        libxml2 \
        libxslt1.1 \
        xz-utils \
        zlib1g \
        zstd; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
RUN set -eux; groupadd --system --gid 999 postgres; \
    useradd --system --uid 999 --gid postgres --home-dir /var/lib/babelfish --shell /bin/bash postgres; \
    mkdir -p /var/lib/babelfish/data /var/run/postgresql /docker-entrypoint-initdb.d; \
    chown -R postgres:postgres /var/lib/babelfish /var/run/postgresql; \
    chmod 0700 /var/lib/babelfish/data; \
    chmod 3775 /var/run/postgresql
COPY --from=install /opt/babelfish /opt/babelfish
COPY --from=entrypoint-stripped /out/bbf-entrypoint /usr/local/bin/bbf-entrypoint
# The cultures' locales (the locales stage); C.UTF-8 stays the default.
COPY --from=locales /usr/lib/locale/locale-archive /usr/lib/locale/locale-archive
RUN set -eux; test -x /usr/local/bin/bbf-entrypoint || { echo 'ERROR: no bbf-entrypoint (the entrypoint stage produced none)' >&2; exit 1; }; \
    /opt/babelfish/bin/postgres --version; \
    report="$(find /opt/babelfish /usr/local/bin/bbf-entrypoint -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec ldd {} + 2>&1 || true)"; \
    case "$report" in *'not found'*) echo "ERROR: run-time libraries are missing (add their packages to versions.json distributions.ubuntu-22.04.packages.runtime); ldd says:" >&2; printf '%s\n' "$report" >&2; exit 1;; esac
ENV PATH=/opt/babelfish/bin:$PATH \
    PGDATA=/var/lib/babelfish/data \
    LANG=C.UTF-8
# The template cluster a first boot with the default settings copies instead of running initdb and the
# Babelfish setup (BBF_INIT_TEMPLATE): made here by the entrypoint's own first-boot steps, the server run as
# postgres; it holds no password and no TLS key, no WAL, and is read-only (owned by root, so the
# server's user cannot change it).
RUN set -eux; /usr/local/bin/bbf-entrypoint make-template /opt/babelfish/template; \
    chown -R 0:0 /opt/babelfish/template; \
    du -sh /opt/babelfish/template
ARG RUNTIME_IMAGE
LABEL org.opencontainers.image.title="Babelfish for PostgreSQL (developer edition)" \
      org.opencontainers.image.description="PostgreSQL 17.5 with Babelfish 5.2.0 (TDS on port 1433), built from source" \
      org.opencontainers.image.version="17.5-5.2.0" \
      org.opencontainers.image.licenses="PostgreSQL AND Apache-2.0 AND BSD-3-Clause" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}" \
      babelfish-dev.line="5.2" \
      babelfish-dev.distribution="ubuntu-22.04" \
      babelfish-dev.postgresql.version="17.5" \
      babelfish-dev.babelfish.version="5.2.0" \
      babelfish-dev.antlr.version="4.13.2" \
      babelfish-dev.engine.tag="BABEL_5_2_0__PG_17_5" \
      babelfish-dev.extensions.tag="BABEL_5_2_0" \
      babelfish-dev.source.layout="release-tarball" \
      babelfish-dev.pg_hint_plan.version="REL17_1_7_0" \
      babelfish-dev.postgis.version="3.5.2" \
      babelfish-dev.cultures="de-DE en-GB en-US es-ES fr-FR it-IT ja-JP ko-KR nl-NL pt-BR ru-RU zh-CN" \
      babelfish-dev.linked_servers="on" \
      babelfish-dev.runtime="distribution"
EXPOSE 5432 1433
STOPSIGNAL SIGINT
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["bbf-entrypoint", "healthcheck"]
# Numeric, so Kubernetes can enforce runAsNonRoot; it is the postgres user created above.
USER 999:999
ENTRYPOINT ["bbf-entrypoint"]
CMD ["postgres"]

# ----------------------------------------------------------------------------
# engine-rootfs: the minimal engine image's files, gathered from engine-runtime into /rootfs: the engine, the
# entrypoint, the template and the locales; the shared libraries they load (ldd), the data those read
# (PROJ's database, iconv's Unicode and SQL Server code page converters); bash, gzip, xz, zstd, tar, busybox; the postgres user and the
# image's directories, as engine-runtime made them. Never published: engine-minimal copies /rootfs.
FROM engine-runtime AS engine-rootfs
ARG DEBIAN_FRONTEND=noninteractive
# Root for the gathering (chroot, files of other owners); this stage is never published.
# hadolint ignore=DL3002
USER 0:0
# BusyBox, the commands of a shell session in one binary (the C library only). Not busybox-static: its sh runs its
# own applets before PATH, so a script's xz would be BusyBox's, which only decompresses.
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        busybox; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
# keep PATH...: each path at its real place (directories resolved through the merged-/usr links), and each
# symbolic link followed hop by hop, so a library's soname link and its file both arrive. No pipes: a failure
# anywhere fails the step.
RUN set -eux; root=/rootfs; \
    keep() { for f in "$@"; do while :; do d="$(readlink -f "$(dirname "$f")")"; n="${f##*/}"; mkdir -p "$root$d"; cp -a "$d/$n" "$root$d/"; [ -L "$d/$n" ] || break; t="$(readlink "$d/$n")"; case "$t" in /*) f="$t";; *) f="$d/$t";; esac; done; done; }; \
    mkdir -p "$root/var"; \
    for link in /bin /sbin /lib /lib32 /lib64 /libx32 /var/run; do if [ -L "$link" ]; then cp -P "$link" "$root$link"; fi; done; \
    keep /opt/babelfish /usr/local/bin/bbf-entrypoint /var/lib/babelfish /var/run/postgresql /docker-entrypoint-initdb.d /tmp; \
    for file in /etc/passwd /etc/group /etc/nsswitch.conf /etc/localtime /etc/ld.so.conf /etc/ld.so.conf.d /etc/os-release /etc/debian_version /etc/ssl/openssl.cnf /usr/lib/ssl /etc/freetds /etc/ldap/ldap.conf /usr/lib/locale /usr/share/proj; do if [ -e "$file" ]; then keep "$file"; fi; done; \
    find /opt/babelfish /usr/local/bin/bbf-entrypoint -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec ldd {} + > /tmp/ldd 2>&1 || true; \
    for gconv in /usr/lib/*/gconv; do for file in gconv-modules gconv-modules.d gconv-modules.cache; do if [ -e "$gconv/$file" ]; then keep "$gconv/$file"; fi; done; for module in ANSI_X3.110 CP1252 ISO8859-1 ISO8859-15 UNICODE UTF-16 UTF-32 UTF-7 IBM437 IBM850 IBM874 CP932 GBK UHC BIG5 CP1250 CP1251 CP1253 CP1254 CP1255 CP1256 CP1257 CP1258; do keep "$gconv/$module.so"; ldd "$gconv/$module.so" >> /tmp/ldd 2>&1 || true; done; done; \
    for program in bash gzip xz zstd tar busybox; do path="$(command -v "$program")"; keep "$path"; ldd "$path" >> /tmp/ldd 2>&1 || true; done; \
    awk '$2 == "=>" && $3 ~ /^\// && !seen[$3]++ { print $3 } $1 ~ /^\// && $1 !~ /:$/ && !seen[$1]++ { print $1 }' /tmp/ldd > /tmp/libraries; \
    while read -r library; do keep "$library"; done < /tmp/libraries; \
    for applet in $(busybox --list); do case "$applet" in dpkg|dpkg-deb|rpm|rpm2cpio) continue;; esac; if [ ! -e "$root/usr/bin/$applet" ] && [ ! -e "$root/usr/sbin/$applet" ]; then ln -s busybox "$root/usr/bin/$applet"; fi; done; \
    ldconfig -r "$root"; \
    rm /tmp/ldd /tmp/libraries
# The packages the kept files come from, in dpkg's status file, so image scanners still see their versions
# (dpkg records the paths before the /usr merge: each path is asked for in both forms; BusyBox's applet links are
# not the packages whose commands they stand for), and their copyright files.
RUN set -eux; root=/rootfs; \
    find "$root" \( -type f -o -type l \) ! -path "$root/opt/babelfish/*" > /tmp/found; \
    while read -r found; do if [ -L "$found" ] && [ "$(readlink "$found")" = busybox ]; then continue; fi; path="${found#"$root"}"; echo "$path"; case "$path" in /usr/bin/*|/usr/sbin/*|/usr/lib/*|/usr/lib64/*) echo "${path#/usr}";; /bin/*|/sbin/*|/lib/*|/lib64/*) echo "/usr$path";; esac; done < /tmp/found > /tmp/paths; \
    xargs dpkg-query --search < /tmp/paths > /tmp/owners 2>&1 || true; \
    awk -F ': ' '!/^dpkg-query: / && !/^diversion by / { n = split($1, names, ", "); for (i = 1; i <= n; i++) if (!seen[names[i]]++) print names[i] }' /tmp/owners > /tmp/packages; \
    mkdir -p "$root/var/lib/dpkg"; \
    xargs dpkg-query --status < /tmp/packages > "$root/var/lib/dpkg/status"; \
    while read -r package; do name="${package%%:*}"; if [ -f "/usr/share/doc/$name/copyright" ]; then mkdir -p "$root/usr/share/doc/$name"; cp "/usr/share/doc/$name/copyright" "$root/usr/share/doc/$name/"; fi; done < /tmp/packages; \
    rm /tmp/found /tmp/paths /tmp/owners /tmp/packages
# The check, inside the new root: every executable and library finds what it loads there (the loader's
# --list), and the engine and the kept programs start.
RUN set -eux; root=/rootfs; \
    ldd /opt/babelfish/bin/postgres > /tmp/postgres.ldd; \
    loader="$(awk '$1 ~ /^\// { print $1 }' /tmp/postgres.ldd)"; \
    find "$root" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) ! -path "$root/opt/babelfish/template/*" > /tmp/files; \
    while read -r file; do chroot "$root" "$loader" --list "${file#"$root"}" 2>&1 || true; done < /tmp/files > /tmp/report; \
    if grep -q 'not found' /tmp/report; then echo 'ERROR: the minimal image lacks libraries its files load; the loader says:' >&2; grep -B20 'not found' /tmp/report >&2; exit 1; fi; \
    rm /tmp/postgres.ldd /tmp/files /tmp/report; \
    chroot "$root" /opt/babelfish/bin/postgres --version; \
    chroot "$root" /bin/sh -c 'bash --version | head -n 1; gzip --version | head -n 1; xz --version | head -n 1; zstd --version; tar --version | head -n 1; ls -d /'; \
    test -x "$root/usr/local/bin/bbf-entrypoint"; \
    du -sh "$root"

# ----------------------------------------------------------------------------
# engine-minimal: the engine image (RUNTIME_FROM=minimal, the default): engine-rootfs's files in one layer on
# no base image, and the configuration engine-runtime has. No package manager: build images that apt-get install
# more on the distribution runtime (RUNTIME_FROM=distribution, bbf build --runtime distribution).
FROM scratch AS engine-minimal
COPY --from=engine-rootfs /rootfs/ /
ENV PATH=/opt/babelfish/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/babelfish/data \
    LANG=C.UTF-8
LABEL org.opencontainers.image.title="Babelfish for PostgreSQL (developer edition)" \
      org.opencontainers.image.description="PostgreSQL 17.5 with Babelfish 5.2.0 (TDS on port 1433), built from source" \
      org.opencontainers.image.version="17.5-5.2.0" \
      org.opencontainers.image.licenses="PostgreSQL AND Apache-2.0 AND BSD-3-Clause" \
      babelfish-dev.line="5.2" \
      babelfish-dev.distribution="ubuntu-22.04" \
      babelfish-dev.postgresql.version="17.5" \
      babelfish-dev.babelfish.version="5.2.0" \
      babelfish-dev.antlr.version="4.13.2" \
      babelfish-dev.engine.tag="BABEL_5_2_0__PG_17_5" \
      babelfish-dev.extensions.tag="BABEL_5_2_0" \
      babelfish-dev.source.layout="release-tarball" \
      babelfish-dev.pg_hint_plan.version="REL17_1_7_0" \
      babelfish-dev.postgis.version="3.5.2" \
      babelfish-dev.cultures="de-DE en-GB en-US es-ES fr-FR it-IT ja-JP ko-KR nl-NL pt-BR ru-RU zh-CN" \
      babelfish-dev.linked_servers="on" \
      babelfish-dev.runtime="minimal"
EXPOSE 5432 1433
STOPSIGNAL SIGINT
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["bbf-entrypoint", "healthcheck"]
# Numeric, so Kubernetes can enforce runAsNonRoot; it is the postgres user engine-runtime created.
USER 999:999
ENTRYPOINT ["bbf-entrypoint"]
CMD ["postgres"]

# ----------------------------------------------------------------------------
# engine-distribution: the engine on the distribution's own image (RUNTIME_FROM=distribution): engine-runtime,
# with apt and everything else of the base image; the pipeline image's base.
FROM engine-runtime AS engine-distribution

# ----------------------------------------------------------------------------
# dump-tools: bbf_dump and bbf_dumpall, the engine's own src/bin/pg_dump (with dump_babel_utils.c)
# built the way the engine's BabelfishDump.spec does, from the tree the engine stage configured and
# built: the same pinned sources, so their version is always the engine's.
FROM engine AS dump-tools
WORKDIR /src/engine/src/bin
RUN set -eux; rm -rf bbf_dump; \
    cp -a pg_dump bbf_dump; \
    make -C bbf_dump clean
WORKDIR /src/engine/src/bin/bbf_dump
# BabelfishDump.spec %prep: bbf_dumpall finds and version-checks its sibling bbf_dump; the tools name Babelfish.
RUN set -eux; sed -i 's/pg_dump/bbf_dump/g' pg_dumpall.c; \
    sed -i 's/pg_dump (PostgreSQL)/bbf_dump (pg_dump compatible with Babelfish for PostgreSQL)/g' pg_dump.c; \
    sed -i 's/bbf_dump (PostgreSQL)/bbf_dump (pg_dump compatible with Babelfish for PostgreSQL)/g' pg_dumpall.c; \
    sed -i 's/bbf_dumpall (PostgreSQL)/bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL)/g' pg_dumpall.c; \
    sed -i 's|PACKAGE_BUGREPORT|"https://github.com/babelfish-for-postgresql/babelfish_extensions/issues"|g' pg_dump.c pg_dumpall.c; \
    sed -i 's|PACKAGE_NAME|"Babelfish"|g' pg_dump.c pg_dumpall.c; \
    sed -i 's|PACKAGE_URL|"https://github.com/babelfish-for-postgresql/babelfish-for-postgresql/wiki"|g' pg_dump.c pg_dumpall.c; \
    grep -q 'find_other_exec(argv\[0\], "bbf_dump"' pg_dumpall.c || { echo 'ERROR: pg_dumpall.c does not look for bbf_dump after the BabelfishDump.spec edits; compare them with the engine tag'\''s BabelfishDump.spec' >&2; exit 1; }
# BabelfishDump.spec %build and %install, renamed.
RUN set -eux; make -C /src/engine/src/backend generated-headers; \
    NO_GENERATED_HEADERS=1 make -j"$(nproc)" pg_dump pg_dumpall; \
    install -D -m 0755 pg_dump /out/bin/bbf_dump; \
    install -D -m 0755 pg_dumpall /out/bin/bbf_dumpall; \
    strip --strip-unneeded /out/bin/bbf_dump /out/bin/bbf_dumpall; \
    expect() { answer="$("/out/bin/$1" --version)"; echo "$answer"; [ "$answer" = "$2" ] || { echo "ERROR: $1 --version says $answer, not $2" >&2; exit 1; }; }; \
    expect bbf_dump 'bbf_dump (pg_dump compatible with Babelfish for PostgreSQL) 17.5'; \
    expect bbf_dumpall 'bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL) 17.5'

# ----------------------------------------------------------------------------
# bbf-swift: bbf compiled with the static Swift standard library (BBF_FROM=swift, the default) from the
# repository's own package: Package.swift, Sources/, Tests/ (SwiftPM checks that every target's directory exists,
# test targets included; only the bbf product is compiled). It resolves and downloads bbf's Swift packages,
# so it needs network; air-gapped builds take a prebuilt bbf (BBF_FROM=context).
FROM ${SWIFT_IMAGE} AS bbf-swift
ARG DEBIAN_FRONTEND=noninteractive
ARG BBF_FROM
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        freetds-dev \
        libpq-dev \
        libssl-dev \
        zlib1g-dev; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift Package.swift
COPY Sources/ Sources/
COPY Tests/ Tests/
# The guard keeps builders that run unused stages from compiling when a prebuilt binary is used.
RUN --mount=type=cache,id=bbf-swiftpm-bbf-ubuntu-22.04,target=/build/.build,sharing=locked \
    set -eux; if [ "${BBF_FROM:-swift}" != swift ]; then echo "BBF_FROM=$BBF_FROM: not compiling"; mkdir -p /out; exit 0; fi; \
    swift build -c release --static-swift-stdlib --product bbf; \
    install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/bbf" /out/bbf

# ----------------------------------------------------------------------------
# bbf-context: a prebuilt bbf from bbf/<arch>/ in the build context
# (BBF_FROM=context; bbf build --target pipeline --bbf-binary PATH puts it there).
FROM ${BUILD_IMAGE} AS bbf-context
ARG TARGETARCH
COPY bbf/ /in/
RUN set -eux; arch="${TARGETARCH:-$(dpkg --print-architecture)}"; \
    if [ ! -f "/in/$arch/bbf" ]; then echo "ERROR: bbf/$arch/bbf is not in the build context (BBF_FROM=context): build it with swift build -c release --static-swift-stdlib --product bbf and pass it to bbf build --bbf-binary" >&2; exit 1; fi; \
    install -D -m 0755 "/in/$arch/bbf" /out/bbf

# ----------------------------------------------------------------------------
# bbf: the chosen bbf.
FROM bbf-${BBF_FROM} AS bbf

# ----------------------------------------------------------------------------
# pipeline: the engine image plus what bbf backup and bbf bake run: bbf_dump, bbf_dumpall, bbf, and
# distributions.ubuntu-22.04.packages.pipeline (versions.json). Non-root, no toolchain; it writes only below
# /work (HOME and TMPDIR), so it runs with a read-only root file system and an emptyDir or tmpfs there.
FROM engine-runtime AS pipeline
ARG DEBIAN_FRONTEND=noninteractive
# Root for the installation only (numeric, like the USER below).
USER 0:0
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        awscli \
        ca-certificates \
        skopeo; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
COPY --from=dump-tools /out/bin/ /opt/babelfish/bin/
COPY --from=bbf /out/bbf /usr/local/bin/bbf
# /work is 1777 like /tmp (and like a Kubernetes emptyDir): Docker 20.10 gives a tmpfs mounted over an
# existing directory that directory's mode, whatever tmpfs-mode says, so a 0700 one would be unwritable.
RUN set -eux; test -x /usr/local/bin/bbf || { echo 'ERROR: no bbf (the bbf stage produced none)' >&2; exit 1; }; \
    install -d -m 1777 /work; \
    install -d -o 999 -g 999 -m 0700 /work/tmp
# Every tool reports the engine's version (PostgreSQL 17.5), and nothing lacks a library or brings a compiler.
RUN set -eu; fail() { echo "ERROR: $*" >&2; exit 1; }; \
    same() { answer="$("$1" --version)"; echo "$answer"; case "$answer" in *" 17.5") ;; *) fail "$1 --version says $answer, not PostgreSQL 17.5 (the engine's version)";; esac; }; \
    same /opt/babelfish/bin/bbf_dump; \
    same /opt/babelfish/bin/bbf_dumpall; \
    same /opt/babelfish/bin/pg_restore; \
    same /opt/babelfish/bin/psql; \
    /usr/local/bin/bbf --help; \
    aws --version; \
    skopeo --version; \
    report="$(ldd /opt/babelfish/bin/bbf_dump /opt/babelfish/bin/bbf_dumpall /usr/local/bin/bbf 2>&1 || true)"; \
    case "$report" in *'not found'*) fail "run-time libraries are missing (add their packages to versions.json distributions.ubuntu-22.04.packages.runtime); ldd says: $report";; esac; \
    toolchain=''; for package in $(dpkg-query --show --showformat '${Package} '); do case "$package" in *-dev|gcc|g++|cpp|clang|make|gcc-[0-9]|gcc-[0-9][0-9]|g++-[0-9]|g++-[0-9][0-9]|cpp-[0-9]|cpp-[0-9][0-9]|clang-[0-9]|clang-[0-9][0-9]) toolchain="$toolchain $package";; esac; done; \
    [ -z "$toolchain" ] || fail "the pipeline image must hold no toolchain, but has: $toolchain (remove what pulls it in from distributions.ubuntu-22.04.packages.pipeline)"
ENV HOME=/work \
    TMPDIR=/work/tmp
WORKDIR /work
LABEL org.opencontainers.image.title="Babelfish for PostgreSQL (developer edition): pipeline" \
      org.opencontainers.image.description="bbf backup and bbf bake with PostgreSQL 17.5, Babelfish 5.2.0, bbf_dump and bbf_dumpall" \
      babelfish-dev.image="pipeline"
ARG SOURCE_REVISION=unknown
LABEL org.opencontainers.image.revision="${SOURCE_REVISION}"
# bbf is no server: no health check. bbf stops its tools and cleans up on SIGTERM and SIGINT.
HEALTHCHECK NONE
STOPSIGNAL SIGTERM
USER 999:999
ENTRYPOINT ["bbf"]
CMD ["--help"]

# ----------------------------------------------------------------------------
# anchor-engine: for size comparison only (the anchor-like stage). The engine compiled as docker-babelfishpg
# compiles it: configure CFLAGS="-ggdb" --enable-debug (debug information; a CFLAGS given to configure replaces
# its -O2) and the same flags as the engine stage.
FROM builder AS anchor-engine
COPY --from=sources /src/engine /src/engine
WORKDIR /src/engine
RUN set -eux; ./configure CFLAGS='-ggdb' --prefix=/opt/babelfish \
        --enable-debug \
        --with-ldap \
        --with-libxml \
        --with-pam \
        --with-uuid=ossp \
        --enable-nls \
        --with-libxslt \
        --with-icu \
        --with-openssl; \
    make -j"$(nproc)"; \
    make install
RUN set -eux; make -C contrib -j"$(nproc)"; \
    make -C contrib install

# ----------------------------------------------------------------------------
# anchor-extensions: for size comparison only. The extensions stage's steps on the anchor-engine stage, so
# they compile with its CFLAGS (PGXS takes them from pg_config), as docker-babelfishpg's do.
FROM anchor-engine AS anchor-extensions
COPY --from=antlr /opt/antlr-install/usr/local/ /usr/local/
COPY --from=sources /src/extensions /src/extensions
ENV PG_CONFIG=/opt/babelfish/bin/pg_config \
    PG_SRC=/src/engine \
    ANTLR4_JAVA_BIN=/usr/bin/java \
    ANTLR4_RUNTIME_INCLUDE_DIR=/usr/local/include/antlr4-runtime \
    ANTLR4_RUNTIME_LIB_DIR=/usr/local/lib
WORKDIR /src/extensions/contrib
# The server loads the ANTLR runtime from its own lib directory.
RUN set -eux; cp -a /usr/local/lib/libantlr4-runtime.so.4.13.2 /opt/babelfish/lib/
RUN set -eux; make -C babelfishpg_money -j"$(nproc)"; \
    make -C babelfishpg_money install
# -DENABLE_SPATIAL_TYPES: the geometry and geography types (their functions call PostGIS's library), as upstream CI
# builds babelfishpg_common and babelfishpg_tsql (distributions.ubuntu-22.04.spatialTypes).
RUN set -eux; PG_CPPFLAGS='-DENABLE_SPATIAL_TYPES' make -C babelfishpg_common -j"$(nproc)"; \
    PG_CPPFLAGS='-DENABLE_SPATIAL_TYPES' make -C babelfishpg_common install
RUN set -eux; make -C babelfishpg_tds -j"$(nproc)"; \
    make -C babelfishpg_tds install
# babelfishpg_tsql/antlr first: a parallel clean build of tsql races otherwise.
WORKDIR /src/extensions/contrib/babelfishpg_tsql/antlr
RUN set -eux; cmake -Wno-dev .; \
    make -j"$(nproc)" all
WORKDIR /src/extensions/contrib
# babelfishpg_tsql builds with -Werror; Ubuntu 22.04 LTS (jammy)'s compiler needs COPT=-Wno-error=maybe-uninitialized -fcommon -Wno-error=address
# (versions.json distributions.ubuntu-22.04.compilerFlags).
# Linked servers: -DENABLE_TDS_LIB and FreeTDS's libsybdb, as upstream CI builds babelfishpg_tsql
# (distributions.ubuntu-22.04.linkedServers; installed here so the stages above keep their cache).
RUN set -eux; apt-get update; \
    apt-get install --yes --no-install-recommends \
        freetds-dev; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*
RUN set -eux; PG_CPPFLAGS='-I/usr/include -DENABLE_TDS_LIB -DENABLE_SPATIAL_TYPES' SHLIB_LINK='-lsybdb' make -C babelfishpg_tsql -j"$(nproc)" cmake="$(command -v cmake)" ANTLR4_RUNTIME_INCLUDE_DIR=/usr/local/include/antlr4-runtime ANTLR4_RUNTIME_LIB_DIR=/usr/local/lib ANTLR4_JAVA_BIN=/usr/bin/java COPT='-Wno-error=maybe-uninitialized -fcommon -Wno-error=address'; \
    PG_CPPFLAGS='-I/usr/include -DENABLE_TDS_LIB -DENABLE_SPATIAL_TYPES' SHLIB_LINK='-lsybdb' make -C babelfishpg_tsql install cmake="$(command -v cmake)" ANTLR4_RUNTIME_INCLUDE_DIR=/usr/local/include/antlr4-runtime ANTLR4_RUNTIME_LIB_DIR=/usr/local/lib ANTLR4_JAVA_BIN=/usr/bin/java COPT='-Wno-error=maybe-uninitialized -fcommon -Wno-error=address'

# ----------------------------------------------------------------------------
# anchor-like: for size comparison only (bbf build --compare-anchor; never published). The same sources built and
# packaged the way docker-babelfishpg builds and packages them: the engine and extensions compiled with its flags
# (anchor-engine, anchor-extensions), the install tree as make install left it (headers, static libraries, PGXS,
# translations, debug information), its run-time package list (plus the libraries this build's PostGIS and linked
# servers load) installed with apt update and the package lists kept. pg_hint_plan, PostGIS and the ANTLR runtime
# are this build's own optimized ones (the anchor has no PostGIS or pg_hint_plan, and builds ANTLR without
# optimization): that makes the comparison conservative. No template cluster, entrypoint or locales.
FROM ${RUNTIME_IMAGE} AS anchor-like
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=anchor-extensions /opt/babelfish /opt/babelfish
COPY --from=pg-hint-plan /opt/pg-hint-plan-install/opt/babelfish/ /opt/babelfish/
COPY --from=postgis /opt/postgis-install/opt/babelfish/ /opt/babelfish/
# apt configured as in docker-babelfishpg's base (Ubuntu's container image): package lists kept gzip-compressed,
# no translations; without it the kept lists would count 84 MB instead of 19 (Debian 12 here).
# hadolint ignore=DL3009
RUN set -eux; printf '%s\n' 'Acquire::GzipIndexes "true";' 'Acquire::CompressionTypes::Order:: "gz";' 'Acquire::Languages "none";' > /etc/apt/apt.conf.d/docker-gzip-indexes; \
    apt-get update; \
    apt-get install --yes --no-install-recommends \
        gzip \
        libgeos-c1v5 \
        libicu70 \
        libjson-c5 \
        libldap-2.5-0 \
        liblzma5 \
        libossp-uuid16 \
        libpam0g \
        libpq5 \
        libproj22 \
        libreadline8 \
        libsasl2-2 \
        libssl3 \
        libstdc++6 \
        libsybdb5 \
        libxml2 \
        libxslt1.1 \
        openssl \
        unixodbc \
        uuid \
        xz-utils \
        zlib1g \
        zstd; \
    apt-get clean
RUN set -eux; groupadd --gid 999 postgres; \
    useradd --uid 999 --gid postgres --create-home --home-dir /var/lib/babelfish --shell /bin/bash postgres; \
    install -d -o postgres -g postgres /var/lib/babelfish/data; \
    /opt/babelfish/bin/postgres --version
USER 999:999

# ----------------------------------------------------------------------------
# runtime: the engine image, the default target (the last stage): engine-minimal (RUNTIME_FROM=minimal) or
# engine-distribution (RUNTIME_FROM=distribution, whose layers the pipeline image shares), and the revision label
# (metadata, no layer).
FROM engine-${RUNTIME_FROM} AS runtime
ARG SOURCE_REVISION=unknown
LABEL org.opencontainers.image.revision="${SOURCE_REVISION}"
