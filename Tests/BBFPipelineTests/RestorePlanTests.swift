import BBFPipeline
import Foundation
import Testing

@Suite("The bake's pure decisions")
struct RestorePlanTests {
    @Test("\\restrict and \\unrestrict go; everything else stays")
    func restrict() {
        let text = "\\restrict abc123\nSET x = 1;\n  \\unrestrict abc123\nCREATE ROLE \"app\";\n"
        let (out, removed) = RolesScript.strippingRestrict(text)
        #expect(removed == 2)
        #expect(out == "SET x = 1;\nCREATE ROLE \"app\";\n")
    }

    @Test("Created roles are read quoted or bare; existing ones are skipped, their ALTER ROLE kept")
    func createdRoles() {
        let text = "CREATE ROLE \"app_login\";\nALTER ROLE \"app_login\" WITH LOGIN;\nCREATE ROLE postgres;\nCREATE ROLE \"we\"\"ird\";\n"
        #expect(RolesScript.createdRoles(text) == ["app_login", "postgres", "we\"ird"])
        let (out, skipped) = RolesScript.skippingExisting(text, existing: ["postgres"])
        #expect(skipped == ["postgres"])
        #expect(!out.contains("CREATE ROLE postgres;") && out.contains("ALTER ROLE \"app_login\""))
    }

    @Test("Roles referenced by grants, revokes, owners and schema authorizations are found; Aurora's become placeholders")
    func references() {
        let sql = """
            ALTER TABLE "sales_dbo"."orders" OWNER TO "sales_db_owner";
            GRANT SELECT ON TABLE "sales_dbo"."orders" TO "rds_superuser";
            GRANT ALL ON SCHEMA "sales_dbo" TO "sales_dbo", "rdsadmin";
            REVOKE ALL ON TABLE "sales_dbo"."orders" FROM PUBLIC;
            CREATE SCHEMA "hr_dbo" AUTHORIZATION "hr_dbo";
            COMMENT ON TABLE x IS 'GRANT nothing TO nobody';
            """
        let referenced = SQLNames.referencedRoles(inSchemaSQL: sql)
        #expect(referenced == ["sales_db_owner", "rds_superuser", "sales_dbo", "rdsadmin", "hr_dbo"])
        #expect(
            AuroraRoles.placeholders(referenced: referenced, existing: ["sales_dbo", "hr_dbo", "sales_db_owner"]) == [
                "rds_superuser", "rdsadmin",
            ])
    }

    @Test("pg_restore errors are collected with their commands, and an allow-list filters them")
    func restoreErrors() {
        let stderr = """
            pg_restore: creating TABLE "x"
            pg_restore: error: could not execute query: ERROR:  role "rds_iam" does not exist
            Command was: GRANT "rds_iam" TO "app";
            pg_restore: error: could not execute query: ERROR:  extension "aws_s3" is not available
            pg_restore: warning: errors ignored on restore: 2
            """
        let errors = RestoreErrors.parse(stderr)
        #expect(errors.count == 2)
        #expect(errors[0].contains("rds_iam") && errors[0].contains("Command was: GRANT"))
        #expect(RestoreErrors.unallowed(errors, allow: ["extension \"aws_s3\""]).count == 1)
        #expect(RestoreErrors.unallowed(errors, allow: ["rds_iam", "aws_s3"]).isEmpty)
    }

    @Test("A password file holds one password, or login=password lines with a * default")
    func passwords() throws {
        let one = try LoginPasswords.parse("# team password\nShared-1\n", file: "f")
        #expect(one.password(for: "anyone") == "Shared-1")
        let lines = try LoginPasswords.parse("app_login=App-1\n*=Default-1\nPostgres=Pg=with=equals\n", file: "f")
        #expect(lines.password(for: "APP_LOGIN") == "App-1")
        #expect(lines.password(for: "postgres") == "Pg=with=equals")
        #expect(lines.password(for: "other") == "Default-1")
        let strict = try LoginPasswords.parse("a=1\nb=2\n", file: "f")
        #expect(strict.missing(for: ["a", "c"]) == ["c"])
        let error = try #require(throws: PipelineError.self) { try LoginPasswords.parse("a=1\nnot a pair\n", file: "pw.txt") }
        #expect(error.message.contains("pw.txt line 2"))
        #expect(throws: PipelineError.self) { try LoginPasswords.parse("\n# nothing\n", file: "f") }
    }

    @Test("Dated tags are pushed before moving ones")
    func tagOrder() {
        #expect(
            TagOrder.ordered(["r/db:latest", "r/db:2026-12-01", "127.0.0.1:5000/db", "r/db:snapshot-7"])
                == ["r/db:2026-12-01", "r/db:snapshot-7", "r/db:latest", "127.0.0.1:5000/db"])
    }

    func manifest(server: String = "16.3", babelfish: String? = "4.2.0") -> BackupManifest {
        BackupManifest(
            createdAt: "2026-12-01T00:00:00Z", tool: .init(name: "bbf", version: "0", dump: "", dumpall: ""),
            source: .init(host: "dev.cluster", port: "5432", database: "babelfish_db", user: "admin"),
            server: .init(versionNumber: 160003, version: server, versionString: ""),
            babelfish: babelfish.map {
                .init(
                    version: $0, extensions: [:], migrationMode: "multi-db", serverCollation: "sql_latin1_general_cp1_ci_as",
                    initializeLogin: "dev_admin", databases: [], logins: ["app_login"])
            }, tables: [], members: [])
    }

    @Test("Another minor, another Babelfish, plain vs Babelfish, or a base image of another line: refused with the fix")
    func compatibility() throws {
        let engine = EngineFacts(postgresVersion: "16.3", babelfishVersion: "4.2.0")
        try Compatibility.check(
            manifest(), archive: "a", engine: engine, baseLabels: ["babelfish-dev.postgresql.version": "16.3"], baseName: "b")
        let minor = try #require(throws: PipelineError.self) {
            try Compatibility.check(manifest(server: "16.4"), archive: "a.tar.gz", engine: engine, baseLabels: nil, baseName: "b")
        }
        #expect(minor.message.contains("refusing a.tar.gz: it was dumped from PostgreSQL 16.4, but this engine is PostgreSQL 16.3"))
        let babelfish = try #require(throws: PipelineError.self) {
            try Compatibility.check(manifest(babelfish: "4.3.0"), archive: "a", engine: engine, baseLabels: nil, baseName: "b")
        }
        #expect(babelfish.message.contains("Babelfish 4.3.0"))
        #expect(throws: PipelineError.self) {
            try Compatibility.check(manifest(babelfish: nil), archive: "a", engine: engine, baseLabels: nil, baseName: "b")
        }
        let base = try #require(throws: PipelineError.self) {
            try Compatibility.check(
                manifest(), archive: "a", engine: engine, baseLabels: ["babelfish-dev.postgresql.version": "17.5"], baseName: "eng:5.2")
        }
        #expect(base.message.contains("the base image eng:5.2 is PostgreSQL 17.5"))
    }

    @Test("Engine facts come from pg_config and the control file")
    func engineFacts() {
        #expect(EngineFacts.version(fromPgConfig: "PostgreSQL 16.3\n") == "16.3")
        #expect(EngineFacts.defaultVersion(inControlFile: "comment = 'x'\ndefault_version = '4.2.0'\n") == "4.2.0")
    }

    @Test("The image's labels name the snapshot, the base and where passwords come from — never a password")
    func labels() {
        let record = ArchiveRecord(archive: "bbf-backup-20261201T000000Z.tar.gz", size: 1, sha256: "abc", manifest: manifest())
        let labels = SnapshotLabels.make(
            record: record, bakedAt: "2026-12-02T00:00:00Z", baseDigest: "sha256:base", baseImage: "reg/engine:4.2",
            passwordSource: "vault: dev-db", tool: "bbf 0")
        #expect(labels[SnapshotLabels.archive] == "bbf-backup-20261201T000000Z.tar.gz")
        #expect(labels[SnapshotLabels.sha256] == "abc")
        #expect(labels[SnapshotLabels.baseDigest] == "sha256:base")
        #expect(labels[SnapshotLabels.baseImage] == "reg/engine:4.2")
        #expect(labels[SnapshotLabels.passwords] == "vault: dev-db")
        #expect(labels[SnapshotLabels.initializeLogin] == "dev_admin")
        #expect(labels[SnapshotLabels.logins] == "dev_admin,app_login")
        #expect(labels.keys.allSatisfy { $0.hasPrefix("babelfish-dev.") || $0.hasPrefix("org.opencontainers.") }, "\(labels.keys.sorted())")
    }
}

@Suite("ECR registries")
struct ECRTests {
    @Test("An ECR host names its region; other hosts are not ECR")
    func region() {
        #expect(ECRLogin.region(ofHost: "123456789012.dkr.ecr.eu-west-1.amazonaws.com") == "eu-west-1")
        #expect(ECRLogin.region(ofHost: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn") == "cn-north-1")
        #expect(ECRLogin.region(ofHost: "ghcr.io") == nil)
        #expect(ECRLogin.region(ofHost: "127.0.0.1:5000") == nil)
    }
}

@Suite("Cores")
struct CoresTests {
    @Test("A cgroup CPU quota caps the restore's parallelism")
    func quota() {
        #expect(Cores.cgroupLimit(cpuMax: "max 100000\n") == nil)
        #expect(Cores.cgroupLimit(cpuMax: "150000 100000\n") == 2)
        #expect(Cores.cgroupLimit(cpuMax: "50000 100000") == 1)
        #expect(Cores.available() >= 1)
    }
}
