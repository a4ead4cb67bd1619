import BBFSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The certificates this entrypoint makes, and how long they last.
public enum TLSPolicy {
    public static let commonName = "localhost"
    public static let organization = "Babelfish developer edition (bbf-entrypoint)"
    /// The RFC 2253 subject, and issuer, of a certificate this entrypoint made.
    public static var generatedSubject: String { "CN=\(commonName),O=\(organization)" }
    /// The longest validity Apple's platforms accept for a TLS server certificate.
    public static let validityDays = 825
    /// notBefore lies this far in the past, for a client whose clock is a little behind.
    public static let backdatingSeconds: Int64 = 3600
    /// A generated certificate is renewed, with the same key, this close to its end.
    public static let renewalSeconds: Int64 = 30 * 86_400
    /// Larger files are not a certificate chain or a key.
    public static let maximumFileSize = 1 << 20

    /// The names a generated certificate is valid for: localhost, 127.0.0.1,
    /// ::1, and the host name (a container's is its id, or `--hostname`)
    /// when it is a DNS name.
    public static func alternativeNames(hostname: String?) -> (dns: [String], ip: [String]) {
        var dns = ["localhost"]
        if let host = hostname?.lowercased(), host != "localhost", isDNSName(host) { dns.append(host) }
        return (dns, ["127.0.0.1", "::1"])
    }

    /// Letters, digits and hyphens in dot-separated labels of 1 to 63
    /// characters (no hyphen at either end), 253 in all, not all digits.
    public static func isDNSName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let wellFormed = labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        return wellFormed && !(labels.last?.allSatisfy(\.isNumber) ?? true)
    }

    /// Whether this entrypoint made the certificate (and may renew it).
    public static func isGenerated(_ info: CertificateInfo) -> Bool {
        info.subject == generatedSubject && info.issuer == generatedSubject
    }
}

/// BABELFISH_TLS_CERT_FILE and BABELFISH_TLS_KEY_FILE, read (before anything
/// is written, as root when started as root) and checked.
struct ProvidedTLSFiles {
    var certificatePath: String
    var keyPath: String
    /// The file's bytes, or why they could not be read.
    var certificate: Result<[UInt8], FileProblem>
    var key: Result<[UInt8], FileProblem>

    struct FileProblem: Error, Equatable {
        var reason: String
    }

    static func read(certificatePath: String, keyPath: String) -> ProvidedTLSFiles {
        ProvidedTLSFiles(
            certificatePath: certificatePath, keyPath: keyPath, certificate: readLimited(certificatePath), key: readLimited(keyPath))
    }

    private static func readLimited(_ path: String) -> Result<[UInt8], FileProblem> {
        do {
            guard let info = try FileSystem.info(path) else { return .failure(FileProblem(reason: "no such file")) }
            if info.kind == .directory { return .failure(FileProblem(reason: "it is a directory")) }
            if info.kind == .regular && info.size > TLSPolicy.maximumFileSize {
                return .failure(FileProblem(reason: "it is \(info.size) bytes, too large for PEM text"))
            }
            return .success(try FileSystem.readBytes(path))
        } catch let error as SystemError {
            return .failure(FileProblem(reason: error.reason))
        } catch {
            return .failure(FileProblem(reason: "\(error)"))
        }
    }

    /// The certificate and key, or every problem, each naming its variable.
    /// Warnings: a certificate out of its validity period.
    func check(now: Int64) -> (provided: ProvidedCertificate?, problems: [String], warnings: [String]) {
        let certificateVariable = "BABELFISH_TLS_CERT_FILE=\(certificatePath)"
        let keyVariable = "BABELFISH_TLS_KEY_FILE=\(keyPath)"
        let nothingWritten = "Nothing was written."
        var problems: [String] = []
        var info: CertificateInfo?
        switch certificate {
        case .failure(let problem):
            problems.append(
                "cannot read \(certificateVariable): \(problem.reason). Mount the PEM certificate there, readable by uid \(geteuid()), or unset BABELFISH_TLS_CERT_FILE and BABELFISH_TLS_KEY_FILE for a generated self-signed certificate. \(nothingWritten)"
            )
        case .success(let bytes):
            do {
                info = try TLSCrypto.inspect(certificate: bytes)
            } catch {
                let hint: String
                if error.kind == .notPEM {
                    hint =
                        bytes.contains(subsequence: "PRIVATE KEY-----")
                        ? "it holds a private key: are BABELFISH_TLS_CERT_FILE and BABELFISH_TLS_KEY_FILE swapped?"
                        : "a DER (binary) certificate converts with: openssl x509 -inform der -in FILE -out FILE.pem"
                    problems.append(
                        "\(certificateVariable) is not a PEM certificate: it has no -----BEGIN CERTIFICATE----- block (\(hint)). \(nothingWritten)"
                    )
                } else {
                    problems.append("\(certificateVariable) is not a valid certificate: \(error.reason). \(nothingWritten)")
                }
            }
        }
        var keyBytes: [UInt8]?
        switch key {
        case .failure(let problem):
            problems.append(
                "cannot read \(keyVariable): \(problem.reason). Mount the PEM private key there, readable by uid \(geteuid()) (the entrypoint copies it into PGDATA with mode 0600 for PostgreSQL), or unset both BABELFISH_TLS_ variables for a generated certificate. \(nothingWritten)"
            )
        case .success(let bytes):
            keyBytes = bytes
        }
        if let keyBytes {
            // Against the certificate when it reads, else on its own.
            let certificateBytes = info != nil ? try? certificate.get() : nil
            do {
                try TLSCrypto.checkKey(keyBytes, belongsTo: certificateBytes)
            } catch {
                switch error.kind {
                case .notPEM:
                    let hint =
                        keyBytes.contains(subsequence: "-----BEGIN CERTIFICATE-----")
                        ? "it holds a certificate: are BABELFISH_TLS_CERT_FILE and BABELFISH_TLS_KEY_FILE swapped?"
                        : "a DER (binary) key converts with: openssl pkey -inform der -in FILE -out FILE.pem"
                    problems.append(
                        "\(keyVariable) is not a PEM private key: it has no -----BEGIN ... PRIVATE KEY----- block (\(hint)). \(nothingWritten)"
                    )
                case .encrypted:
                    problems.append(
                        "\(keyVariable) is protected by a passphrase, which PostgreSQL cannot be given at start: decrypt a copy once (openssl pkey -in FILE -out FILE.plain) and mount that. \(nothingWritten)"
                    )
                case .mismatch:
                    problems.append(
                        "\(keyVariable) is not the private key of the certificate in \(certificateVariable): PostgreSQL would refuse the pair. Give the key that was made with this certificate. \(nothingWritten)"
                    )
                case .invalid, .failed:
                    problems.append("\(keyVariable) is not a valid private key: \(error.reason). \(nothingWritten)")
                }
            }
        }
        guard problems.isEmpty, let info, let keyBytes, case .success(let certificateBytes) = certificate else {
            return (nil, problems, [])
        }
        var warnings: [String] = []
        if info.notAfter < now {
            warnings.append(
                "\(certificateVariable): the certificate (\(info.subject)) expired on \(utcDate(info.notAfter)); clients that verify certificates will refuse it."
            )
        } else if info.notBefore > now {
            warnings.append(
                "\(certificateVariable): the certificate (\(info.subject)) is valid only from \(utcDate(info.notBefore)); clients that verify certificates will refuse it until then."
            )
        }
        let provided = ProvidedCertificate(
            material: TLSMaterial(certificate: certificateBytes, key: keyBytes), info: info, certificatePath: certificatePath,
            keyPath: keyPath)
        return (provided, [], warnings)
    }
}

/// A checked certificate and key from BABELFISH_TLS_CERT_FILE / _KEY_FILE.
struct ProvidedCertificate: Equatable {
    var material: TLSMaterial
    var info: CertificateInfo
    var certificatePath: String
    var keyPath: String
}

/// What PGDATA holds of server.crt and server.key.
struct CertificateFilesState: Equatable {
    var certificate: [UInt8]?
    var keyPresent: Bool
    /// Read only to compare with a provided key.
    var key: [UInt8]?
}

/// What to do with server.crt and server.key on this start.
enum CertificateAction: Equatable {
    /// They are fine (or not ours to change).
    case keep
    /// Copy the provided pair in.
    case install(ProvidedCertificate)
    /// A new key and self-signed certificate.
    case generate
    /// A new self-signed certificate for the key in PGDATA (the old one ends at `notAfter`).
    case renew(notAfter: Int64)
}

enum CertificatePlan {
    /// Pure. A later boot reads the certificate by hand (CertificateSummary),
    /// keeping OpenSSL's start-up cost off it; OpenSSL reads only what that cannot.
    static func action(
        provided: ProvidedCertificate?, files: CertificateFilesState, now: Int64
    ) -> (
        action: CertificateAction, warnings: [String]
    ) {
        if let provided {
            let current = files.certificate == provided.material.certificate && files.key == provided.material.key
            return (current ? .keep : .install(provided), [])
        }
        guard let certificate = files.certificate, files.keyPresent else { return (.generate, []) }
        let notAfter: Int64
        let generated: Bool
        if let summary = CertificateSummary.read(pem: certificate) {
            (notAfter, generated) = (summary.notAfter, summary.isGenerated)
        } else {
            do {
                let info = try TLSCrypto.inspect(certificate: certificate)
                (notAfter, generated) = (info.notAfter, TLSPolicy.isGenerated(info))
            } catch {
                return (
                    .keep,
                    [
                        "PGDATA/\(ManagedFiles.certificate) is not a certificate (\(error.reason)): PostgreSQL will not start with it. Remove \(ManagedFiles.certificate) and \(ManagedFiles.privateKey) from PGDATA to get a new self-signed pair, or give yours with BABELFISH_TLS_CERT_FILE and BABELFISH_TLS_KEY_FILE."
                    ]
                )
            }
        }
        if generated {
            return (notAfter - now < TLSPolicy.renewalSeconds ? .renew(notAfter: notAfter) : .keep, [])
        }
        if notAfter < now {
            return (
                .keep,
                [
                    "the certificate in PGDATA/\(ManagedFiles.certificate) expired on \(utcDate(notAfter)); clients that verify certificates will refuse it. Replace it, or remove \(ManagedFiles.certificate) and \(ManagedFiles.privateKey) to get a generated one."
                ]
            )
        }
        return (.keep, [])
    }
}

/// server.crt and server.key in PGDATA, written so that a crash anywhere
/// leaves a state the next start repairs: the old certificate goes first,
/// then the key and the certificate are each written atomically, so a pair
/// on disk is always one pair, and a missing half means "make a new one".
struct CertificateFiles {
    let dataDirectory: String
    /// BBF_ENTRYPOINT_CRASH_AT=certificate-file: SIGKILL between the key and the certificate.
    var crashPoint: String?

    private var certificatePath: String { dataDirectory + "/" + ManagedFiles.certificate }
    private var keyPath: String { dataDirectory + "/" + ManagedFiles.privateKey }

    func state(readingKey: Bool) throws -> CertificateFilesState {
        let certificate = try FileSystem.exists(certificatePath) ? FileSystem.readBytes(certificatePath) : nil
        let key = readingKey && FileSystem.exists(keyPath) ? try FileSystem.readBytes(keyPath) : nil
        return CertificateFilesState(certificate: certificate, keyPresent: key != nil || FileSystem.exists(keyPath), key: key)
    }

    /// Carries out `action`; returns what to log.
    func perform(_ action: CertificateAction, now: Int64, hostname: String?) throws -> String? {
        switch action {
        case .keep:
            return nil
        case .install(let provided):
            try writePair(provided.material)
            return
                "TLS: copied BABELFISH_TLS_CERT_FILE=\(provided.certificatePath) and BABELFISH_TLS_KEY_FILE=\(provided.keyPath) into PGDATA (\(ManagedFiles.certificate), \(ManagedFiles.privateKey) mode 0600): \(provided.info.subject), valid until \(utcDate(provided.info.notAfter)), SHA-256 \(provided.info.fingerprint)"
        case .generate:
            let start = Instant.now()
            let names = TLSPolicy.alternativeNames(hostname: hostname)
            let material = try make(names, key: nil, now: now)
            try writePair(material)
            let info = try inspect(material.certificate)
            return
                "TLS: generated a self-signed certificate, PGDATA/\(ManagedFiles.certificate) (ECDSA P-256, for \((names.dns + names.ip).joined(separator: ", ")), valid until \(utcDate(info.notAfter)), SHA-256 \(info.fingerprint)) in \(Int(start.millisecondsElapsed().rounded())) ms. To let clients verify it, copy it out: docker cp CONTAINER:\(certificatePath) ."
        case .renew(let oldEnd):
            let names = TLSPolicy.alternativeNames(hostname: hostname)
            let material = try make(names, key: try FileSystem.readBytes(keyPath), now: now)
            try FileSystem.writeAtomically(certificatePath, material.certificate, permissions: 0o644)
            let info = try inspect(material.certificate)
            return
                "TLS: the self-signed certificate \(oldEnd < now ? "expired" : "expires") on \(utcDate(oldEnd)): renewed it with the same key, valid until \(utcDate(info.notAfter)), SHA-256 \(info.fingerprint). Clients that trusted the old one need this one: docker cp CONTAINER:\(certificatePath) ."
        }
    }

    private func make(_ names: (dns: [String], ip: [String]), key: [UInt8]?, now: Int64) throws -> TLSMaterial {
        do {
            return try TLSCrypto.makeSelfSigned(
                commonName: TLSPolicy.commonName, organization: TLSPolicy.organization, dnsNames: names.dns, ipAddresses: names.ip,
                notBefore: now - TLSPolicy.backdatingSeconds, validityDays: TLSPolicy.validityDays, key: key)
        } catch {
            throw EntrypointError(
                .system, step: "write-certificate",
                "could not make a self-signed TLS certificate: \(error.reason). Set BABELFISH_TLS=off to start without TLS.")
        }
    }

    private func inspect(_ certificate: [UInt8]) throws -> CertificateInfo {
        do {
            return try TLSCrypto.inspect(certificate: certificate)
        } catch {
            throw EntrypointError(.system, step: "write-certificate", "the certificate just made does not read back: \(error.reason)")
        }
    }

    private func writePair(_ material: TLSMaterial) throws {
        for leftover in [certificatePath + ".tmp", keyPath + ".tmp"] where FileSystem.exists(leftover) {
            try FileSystem.removeDurably(leftover)
        }
        if FileSystem.exists(certificatePath) { try FileSystem.removeDurably(certificatePath) }
        try FileSystem.writeAtomically(keyPath, material.key, permissions: 0o600)
        if crashPoint == "certificate-file" {
            Log.warning(
                "BBF_ENTRYPOINT_CRASH_AT=certificate-file: killing the entrypoint between \(ManagedFiles.privateKey) and \(ManagedFiles.certificate)"
            )
            kill(getpid(), SIGKILL)
        }
        try FileSystem.writeAtomically(certificatePath, material.certificate, permissions: 0o644)
    }
}

extension BootContext {
    /// Makes sure PGDATA has the certificate and key the managed
    /// configuration names (when TLS is on): copies a provided pair, makes a
    /// self-signed one when there is none, renews a generated one near its end.
    func ensureCertificate() throws {
        guard config.tlsEnabled else { return }
        let files = CertificateFiles(dataDirectory: dataDirectory, crashPoint: config.crashPoint)
        let now = Int64(time(nil))
        let (action, warnings) = CertificatePlan.action(
            provided: providedCertificate, files: try files.state(readingKey: providedCertificate != nil), now: now)
        for warning in warnings { Log.warning(warning) }
        if let message = try files.perform(action, now: now, hostname: currentHostname()) { Log.info(message) }
    }
}

/// gethostname(2), or nil.
func currentHostname() -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
    let name = buffer.withUnsafeBufferPointer { String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return name.isEmpty ? nil : name
}

/// "2028-03-01" (UTC) for a Unix time.
func utcDate(_ seconds: Int64) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
}

extension Array where Element == UInt8 {
    /// Whether the ASCII text `needle` occurs in these bytes.
    func contains(subsequence needle: String) -> Bool { firstIndex(of: Array(needle.utf8), from: 0) != nil }

    /// Where `pattern` first occurs at or after `start` (on raw buffers: this runs on every later boot).
    func firstIndex(of pattern: [UInt8], from start: Int) -> Int? {
        guard !pattern.isEmpty, start >= 0, count - start >= pattern.count else { return nil }
        return withUnsafeBufferPointer { haystack in
            pattern.withUnsafeBufferPointer { needle in
                let first = needle[0]
                var index = start
                let last = haystack.count - needle.count
                while index <= last {
                    if haystack[index] == first {
                        var matched = 1
                        while matched < needle.count && haystack[index + matched] == needle[matched] { matched += 1 }
                        if matched == needle.count { return index }
                    }
                    index += 1
                }
                return nil
            }
        }
    }
}
