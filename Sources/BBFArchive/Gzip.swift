import CZlib

/// gzip compression through the system's zlib, streaming: bytes written are
/// deflated into `next` in chunks, never held whole in memory.
///
/// zlib is linked directly (it is on every system that runs PostgreSQL); the
/// Swift packages that wrap it bring SwiftNIO along, which this needs none of.
public final class GzipSink: ByteSink {
    private var stream = z_stream()
    private let next: ByteSink
    private var output = [UInt8](repeating: 0, count: 1 << 18)
    private var finished = false

    /// - Parameter level: 1 (fastest) to 9 (smallest); 0 stores.
    public init(_ next: ByteSink, level: Int32 = 1) throws {
        self.next = next
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        // zlib writes no file name and a zero mtime, so the output depends only on the input.
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArchiveError("gzip: deflateInit2 failed (\(status))") }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        try pump(flush: Z_NO_FLUSH)
    }

    public func finish() throws {
        guard !finished else { return }
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_FINISH)
        finished = true
        deflateEnd(&stream)
        try next.finish()
    }

    private func pump(flush: Int32) throws {
        repeat {
            let (status, produced) = output.withUnsafeMutableBytes { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                let status = deflate(&stream, flush)
                return (status, buffer.count - Int(stream.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw ArchiveError("gzip: deflate failed (\(status))")
            }
            if produced > 0 { try output.withUnsafeBytes { try next.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if flush == Z_FINISH && status == Z_STREAM_END { return }
        } while stream.avail_in > 0 || stream.avail_out == 0 || flush == Z_FINISH
    }

    deinit { if !finished { deflateEnd(&stream) } }
}

/// gzip decompression through zlib, streaming. A stream that ends before the
/// gzip trailer (a truncated file) is an error, not a short read.
public final class GunzipSource: ByteSource {
    private var stream = z_stream()
    private let source: ByteSource
    private let name: String
    /// Owned, so zlib may keep pointing into it between calls.
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    private var inputEnd = false
    private var ended = false

    /// - Parameter name: what the errors call the stream (a file name).
    public init(_ source: ByteSource, name: String) throws {
        self.source = source
        self.name = name
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArchiveError("gunzip: inflateInit2 failed (\(status))") }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while !ended {
            if stream.avail_in == 0 && !inputEnd {
                let count = try source.read(into: input)
                if count == 0 {
                    inputEnd = true
                } else {
                    stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(count)
                }
            }
            stream.next_out = base.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            let status = inflate(&stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                ended = true
                return produced
            case Z_OK:
                if produced > 0 { return produced }
            case Z_BUF_ERROR where inputEnd:
                throw ArchiveError("\(name) is truncated: the gzip stream ends early (an interrupted download or upload?)")
            case Z_BUF_ERROR:
                if produced > 0 { return produced }
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw ArchiveError("\(name) is not valid gzip data: \(detail)")
            }
            if inputEnd && stream.avail_in == 0 && produced == 0 {
                throw ArchiveError("\(name) is truncated: the gzip stream ends early (an interrupted download or upload?)")
            }
        }
        return 0
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }
}
