import BBFTestSupport
import Testing
import Yams

@Suite("A rendered CronJob's container as a kubelet starts it, and the docker run that reproduces it")
struct PodRunTests {
    @Test("$(VAR) expansion follows Kubernetes: defined names replaced, undefined kept, $$ escapes, a lone $ stays")
    func expansion() {
        let variables = ["A": "1", "B": "two words", "EMPTY": ""]
        #expect(PodRunPlanner.expand("$(A)", variables) == "1")
        #expect(PodRunPlanner.expand("x$(A)y$(B)", variables) == "x1ytwo words")
        #expect(PodRunPlanner.expand("$(MISSING)", variables) == "$(MISSING)")
        #expect(PodRunPlanner.expand("$$(A)", variables) == "$(A)")
        #expect(PodRunPlanner.expand("cost $5 and $", variables) == "cost $5 and $")
        #expect(PodRunPlanner.expand("$(A", variables) == "$(A")
        #expect(PodRunPlanner.expand("[$(EMPTY)]", variables) == "[]")
    }

    @Test("Quantities: binary and decimal suffixes, millicores")
    func quantities() throws {
        #expect(try Quantity.bytes("256Mi") == 268_435_456)
        #expect(try Quantity.bytes("12Gi") == 12 * 1_073_741_824)
        #expect(try Quantity.bytes("1G") == 1_000_000_000)
        #expect(try Quantity.cores("500m") == 0.5)
        #expect(try Quantity.cores("2") == 2)
        #expect(throws: ManifestError.self) { try Quantity.bytes("lots") }
    }

    static let cluster = ClusterState(
        configMaps: [:],
        secrets: [
            "bbf-dev-db": ["password": "dev-pass"], "bbf-aws-credentials": ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"],
            "bbf-login-passwords": ["passwords": "*=Local-1\n"], "bbf-registry-auth": [".dockerconfigjson": #"{"auths":{}}"#],
        ])

    func localCluster() throws -> (RenderedManifests, ClusterState) {
        let manifests = try skippingIfMissing { try RenderedManifests(yaml: try Deployment.renderOverlay("local")) }
        var cluster = Self.cluster
        let settings = try manifests.settings()
        cluster.configMaps[settings.metadata.name] = settings.data ?? [:]
        return (manifests, cluster)
    }

    @Test("The backup: bbf backup with the settings' values, PGPASSWORD from its Secret, no CA bundle when none is configured")
    func backupPlan() throws {
        let (manifests, cluster) = try localCluster()
        let job = try manifests.cronJob("bbf-backup")
        let plan = try PodRunPlanner.plan(pod: job.pod, container: try #require(job.pod.containers.first), cluster: cluster)
        #expect(plan.entrypoint == "/usr/local/bin/bbf")
        #expect(
            plan.arguments == [
                "backup", "--to", "s3://bbf-dev-dumps/babelfish/", "--database", "babelfish_db", "--keep", "3", "--work-dir", "/work",
            ])
        let environment = Dictionary(plan.environment.map { ($0.name, $0.value) }) { $1 }
        #expect(environment["PGPASSWORD"] == "dev-pass")
        #expect(environment["PGHOST"] == "127.0.0.1" && environment["PGSSLMODE"] == "disable")
        #expect(environment["PGSSLROOTCERT"] == nil, "an optional key that is absent sets nothing")
        #expect(environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000" && environment["AWS_SECRET_ACCESS_KEY"] == "key")
        #expect(environment["HOME"] == "/work" && environment["TMPDIR"] == "/work/tmp")
        #expect(plan.user == 999 && plan.group == 999 && plan.supplementaryGroups == [999])
        #expect(plan.mounts.contains(.emptyDir(volume: "work", path: "/work", sizeBytes: try Quantity.bytes("4Gi"))))
        #expect(
            plan.mounts.contains(.files(volume: "dev-db-ca", path: "/certs", files: [], group: 999)),
            "an absent optional ConfigMap is an empty directory")

        let arguments = try plan.dockerArguments(envFile: "/e", volumeDirectories: ["dev-db-ca": "/host/ca"], network: "host")
        for expected in [
            ["--user", "999:999"], ["--group-add", "999"], ["--read-only"], ["--security-opt", "no-new-privileges"], ["--cap-drop", "ALL"],
            ["--env-file", "/e"], ["--network", "host"], ["--pull", "missing"], ["--entrypoint", "/usr/local/bin/bbf"],
            ["--mount", "type=bind,source=/host/ca,destination=/certs,readonly"],
        ] {
            #expect(arguments.contains(subsequence: expected), "\(expected) in \(arguments)")
        }
        #expect(!arguments.contains("--privileged") && !arguments.joined().contains("docker.sock"))
        #expect(!arguments.joined(separator: " ").contains("dev-pass"), "secrets go through the env file, never the command line")
        let imageIndex = try #require(arguments.firstIndex(of: "babelfish-dev-pipeline:4.2"))
        #expect(Array(arguments[(imageIndex + 1)...]) == plan.arguments)
    }

    @Test("The bake: files of its Secrets as the kubelet writes them (root:fsGroup, 0440), the tmpfs caps, the limits")
    func bakePlan() throws {
        let (manifests, cluster) = try localCluster()
        let job = try manifests.cronJob("bbf-bake")
        let plan = try PodRunPlanner.plan(pod: job.pod, container: try #require(job.pod.containers.first), cluster: cluster)
        #expect(plan.arguments.contains(subsequence: ["--dated-tag", "127.0.0.1:5000/babelfish-dev-data"]))
        #expect(plan.arguments.contains(subsequence: ["--base-image", "127.0.0.1:5000/babelfish-dev:4.2"]))
        #expect(plan.arguments.contains(subsequence: ["--password-source", "the bbf-login-passwords Secret (tests)"]))
        #expect(plan.arguments.contains(subsequence: ["--jobs", "2"]))
        #expect(
            plan.mounts.contains(
                .files(
                    volume: "login-passwords", path: "/secrets/logins",
                    files: [ProjectedFile(path: "passwords", contents: "*=Local-1\n", mode: 0o440)],
                    group: 999)))
        #expect(
            plan.mounts.contains(
                .files(
                    volume: "registry-auth", path: "/secrets/registry",
                    files: [ProjectedFile(path: "config.json", contents: #"{"auths":{}}"#, mode: 0o440)], group: 999)))
        #expect(plan.mounts.contains(.emptyDir(volume: "shm", path: "/dev/shm", sizeBytes: 268_435_456)))
        #expect(plan.memoryLimitBytes == 3 * 1_073_741_824 && plan.cpuLimit == 2)
    }

    @Test("A missing Secret or key stops the pod as the kubelet would; an optional one is skipped")
    func missingReferences() throws {
        let (manifests, cluster) = try localCluster()
        let job = try manifests.cronJob("bbf-backup")
        let container = try #require(job.pod.containers.first)
        var withoutSecret = cluster
        withoutSecret.secrets["bbf-dev-db"] = nil
        #expect(throws: ManifestError.self) { try PodRunPlanner.plan(pod: job.pod, container: container, cluster: withoutSecret) }
        var withoutKey = cluster
        withoutKey.secrets["bbf-dev-db"] = ["pass": "x"]
        #expect(throws: ManifestError.self) { try PodRunPlanner.plan(pod: job.pod, container: container, cluster: withoutKey) }
        let bake = try manifests.cronJob("bbf-bake")
        var withoutPasswords = cluster
        withoutPasswords.secrets["bbf-login-passwords"] = nil
        #expect(throws: ManifestError.self) {
            try PodRunPlanner.plan(pod: bake.pod, container: try #require(bake.pod.containers.first), cluster: withoutPasswords)
        }
    }

    @Test("A value refers to the variables before it; a later definition wins")
    func environmentOrder() throws {
        let container = try YAMLContainer.decode(
            """
            name: c
            image: x:1
            env:
              - {name: A, value: one}
              - {name: B, value: "$(A)-$(C)"}
              - {name: C, value: three}
              - {name: A, value: again}
            """)
        let resolved = try PodRunPlanner.resolveEnvironment(container, cluster: ClusterState())
        #expect(resolved.map { "\($0.name)=\($0.value)" } == ["A=again", "B=one-$(C)", "C=three"])
    }
}

enum YAMLContainer {
    static func decode(_ yaml: String) throws -> Container {
        try YAMLDecoder().decode(Container.self, from: yaml)
    }
}

extension Array where Element: Equatable {
    func contains(subsequence: [Element]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return subsequence.isEmpty }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}
