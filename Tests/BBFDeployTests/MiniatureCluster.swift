import BBFSystem
import BBFTestSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a rendered CronJob's container the way a kubelet would, under the
/// real Docker engine: the plan's identity, restrictions, limits, tmpfs for
/// each emptyDir, the Secrets' and ConfigMaps' files written as the kubelet
/// writes them, the environment through a private env file (never on a
/// command line), no engine socket. The network is the host's: the test's
/// DEV, S3 and registry listen on 127.0.0.1 only (nothing here may talk to
/// other addresses), as a pod's peers are simply reachable on its network.
struct MiniatureCluster {
    let docker: DockerEngine
    let scratch: Scratch
    var state: ClusterState

    struct Run {
        var finished: Finished
        /// `docker inspect` of the finished container: HostConfig, Config.User, Mounts.
        var hostConfig: [String: Any]
        var user: String
        var mountSources: [String]
    }

    func run(_ job: CronJob, timeoutSeconds: Int = 900) throws -> Run {
        guard let container = job.pod.containers.first, job.pod.containers.count == 1, job.pod.initContainers == nil else {
            throw ManifestError("\(job.metadata.name): expected one container")
        }
        let plan = try PodRunPlanner.plan(pod: job.pod, container: container, cluster: state)
        let name = "bbf-k8s-\(job.metadata.name)-\(UInt32.random(in: 0...UInt32.max))"
        let directory = try scratch.sub(name, permissions: 0o700)
        let envFile = directory + "/env"
        try FileSystem.writeAtomically(envFile, try plan.envFileText(), permissions: 0o600)
        var volumeDirectories: [String: String] = [:]
        for mount in plan.mounts {
            guard case .files(let volume, _, let files, let group) = mount else { continue }
            let volumeDirectory = try scratch.sub("\(name)-\(volume)", permissions: 0o755)
            for file in files {
                let path = volumeDirectory + "/" + file.path
                try FileSystem.writeAtomically(path, file.contents, permissions: mode_t(file.mode))
                try FileSystem.changeOwner(path, user: 0, group: gid_t(group ?? 0))
                try FileSystem.changePermissions(path, mode_t(file.mode))
            }
            volumeDirectories[volume] = volumeDirectory
        }
        let arguments = try plan.dockerArguments(envFile: envFile, volumeDirectories: volumeDirectories, network: "host")
        let run = ["run", "--name", name, "--label", "bbf-test=deploy"] + arguments.dropFirst()
        defer { _ = try? docker.run(["rm", "-f", name]) }
        let finished = try docker.runToEnd(run, in: directory, timeoutSeconds: timeoutSeconds)
        let inspected = try docker.must(["inspect", "--format", "{{json .HostConfig}}\n{{.Config.User}}\n{{json .Mounts}}", name])
        let lines = inspected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3,
            let hostConfig = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any],
            let mounts = try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [[String: Any]]
        else { throw ManifestError("cannot read docker inspect of \(name): \(inspected)") }
        return Run(
            finished: finished, hostConfig: hostConfig, user: lines[1],
            mountSources: mounts.compactMap { $0["Source"] as? String } + ((hostConfig["Binds"] as? [String]) ?? []))
    }
}
