import Foundation

/// How many cores this process may really use: the online processors, capped
/// by a cgroup CPU quota (a Kubernetes CPU limit), so `-j` is not oversized.
public enum Cores {
    public static func available() -> Int {
        let online = ProcessInfo.processInfo.activeProcessorCount
        let quota = (try? String(contentsOfFile: "/sys/fs/cgroup/cpu.max", encoding: .utf8)).flatMap(cgroupLimit(cpuMax:))
        return max(1, min(online, quota ?? online))
    }

    /// `cpu.max` (cgroup v2): "max 100000" → nil; "150000 100000" → 2. Pure.
    public static func cgroupLimit(cpuMax text: String) -> Int? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count >= 2, let quota = Double(parts[0]), let period = Double(parts[1]), period > 0 else { return nil }
        return max(1, Int((quota / period).rounded(.up)))
    }
}
