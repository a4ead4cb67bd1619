import BBFContainer
import BBFProcess
import Foundation

/// Registry credentials for Amazon ECR from the AWS credential chain (IAM
/// roles for service accounts in Kubernetes): `aws ecr get-login-password`,
/// written to a private auth file for skopeo, never onto a command line.
public enum ECRLogin {
    /// `123456789012.dkr.ecr.eu-west-1.amazonaws.com` → `eu-west-1`. Pure.
    public static func region(ofHost host: String) -> String? {
        let parts = host.split(separator: ".")
        guard parts.count >= 6, parts[1] == "dkr", parts[2] == "ecr",
            host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn")
        else { return nil }
        return String(parts[3])
    }

    /// auth.json for every ECR host among `references`; returns its path.
    static func authFile(for references: [String], in directory: String, environment: [String: String]) throws(PipelineError) -> String {
        let hosts = Set(references.compactMap { ImageReferenceSyntax.parts($0)?.host }.filter { region(ofHost: $0) != nil })
        guard !hosts.isEmpty else {
            throw PipelineError(
                .invalidArgument, "--ecr-login, but no tag or base image is in an ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com)")
        }
        let aws = try AWSCLI(environment: environment)
        var auths: [String: [String: String]] = [:]
        for host in hosts.sorted() {
            guard let region = region(ofHost: host) else { continue }
            let result: ToolResult
            do {
                result = try ToolProcess.run(
                    aws.executable, ["ecr", "get-login-password", "--region", region], environment: aws.environment)
            } catch {
                throw PipelineError(.tool, "cannot run aws ecr get-login-password: \(error)")
            }
            guard result.succeeded else {
                throw PipelineError(
                    .registry,
                    "aws ecr get-login-password --region \(region) failed: "
                        + AWSCLI.explain(result.errorTail(lines: 4), bucket: host, endpoint: nil)
                        + " The role needs ecr:GetAuthorizationToken.")
            }
            let token = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            auths[host] = ["auth": Data("AWS:\(token)".utf8).base64EncodedString()]
        }
        let path = directory + "/registry-auth.json"
        do {
            let data = try JSONSerialization.data(withJSONObject: ["auths": auths], options: [.sortedKeys])
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw PipelineError(.fileSystem, "cannot create \(path)")
            }
        } catch {
            throw PipelineError(.fileSystem, "cannot write \(path): \(error)")
        }
        return path
    }
}
