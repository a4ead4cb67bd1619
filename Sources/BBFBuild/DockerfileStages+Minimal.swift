/// The engine image without the distribution around it: `RUNTIME_FROM=minimal`,
/// the default. Its files are engine-runtime's engine, entrypoint, template and
/// locales, the shared libraries they load (their `ldd` closure, checked again
/// inside the new root), the data those libraries read, and a small toolbox for
/// debugging (bash, BusyBox) and for compressed init scripts (gzip, xz, zstd).
/// Left out: the package manager, perl, coreutils and the rest of the base
/// image, which is most of its size. `RUNTIME_FROM=distribution` is the engine
/// on the distribution's own image (engine-runtime), for images built on it
/// with `apt-get install`.
extension DockerfileRenderer {
    /// Where the minimal image's files are gathered (engine-rootfs stage).
    static let minimalRoot = "/rootfs"

    /// The build arguments' values for the engine image's runtime.
    public enum Runtime: String, CaseIterable, Sendable {
        /// The files that run, on no base image (the default).
        case minimal
        /// The engine on the distribution's image, with its package manager.
        case distribution
    }

    /// The programs the minimal image keeps besides the engine's own: bash (the
    /// postgres user's shell), the decompressors of compressed init scripts, GNU tar
    /// (`bbf dev save` runs `tar -I "gzip -1"` in the engine image; BusyBox's tar has no -I), and
    /// BusyBox (sh and the usual commands: ls, ps, cat, vi, ...; its applets are
    /// linked in /usr/bin where no kept program has the name).
    static let minimalPrograms = ["bash", "gzip", "xz", "zstd", "tar", "busybox"]

    /// BusyBox applets the minimal image does not link: package tools, which would pass
    /// for a package manager the image does not have.
    static let leftOutApplets = ["dpkg", "dpkg-deb", "rpm", "rpm2cpio"]

    /// Files and directories the minimal image keeps when the base has them:
    /// user and group names, the time zone, the loader's configuration, the distribution's
    /// name, and configuration the libraries read (OpenSSL, FreeTDS, LDAP).
    static let minimalSystemFiles = [
        "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/localtime", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/os-release",
        "/etc/debian_version", "/etc/ssl/openssl.cnf", "/usr/lib/ssl", "/etc/freetds", "/etc/ldap/ldap.conf", "/usr/lib/locale",
    ]

    /// glibc's iconv converters the minimal image keeps (of about 250, 8 MB): the ones glibc's own
    /// gconv-modules lists (the rest are in its gconv-modules-extra.conf) and SQL Server's code pages
    /// (437, 850, 874, 932, 936, 949, 950, 1250-1258), which FreeTDS converts from for linked servers.
    /// UTF-8 and UCS-2 are built into glibc. Modules a converter loads come along through ldd.
    static let iconvModules =
        ["ANSI_X3.110", "CP1252", "ISO8859-1", "ISO8859-15", "UNICODE", "UTF-16", "UTF-32", "UTF-7"]
        + ["IBM437", "IBM850", "IBM874", "CP932", "GBK", "UHC", "BIG5"] + (1250...1258).filter { $0 != 1252 }.map { "CP\($0)" }

    /// Links of the merged /usr (and /var/run's) that the new root keeps as links.
    static let minimalLinks = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/run"]

    func minimalRuntimeStages(_ writer: inout DockerfileWriter) {
        let prefix = ImageLayout.prefix
        let root = Self.minimalRoot
        writer.stage(
            "engine-rootfs: the minimal engine image's files, gathered from engine-runtime into \(root): the engine, the\nentrypoint, the template and the locales; the shared libraries they load (ldd), the data those read\n(\(spatialTypes ? "PROJ's database, " : "")iconv's Unicode and SQL Server code page converters); \(Self.minimalPrograms.joined(separator: ", ")); the postgres user and the\nimage's directories, as engine-runtime made them. Never published: engine-minimal copies \(root)."
        )
        writer.instruction("FROM engine-runtime AS engine-rootfs")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.comment("Root for the gathering (chroot, files of other owners); this stage is never published.\nhadolint ignore=DL3002")
        writer.instruction("USER 0:0")
        writer.comment(
            "BusyBox, the commands of a shell session in one binary (the C library only). Not busybox-static: its sh runs its\nown applets before PATH, so a script's xz would be BusyBox's, which only decompresses."
        )
        writer.run(aptInstall(["busybox"]))
        let data = spatialTypes ? ["/usr/share/proj"] : []
        let directories = [ImageLayout.home, ImageLayout.socketDirectory, ImageLayout.initScriptsDirectory, "/tmp"]
        writer.comment(
            "keep PATH...: each path at its real place (directories resolved through the merged-/usr links), and each\nsymbolic link followed hop by hop, so a library's soname link and its file both arrive. No pipes: a failure\nanywhere fails the step."
        )
        writer.run([
            "root=\(root)",
            "keep() { for f in \"$@\"; do while :; do d=\"$(readlink -f \"$(dirname \"$f\")\")\"; n=\"${f##*/}\"; mkdir -p \"$root$d\"; cp -a \"$d/$n\" \"$root$d/\"; [ -L \"$d/$n\" ] || break; t=\"$(readlink \"$d/$n\")\"; case \"$t\" in /*) f=\"$t\";; *) f=\"$d/$t\";; esac; done; done; }",
            "mkdir -p \"$root/var\"",
            "for link in \(Self.minimalLinks.joined(separator: " ")); do if [ -L \"$link\" ]; then cp -P \"$link\" \"$root$link\"; fi; done",
            "keep \(prefix) \(ImageLayout.entrypoint) \(directories.joined(separator: " "))",
            "for file in \((Self.minimalSystemFiles + data).joined(separator: " ")); do if [ -e \"$file\" ]; then keep \"$file\"; fi; done",
            "find \(prefix) \(ImageLayout.entrypoint) -type f \\( -name '*.so' -o -name '*.so.*' -o -perm -u+x \\) -exec ldd {} + > /tmp/ldd 2>&1 || true",
            "for gconv in /usr/lib/*/gconv; do for file in gconv-modules gconv-modules.d gconv-modules.cache; do if [ -e \"$gconv/$file\" ]; then keep \"$gconv/$file\"; fi; done; for module in \(Self.iconvModules.joined(separator: " ")); do keep \"$gconv/$module.so\"; ldd \"$gconv/$module.so\" >> /tmp/ldd 2>&1 || true; done; done",
            "for program in \(Self.minimalPrograms.joined(separator: " ")); do path=\"$(command -v \"$program\")\"; keep \"$path\"; ldd \"$path\" >> /tmp/ldd 2>&1 || true; done",
            "awk '$2 == \"=>\" && $3 ~ /^\\// && !seen[$3]++ { print $3 } $1 ~ /^\\// && $1 !~ /:$/ && !seen[$1]++ { print $1 }' /tmp/ldd > /tmp/libraries",
            "while read -r library; do keep \"$library\"; done < /tmp/libraries",
            "for applet in $(busybox --list); do case \"$applet\" in \(Self.leftOutApplets.joined(separator: "|"))) continue;; esac; if [ ! -e \"$root/usr/bin/$applet\" ] && [ ! -e \"$root/usr/sbin/$applet\" ]; then ln -s busybox \"$root/usr/bin/$applet\"; fi; done",
            "ldconfig -r \"$root\"",
            "rm /tmp/ldd /tmp/libraries",
        ])
        writer.comment(
            "The packages the kept files come from, in dpkg's status file, so image scanners still see their versions\n(dpkg records the paths before the /usr merge: each path is asked for in both forms; BusyBox's applet links are\nnot the packages whose commands they stand for), and their copyright files."
        )
        writer.run([
            "root=\(root)",
            "find \"$root\" \\( -type f -o -type l \\) ! -path \"$root\(prefix)/*\" > /tmp/found",
            "while read -r found; do if [ -L \"$found\" ] && [ \"$(readlink \"$found\")\" = busybox ]; then continue; fi; path=\"${found#\"$root\"}\"; echo \"$path\"; case \"$path\" in /usr/bin/*|/usr/sbin/*|/usr/lib/*|/usr/lib64/*) echo \"${path#/usr}\";; /bin/*|/sbin/*|/lib/*|/lib64/*) echo \"/usr$path\";; esac; done < /tmp/found > /tmp/paths",
            "xargs dpkg-query --search < /tmp/paths > /tmp/owners 2>&1 || true",
            "awk -F ': ' '!/^dpkg-query: / && !/^diversion by / { n = split($1, names, \", \"); for (i = 1; i <= n; i++) if (!seen[names[i]]++) print names[i] }' /tmp/owners > /tmp/packages",
            "mkdir -p \"$root/var/lib/dpkg\"",
            "xargs dpkg-query --status < /tmp/packages > \"$root/var/lib/dpkg/status\"",
            "while read -r package; do name=\"${package%%:*}\"; if [ -f \"/usr/share/doc/$name/copyright\" ]; then mkdir -p \"$root/usr/share/doc/$name\"; cp \"/usr/share/doc/$name/copyright\" \"$root/usr/share/doc/$name/\"; fi; done < /tmp/packages",
            "rm /tmp/found /tmp/paths /tmp/owners /tmp/packages",
        ])
        writer.comment(
            "The check, inside the new root: every executable and library finds what it loads there (the loader's\n--list), and the engine and the kept programs start."
        )
        writer.run([
            "root=\(root)",
            "ldd \(prefix)/bin/postgres > /tmp/postgres.ldd",
            "loader=\"$(awk '$1 ~ /^\\// { print $1 }' /tmp/postgres.ldd)\"",
            "find \"$root\" -type f \\( -name '*.so' -o -name '*.so.*' -o -perm -u+x \\) ! -path \"$root\(ImageLayout.templateDirectory)/*\" > /tmp/files",
            "while read -r file; do chroot \"$root\" \"$loader\" --list \"${file#\"$root\"}\" 2>&1 || true; done < /tmp/files > /tmp/report",
            "if grep -q 'not found' /tmp/report; then echo 'ERROR: the minimal image lacks libraries its files load; the loader says:' >&2; grep -B20 'not found' /tmp/report >&2; exit 1; fi",
            "rm /tmp/postgres.ldd /tmp/files /tmp/report",
            "chroot \"$root\" \(prefix)/bin/postgres --version",
            "chroot \"$root\" /bin/sh -c 'bash --version | head -n 1; gzip --version | head -n 1; xz --version | head -n 1; zstd --version; tar --version | head -n 1; ls -d /'",
            "test -x \"$root\(ImageLayout.entrypoint)\"",
            "du -sh \"$root\"",
        ])

        writer.stage(
            "engine-minimal: the engine image (RUNTIME_FROM=minimal, the default): engine-rootfs's files in one layer on\nno base image, and the configuration engine-runtime has. No package manager: build images that apt-get install\nmore on the distribution runtime (RUNTIME_FROM=distribution, bbf build --runtime distribution)."
        )
        writer.instruction("FROM scratch AS engine-minimal")
        writer.instruction("COPY --from=engine-rootfs \(root)/ /")
        engineEnvironment(&writer, path: "\(prefix)/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        engineConfiguration(&writer, runtime: .minimal)

        writer.stage(
            "engine-distribution: the engine on the distribution's own image (RUNTIME_FROM=distribution): engine-runtime,\nwith apt and everything else of the base image; the pipeline image's base."
        )
        writer.instruction("FROM engine-runtime AS engine-distribution")
    }
}
