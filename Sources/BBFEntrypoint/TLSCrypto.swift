import CBBFTLS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A certificate (PEM, the server's first, then its chain) and its private key (PEM).
public struct TLSMaterial: Equatable, Sendable {
    public var certificate: [UInt8]
    public var key: [UInt8]

    public init(certificate: [UInt8], key: [UInt8]) {
        self.certificate = certificate
        self.key = key
    }
}

/// What the first certificate of a PEM text says.
public struct CertificateInfo: Equatable, Sendable {
    /// Certificates in the text: the server's and its chain.
    public var count: Int
    /// Unix times.
    public var notBefore: Int64
    public var notAfter: Int64
    /// RFC 2253, e.g. "CN=localhost,O=babelfish-dev".
    public var subject: String
    public var issuer: String
    /// SHA-256 of the DER encoding.
    public var sha256: [UInt8]

    /// "AB:CD:...", as `openssl x509 -fingerprint -sha256` prints it.
    public var fingerprint: String {
        let digits: [Character] = Array("0123456789ABCDEF")
        return sha256.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xF)]]) }.joined(separator: ":")
    }
}

/// OpenSSL's libcrypto, through the small C shim: libpq already loads it,
/// and swift-crypto (Foundation, no X.509) does not fit the entrypoint.
public enum TLSCrypto {
    public struct Failure: Error, Equatable, CustomStringConvertible, Sendable {
        public enum Kind: Sendable, Equatable {
            /// No PEM block of the expected kind.
            case notPEM
            /// A PEM block that does not decode.
            case invalid
            /// A private key protected by a passphrase.
            case encrypted
            /// The key is not the certificate's.
            case mismatch
            /// OpenSSL failed where it should not.
            case failed
        }

        public var kind: Kind
        /// OpenSSL's words, never key material.
        public var reason: String
        public var description: String { reason }
    }

    private static func failure(_ code: Int32, _ buffer: [CChar]) -> Failure {
        let kind: Failure.Kind
        switch code {
        case BBF_TLS_NOT_PEM: kind = .notPEM
        case BBF_TLS_INVALID: kind = .invalid
        case BBF_TLS_ENCRYPTED: kind = .encrypted
        case BBF_TLS_MISMATCH: kind = .mismatch
        default: kind = .failed
        }
        let reason = buffer.withUnsafeBufferPointer { pointer in
            String(decoding: pointer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return Failure(kind: kind, reason: reason)
    }

    /// A self-signed server certificate: a new P-256 key, or `key` (PEM) to renew one.
    public static func makeSelfSigned(
        commonName: String, organization: String, dnsNames: [String], ipAddresses: [String],
        notBefore: Int64, validityDays: Int, key: [UInt8]? = nil
    ) throws(Failure) -> TLSMaterial {
        var error = [CChar](repeating: 0, count: 512)
        var pair = bbf_tls_pem_pair()
        let status: Int32 = withCStrings(dnsNames) { dns in
            withCStrings(ipAddresses) { ips in
                func make(_ keyPointer: UnsafePointer<CChar>?, _ keyLength: Int) -> Int32 {
                    error.withUnsafeMutableBufferPointer { buffer in
                        bbf_tls_make_self_signed(
                            commonName, organization, dns.baseAddress, dns.count, ips.baseAddress, ips.count,
                            notBefore, Int32(validityDays), keyPointer, keyLength, &pair, buffer.baseAddress, buffer.count)
                    }
                }
                guard let key else { return make(nil, 0) }
                return key.withUnsafeBytes { make($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
            }
        }
        defer { bbf_tls_free(&pair) }
        guard status == 0, let certificate = pair.certificate, let keyText = pair.key else { throw failure(status, error) }
        return TLSMaterial(
            certificate: Array(UnsafeRawBufferPointer(start: certificate, count: pair.certificate_length)),
            key: Array(UnsafeRawBufferPointer(start: keyText, count: pair.key_length)))
    }

    /// Reads the first certificate of a PEM text (and counts the rest).
    public static func inspect(certificate pem: [UInt8]) throws(Failure) -> CertificateInfo {
        var error = [CChar](repeating: 0, count: 512)
        var info = bbf_tls_certificate_info()
        let status = pem.withUnsafeBytes { bytes in
            error.withUnsafeMutableBufferPointer { buffer in
                bbf_tls_inspect_certificate(
                    bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &info, buffer.baseAddress, buffer.count)
            }
        }
        guard status == 0 else { throw failure(status, error) }
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return CertificateInfo(
            count: Int(info.count), notBefore: info.not_before, notAfter: info.not_after, subject: text(info.subject),
            issuer: text(info.issuer), sha256: withUnsafeBytes(of: info.sha256) { Array($0) })
    }

    /// Throws unless `key` is an unencrypted PEM private key and, when
    /// `certificate` is given, that of its first certificate.
    public static func checkKey(_ key: [UInt8], belongsTo certificate: [UInt8]?) throws(Failure) {
        var error = [CChar](repeating: 0, count: 512)
        func check(_ cert: UnsafeRawBufferPointer?) -> Int32 {
            key.withUnsafeBytes { keyBytes in
                error.withUnsafeMutableBufferPointer { buffer in
                    bbf_tls_check_key(
                        cert?.baseAddress?.assumingMemoryBound(to: CChar.self), cert?.count ?? 0,
                        keyBytes.baseAddress?.assumingMemoryBound(to: CChar.self), keyBytes.count, buffer.baseAddress, buffer.count)
                }
            }
        }
        let status = certificate.map { $0.withUnsafeBytes { check($0) } } ?? check(nil)
        guard status == 0 else { throw failure(status, error) }
    }
}

/// Calls `body` with the strings as C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer(body)
}

/// A TLS client over memory buffers (no certificate check), for a handshake
/// carried inside TDS PRELOGIN packets.
final class TLSClient {
    private let client: OpaquePointer

    init() throws(TLSCrypto.Failure) {
        var error = [CChar](repeating: 0, count: 512)
        let made = error.withUnsafeMutableBufferPointer { bbf_tls_client_new($0.baseAddress, $0.count) }
        guard let made else {
            let reason = error.withUnsafeBufferPointer {
                String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            throw TLSCrypto.Failure(kind: .failed, reason: reason)
        }
        client = made
    }

    deinit { bbf_tls_client_free(client) }

    /// Feeds what the server sent; true once the handshake is complete.
    func handshake(_ input: [UInt8]) throws(TLSCrypto.Failure) -> Bool {
        var error = [CChar](repeating: 0, count: 512)
        let status = input.withUnsafeBufferPointer { bytes in
            error.withUnsafeMutableBufferPointer { buffer in
                bbf_tls_client_handshake(client, bytes.baseAddress, bytes.count, buffer.baseAddress, buffer.count)
            }
        }
        if status == 1 { return true }
        if status == 0 { return false }
        let reason = error.withUnsafeBufferPointer {
            String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        throw TLSCrypto.Failure(kind: .failed, reason: reason)
    }

    /// What the client wants sent.
    func takeOutput() -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBufferPointer { bbf_tls_client_take(client, $0.baseAddress, $0.count) }
            if count == 0 { return result }
            result += chunk[0..<count]
        }
    }

    /// Queues close_notify (take it with `takeOutput`).
    func close() { bbf_tls_client_close(client) }

    var protocolVersion: String { String(cString: bbf_tls_client_protocol(client)) }
}
