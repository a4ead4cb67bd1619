/// Amazon ECR registry hosts: `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]`. Pure.
public enum ECRRegistry {
    public struct Host: Equatable, Sendable {
        public var account: String
        public var region: String
        public var host: String
    }

    public static func parse(_ host: String) -> Host? {
        let parts = host.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 6, parts[1] == "dkr", parts[2].hasPrefix("ecr"), parts[4] == "amazonaws",
            parts.count == 6 ? parts[5] == "com" : (parts.count == 7 && parts[5] == "com" && parts[6] == "cn"),
            parts[0].count == 12, parts[0].allSatisfy(\.isNumber), regionProblem(parts[3]) == nil
        else { return nil }
        return Host(account: parts[0], region: parts[3], host: host.lowercased())
    }
}
