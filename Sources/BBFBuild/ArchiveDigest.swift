import Crypto
import Foundation

/// SHA-256 digests of source archives, with swift-crypto. Files are read in
/// chunks, so an archive of any size never sits in memory whole.
public enum ArchiveDigest {
    /// Bytes read from a file at a time.
    public static let defaultChunkSize = 1 << 20

    /// The SHA-256 of `bytes`, as 64 lower-case hex digits.
    public static func sha256(of bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The SHA-256 of the file at `path`, read `chunkSize` bytes at a time.
    public static func sha256(ofFileAt path: String, chunkSize: Int = defaultChunkSize) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: max(1, chunkSize)), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(SHA256.byteCount * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}
