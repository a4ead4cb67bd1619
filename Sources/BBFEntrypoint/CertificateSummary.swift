/// What a later boot needs to know of PGDATA/server.crt — its validity and
/// whether this entrypoint made it — read without OpenSSL. OpenSSL's first
/// decoding in a process loads its providers and costs several milliseconds,
/// more than the whole rest of a later boot; the few DER fields wanted here
/// take microseconds by hand. Anything unusual returns nil, and the caller
/// asks OpenSSL (which then also says what is wrong).
public struct CertificateSummary: Equatable, Sendable {
    /// Unix times.
    public var notBefore: Int64
    public var notAfter: Int64
    /// The DER encodings of the subject and issuer names.
    public var subject: [UInt8]
    public var issuer: [UInt8]

    /// Self-issued, with this entrypoint's organization in the subject.
    public var isGenerated: Bool {
        subject == issuer && subject.contains(subsequence: TLSPolicy.organization)
    }

    /// The first certificate of a PEM text.
    public static func read(pem: [UInt8]) -> CertificateSummary? {
        guard let der = firstPEMBlock(pem, label: "CERTIFICATE").flatMap(base64Decode) else { return nil }
        var reader = DERReader(der[...])
        // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature, issuer, validity, subject, ... } ... }
        guard let certificate = reader.read(tag: 0x30) else { return nil }
        var outer = DERReader(certificate.content)
        guard let tbs = outer.read(tag: 0x30) else { return nil }
        var fields = DERReader(tbs.content)
        if fields.peekTag == 0xA0 { _ = fields.read(tag: 0xA0) }
        guard fields.read(tag: 0x02) != nil, fields.read(tag: 0x30) != nil, let issuer = fields.read(tag: 0x30),
            let validity = fields.read(tag: 0x30), let subject = fields.read(tag: 0x30)
        else { return nil }
        var times = DERReader(validity.content)
        guard let notBefore = times.readTime(), let notAfter = times.readTime() else { return nil }
        return CertificateSummary(notBefore: notBefore, notAfter: notAfter, subject: Array(subject.whole), issuer: Array(issuer.whole))
    }

    /// The bytes between "-----BEGIN <label>-----" and "-----END <label>-----".
    private static func firstPEMBlock(_ text: [UInt8], label: String) -> [UInt8]? {
        let begin = Array("-----BEGIN \(label)-----".utf8)
        let end = Array("-----END \(label)-----".utf8)
        guard let found = text.firstIndex(of: begin, from: 0), let stop = text.firstIndex(of: end, from: found + begin.count)
        else { return nil }
        let start = found + begin.count
        return Array(text[start..<stop])
    }

    /// Standard base64, whitespace ignored; nil on anything else.
    static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return nil
            }
            if padding > 0 { return nil }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2 ? output : nil
    }
}

/// A reader of DER tag-length-value elements.
struct DERReader {
    struct Element {
        /// Tag, length and content.
        var whole: ArraySlice<UInt8>
        var content: ArraySlice<UInt8>
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }
    var peekTag: UInt8? { bytes.first }

    /// The next element if it has `tag` (single-byte tags, definite lengths).
    mutating func read(tag: UInt8) -> Element? {
        guard bytes.count >= 2, bytes[bytes.startIndex] == tag else { return nil }
        var index = bytes.startIndex + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard bytes.endIndex - index >= length else { return nil }
        let element = Element(whole: bytes[bytes.startIndex..<(index + length)], content: bytes[index..<(index + length)])
        bytes = bytes[(index + length)...]
        return element
    }

    /// A UTCTime ("YYMMDDHHMMSSZ") or GeneralizedTime ("YYYYMMDDHHMMSSZ") as Unix time.
    mutating func readTime() -> Int64? {
        let utc = peekTag == 0x17
        guard let element = read(tag: utc ? 0x17 : 0x18) else { return nil }
        let text = Array(element.content)
        guard text.count == (utc ? 13 : 15), text.last == UInt8(ascii: "Z"),
            text.dropLast().allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        let digits = text.dropLast().map { Int64($0 - UInt8(ascii: "0")) }
        func number(_ at: Int, _ count: Int) -> Int64 { digits[at..<(at + count)].reduce(0) { $0 * 10 + $1 } }
        var year: Int64
        var at: Int
        if utc {
            year = number(0, 2)
            year += year >= 50 ? 1900 : 2000
            at = 2
        } else {
            year = number(0, 4)
            at = 4
        }
        let month = number(at, 2)
        let day = number(at + 2, 2)
        let hour = number(at + 4, 2)
        let minute = number(at + 6, 2)
        let second = number(at + 8, 2)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}
