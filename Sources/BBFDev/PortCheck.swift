import BBFContainer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Host ports `up` is about to publish: checked before anything is created,
/// so a taken port is an error naming the port and the flag, not a
/// container stuck in "created".
public enum PortCheck {
    /// A host port and what it is for.
    public struct Wanted: Equatable, Sendable {
        public var port: ContainerSpec.Port
        /// The setting's key ("port", "pgPort").
        public var key: String
        public var what: String

        public init(port: ContainerSpec.Port, key: String, what: String) {
            self.port = port
            self.key = key
            self.what = what
        }
    }

    public enum Probe: Equatable, Sendable {
        case free
        case inUse
        /// Binding needs privileges (ports below 1024 for a normal user).
        case denied
        /// The address is not one of this machine's (a remote engine): not checkable here.
        case notLocal
        case other(String)
    }

    /// The ports to probe: those the instance's own running container holds
    /// are released when it is replaced, so they do not count. Pure.
    public static func toCheck(_ wanted: [Wanted], heldByInstance: [ContainerInspection.PortBinding]) -> [Wanted] {
        wanted.filter { item in !heldByInstance.contains { $0.hostPort == item.port.hostPort } }
    }

    /// The error for the ports found taken, or nil. Pure.
    public static func problem(
        _ taken: [(Wanted, Probe)], settings: DevSettings, holders: [Int: String] = [:]
    ) -> DevError? {
        var lines: [String] = []
        for (item, probe) in taken {
            let address = "\(item.port.hostAddress):\(item.port.hostPort)"
            let change = settings.howToChange(item.key)
            switch probe {
            case .inUse:
                let holder = holders[item.port.hostPort].map { " by the container \($0)" } ?? " by another program"
                lines.append(
                    "host port \(item.port.hostPort) (\(item.what), \(address)) is already in use\(holder): choose another one (\(change))."
                )
            case .denied:
                lines.append(
                    "host port \(item.port.hostPort) (\(item.what)) needs privileges to publish: choose a port above 1023 (\(change)).")
            case .other(let reason):
                lines.append("host port \(item.port.hostPort) (\(item.what)) cannot be used (\(reason)): choose another one (\(change)).")
            case .free, .notLocal:
                continue
            }
        }
        guard !lines.isEmpty else { return nil }
        return DevError(.portInUse, lines.joined(separator: "\n") + " Nothing was created.")
    }

    /// Tries to bind the address and port (and lets go at once).
    public static func probe(address: String, port: Int) -> Probe {
        var v4 = in_addr()
        var v6 = in6_addr()
        let isV4 = inet_pton(AF_INET, address, &v4) == 1
        guard isV4 || inet_pton(AF_INET6, address, &v6) == 1 else { return .other("\(address) is not a numeric address") }
        #if canImport(Glibc)
            let stream = Int32(SOCK_STREAM.rawValue)
        #else
            let stream = SOCK_STREAM
        #endif
        let fd = socket(isV4 ? AF_INET : AF_INET6, stream, 0)
        guard fd >= 0 else { return .other("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var yes: Int32 = 1
        // As a listener would: TIME_WAIT leftovers do not make a port taken.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if isV4 {
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
            socketAddress.sin_addr = v4
            result = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = in_port_t(UInt16(port).bigEndian)
            socketAddress.sin6_addr = v6
            result = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        if result == 0 { return listen(fd, 1) == 0 ? .free : .inUse }
        switch errno {
        case EADDRINUSE: return .inUse
        case EACCES, EPERM: return .denied
        case EADDRNOTAVAIL: return .notLocal
        default: return .other(String(cString: strerror(errno)))
        }
    }
}
