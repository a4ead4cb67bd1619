#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

public enum Network {
    /// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it).
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if fd < 0 { throw SystemError("socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if bound != 0 { throw SystemError("bind", "127.0.0.1:0") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        if named != 0 { throw SystemError("getsockname") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on host:port (numeric IPv4 or IPv6).
    public static func isListening(host: String, port: Int, timeoutMilliseconds: Int = 500) -> Bool {
        guard let connection = try? TCPConnection(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds) else {
            return false
        }
        connection.close()
        return true
    }
}

/// A blocking TCP client socket with timeouts, for small request/response exchanges.
public final class TCPConnection {
    private var fd: Int32

    /// Connects to a numeric IPv4 or IPv6 address.
    public init(host: String, port: Int, timeoutMilliseconds: Int) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let looked = getaddrinfo(host, String(port), &hints, &list)
        guard looked == 0, let first = list else {
            throw SystemError("resolve", host, code: EINVAL)
        }
        defer { freeaddrinfo(list) }
        fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { throw SystemError("socket") }
        let target = "\(host):\(port)"
        if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let failure = SystemError("connect to", target)
                close()
                throw failure
            }
            try waitFor(Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds, doing: "connect to \(target)")
            var problem: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &problem, &length)
            if problem != 0 {
                close()
                throw SystemError("connect to", target, code: problem)
            }
        }
    }

    private func waitFor(_ events: Int16, timeoutMilliseconds: Int, doing action: String) throws {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let deadline = Instant.now()
        while true {
            let remaining = max(0, timeoutMilliseconds - Int(deadline.millisecondsElapsed()))
            let ready = poll(&descriptor, 1, Int32(remaining))
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            let failure = SystemError(action, nil, code: ready == 0 ? ETIMEDOUT : errno)
            close()
            throw failure
        }
    }

    /// Sends all bytes.
    public func send(_ bytes: [UInt8], timeoutMilliseconds: Int) throws {
        var offset = 0
        while offset < bytes.count {
            try waitFor(Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds, doing: "send")
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SystemError("send")
            }
            offset += sent
        }
    }

    /// Receives exactly `count` bytes, or throws on timeout or end of stream.
    public func receive(exactly count: Int, timeoutMilliseconds: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var chunk = [UInt8](repeating: 0, count: max(count, 1))
        let start = Instant.now()
        while result.count < count {
            let remaining = max(0, timeoutMilliseconds - Int(start.millisecondsElapsed()))
            try waitFor(Int16(POLLIN), timeoutMilliseconds: remaining, doing: "receive")
            let wanted = count - result.count
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, wanted, 0) }
            if received < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SystemError("receive")
            }
            if received == 0 { throw SystemError("receive", nil, code: ECONNRESET) }
            result.append(contentsOf: chunk[0..<received])
        }
        return result
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}
