import BBFContainer
import Foundation
import Yams

/// The rules every rendered overlay must keep, each violation a sentence
/// naming the object and the field: the "restricted" Pod Security Standard
/// (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
/// version latest), and this deployment's own rules (read-only root, sized
/// work volumes, no Docker socket, Secrets only by reference, pinned images,
/// resources everywhere, CronJob safety settings, settings wired through).
enum DeploymentPolicy {
    static let allowedVolumeTypes: Set<String> = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    ]
    /// A variable or key name that says it holds a secret.
    static func isSecretLike(_ name: String) -> Bool {
        name.range(
            of: "(PASSWORD|PASSWD|SECRET|TOKEN|ACCESS_KEY_ID|SECRET_ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$",
            options: [.regularExpression, .caseInsensitive]) != nil
    }

    static func violations(in manifests: RenderedManifests) throws -> [String] {
        var found: [String] = []
        let settings = try manifests.settings()
        let values = settings.data ?? [:]
        let serviceAccounts = Dictionary(try manifests.serviceAccounts.map { ($0.metadata.name, $0) }) { first, _ in first }

        for object in manifests.objects {
            if object.kind == "Secret" { found.append("\(object.label): Secrets are created out of band, never rendered with values") }
            for (path, value) in object.node.scalars() where value.contains("docker.sock") || value.contains("containerd.sock") {
                found.append("\(object.label) \(path): no container engine socket")
            }
        }
        for key in values.keys.sorted() where isSecretLike(key) {
            found.append("ConfigMap/\(settings.metadata.name) \(key): a secret belongs in a Secret, referenced")
        }

        var accountsUsed: [String: String] = [:]
        for object in manifests.all("CronJob") {
            let job = try object.decode(CronJob.self)
            let name = "CronJob/\(job.metadata.name)"
            found += cronJobRules(job, name: name)
            found += podRules(job.pod, node: object.node, name: name)
            if let account = job.pod.serviceAccountName {
                if let other = accountsUsed[account] { found.append("\(name): shares ServiceAccount \(account) with \(other)") }
                accountsUsed[account] = name
                if let serviceAccount = serviceAccounts[account] {
                    let role = serviceAccount.metadata.annotations?["eks.amazonaws.com/role-arn"] ?? ""
                    if role.range(of: #"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"#, options: .regularExpression) == nil {
                        found.append("ServiceAccount/\(account): eks.amazonaws.com/role-arn \(role) is not an IAM role ARN")
                    }
                    if serviceAccount.automountServiceAccountToken != false {
                        found.append("ServiceAccount/\(account): automountServiceAccountToken must be false")
                    }
                } else {
                    found.append("\(name): ServiceAccount \(account) is not among the rendered objects")
                }
            }
            for container in job.pod.allContainers {
                found += argumentRules(container, name: "\(name) container \(container.name)")
            }
        }
        found += wiringRules(manifests, values: values)
        return found
    }

    static func cronJobRules(_ job: CronJob, name: String) -> [String] {
        var found: [String] = []
        let spec = job.spec
        let jobSpec = spec.jobTemplate.spec
        if spec.concurrencyPolicy != "Forbid" { found.append("\(name): concurrencyPolicy must be Forbid") }
        if (spec.startingDeadlineSeconds ?? 0) <= 0 { found.append("\(name): startingDeadlineSeconds must be set") }
        if spec.successfulJobsHistoryLimit == nil || spec.failedJobsHistoryLimit == nil {
            found.append("\(name): history limits must be set")
        }
        if (spec.timeZone ?? "").isEmpty { found.append("\(name): timeZone must be set") }
        if spec.schedule.split(separator: " ").count != 5 { found.append("\(name): schedule \(spec.schedule) is not five cron fields") }
        if jobSpec.backoffLimit == nil { found.append("\(name): backoffLimit must be set") }
        if (jobSpec.activeDeadlineSeconds ?? 0) <= 0 { found.append("\(name): activeDeadlineSeconds must be set") }
        if (jobSpec.ttlSecondsAfterFinished ?? 0) <= 0 { found.append("\(name): ttlSecondsAfterFinished must be set") }
        if let policy = job.pod.restartPolicy, policy == "Always" { found.append("\(name): a Job's pods cannot restartPolicy Always") }
        return found
    }

    static func podRules(_ pod: PodSpec, node: Node, name: String) -> [String] {
        var found: [String] = []
        if pod.hostNetwork == true || pod.hostPID == true || pod.hostIPC == true { found.append("\(name): no host namespaces") }
        if pod.automountServiceAccountToken != false { found.append("\(name): automountServiceAccountToken must be false") }
        if pod.serviceAccountName == nil { found.append("\(name): serviceAccountName must be set (one per job)") }
        let podSecurity = pod.securityContext
        if let type = podSecurity?.seccompProfile?.type, type != "RuntimeDefault" && type != "Localhost" {
            found.append("\(name): pod seccompProfile \(type) is not allowed")
        }
        let volumesNode = node["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]?["volumes"]?.sequence ?? []
        for volumeNode in volumesNode {
            let volumeName = volumeNode["name"]?.string ?? "?"
            for key in volumeNode.mapping?.keys.compactMap(\.string) ?? [] where key != "name" && !allowedVolumeTypes.contains(key) {
                found.append("\(name) volume \(volumeName): \(key) volumes are not allowed (restricted)")
            }
            if let emptyDir = volumeNode["emptyDir"], emptyDir["sizeLimit"] == nil {
                found.append("\(name) volume \(volumeName): emptyDir needs a sizeLimit")
            }
        }
        for container in pod.allContainers {
            let subject = "\(name) container \(container.name)"
            let security = container.securityContext
            if (security?.runAsNonRoot ?? podSecurity?.runAsNonRoot) != true { found.append("\(subject): runAsNonRoot must be true") }
            let user = security?.runAsUser ?? podSecurity?.runAsUser
            if user == nil || user == 0 { found.append("\(subject): runAsUser must be a fixed non-root uid") }
            let seccomp = security?.seccompProfile?.type ?? podSecurity?.seccompProfile?.type
            if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
                found.append("\(subject): seccompProfile must be RuntimeDefault or Localhost")
            }
            if security?.allowPrivilegeEscalation != false { found.append("\(subject): allowPrivilegeEscalation must be false") }
            if security?.privileged == true { found.append("\(subject): privileged") }
            if !(security?.capabilities?.drop ?? []).contains("ALL") { found.append("\(subject): capabilities must drop ALL") }
            for added in security?.capabilities?.add ?? [] where added != "NET_BIND_SERVICE" {
                found.append("\(subject): capability \(added) may not be added")
            }
            if security?.readOnlyRootFilesystem != true { found.append("\(subject): readOnlyRootFilesystem must be true") }
            for port in container.ports ?? [] where port.hostPort != nil { found.append("\(subject): no hostPort") }
            found += imageRules(container, name: subject)
            found += resourceRules(container, name: subject)
            for variable in container.env ?? [] where variable.value != nil && isSecretLike(variable.name) {
                found.append("\(subject): \(variable.name) has an inline value; reference a Secret (secretKeyRef)")
            }
            for variable in container.env ?? [] where variable.valueFrom?.configMapKeyRef != nil && isSecretLike(variable.name) {
                found.append("\(subject): \(variable.name) comes from a ConfigMap; reference a Secret (secretKeyRef)")
            }
        }
        return found
    }

    static func imageRules(_ container: Container, name: String) -> [String] {
        guard let parts = ImageReferenceSyntax.parts(container.image) else {
            return ["\(name): image \(container.image) is not a reference"]
        }
        var found: [String] = []
        if parts.tag == nil && parts.digest == nil { found.append("\(name): image \(container.image) has no tag (it means latest)") }
        if parts.tag == "latest" { found.append("\(name): image \(container.image) is :latest; pin a version") }
        if container.imagePullPolicy == nil { found.append("\(name): imagePullPolicy must be set") }
        return found
    }

    static func resourceRules(_ container: Container, name: String) -> [String] {
        var found: [String] = []
        let requests = container.resources?.requests ?? [:]
        let limits = container.resources?.limits ?? [:]
        for resource in ["cpu", "memory"] {
            if requests[resource] == nil { found.append("\(name): resources.requests.\(resource) must be set") }
            if limits[resource] == nil { found.append("\(name): resources.limits.\(resource) must be set") }
        }
        if requests["ephemeral-storage"] == nil { found.append("\(name): resources.requests.ephemeral-storage must be set (work volumes)") }
        return found
    }

    /// Image references on the command line: the engine image pinned; only
    /// a `--tag`'s `latest` (the intended moving tag) may be latest.
    static func argumentRules(_ container: Container, name: String) -> [String] {
        let arguments = (container.command ?? []) + (container.args ?? [])
        var found: [String] = []
        for (index, argument) in arguments.enumerated() where argument == "--base-image" && index + 1 < arguments.count {
            let value = arguments[index + 1]
            if value.hasSuffix(":latest") { found.append("\(name): --base-image \(value) must be pinned, not latest") }
        }
        for argument in arguments where argument.lowercased().contains("password=") {
            found.append("\(name): an argument carries a password")
        }
        return found
    }

    /// The settings reach the objects: schedules, time zone, role ARNs; and
    /// the bake runs no more restore jobs than it has cores.
    static func wiringRules(_ manifests: RenderedManifests, values: [String: String]) -> [String] {
        var found: [String] = []
        let wiring: [(job: String, scheduleKey: String, accountKey: String)] = [
            ("bbf-backup", "BACKUP_SCHEDULE", "BACKUP_ROLE_ARN"), ("bbf-bake", "BAKE_SCHEDULE", "BAKE_ROLE_ARN"),
        ]
        for (jobName, scheduleKey, roleKey) in wiring {
            guard let job = try? manifests.cronJob(jobName) else {
                found.append("CronJob/\(jobName) is missing")
                continue
            }
            if job.spec.schedule != values[scheduleKey] { found.append("CronJob/\(jobName): schedule is not settings \(scheduleKey)") }
            if job.spec.timeZone != values["TIME_ZONE"] { found.append("CronJob/\(jobName): timeZone is not settings TIME_ZONE") }
            let account = (try? manifests.serviceAccounts)?.first { $0.metadata.name == job.pod.serviceAccountName }
            if account?.metadata.annotations?["eks.amazonaws.com/role-arn"] != values[roleKey] {
                found.append("ServiceAccount of \(jobName): role ARN is not settings \(roleKey)")
            }
        }
        if let bake = try? manifests.cronJob("bbf-bake"), let container = bake.pod.containers.first,
            let limit = container.resources?.limits?["cpu"].flatMap({ try? Quantity.cores($0) }),
            let jobs = values["BBF_BAKE_JOBS"].flatMap({ Double($0) }), jobs > limit.rounded(.up)
        {
            found.append("CronJob/bbf-bake: BBF_BAKE_JOBS \(Int(jobs)) is more than its \(limit) CPU limit (slower, not faster)")
        }
        if let compression = values["BBF_BAKE_LAYER_COMPRESSION"], !["gzip", "zstd"].contains(compression) {
            found.append("settings BBF_BAKE_LAYER_COMPRESSION \(compression): give gzip or zstd")
        }
        return found
    }
}
