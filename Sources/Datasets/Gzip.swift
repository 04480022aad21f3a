import CZlib
import Foundation

/// The only code that talks to zlib. Every C pointer lives inside a `withUnsafe…` closure;
/// the z_stream's own pointer fields are cleared before each closure returns.
enum Gzip {
    /// Why a gzip stream could not be decoded; the caller attaches the file path.
    struct Failure: Error { let reason: String }

    /// Decompresses a gzip file (concatenated members allowed). `sizeHint` presizes the
    /// output when the uncompressed size is known, so the common case never reallocates.
    static func decompress(_ input: Data, sizeHint: Int? = nil) throws(Failure) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(sizeHint ?? input.count * 4, 1024))
        var produced = 0, consumed = 0
        var stream = z_stream()
        // zlib remembers the stream's address (inflateStateCheck), so all calls happen inside
        // one closure that pins it.
        let result: String? = withUnsafeMutablePointer(to: &stream) { strm -> String? in
            // windowBits 15 + 16: gzip wrapper only, so a raw or zlib stream is reported as corrupt.
            guard inflateInit2_(strm, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                return "zlib could not initialise"
            }
            defer { inflateEnd(strm) }
            while true {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                let status = input.withUnsafeBytes { (inBuf: UnsafeRawBufferPointer) -> Int32 in
                    output.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                        let inBase = inBuf.bindMemory(to: Bytef.self).baseAddress
                        strm.pointee.next_in = UnsafeMutablePointer(mutating: inBase.map { $0 + consumed })
                        strm.pointee.avail_in = uInt(inBuf.count - consumed)
                        strm.pointee.next_out = outBuf.baseAddress! + produced
                        strm.pointee.avail_out = uInt(outBuf.count - produced)
                        let status = inflate(strm, Z_NO_FLUSH)
                        consumed = inBuf.count - Int(strm.pointee.avail_in)
                        produced = outBuf.count - Int(strm.pointee.avail_out)
                        strm.pointee.next_in = nil
                        strm.pointee.next_out = nil
                        return status
                    }
                }
                switch status {
                case Z_STREAM_END:
                    if consumed == input.count { return nil }
                    inflateReset(strm)  // another gzip member follows
                case Z_OK, Z_BUF_ERROR:
                    // No progress with output space left means the input ran out mid-stream.
                    if produced < output.count && consumed == input.count { return "compressed data ends early" }
                case Z_DATA_ERROR:
                    return strm.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data"
                default:
                    return "zlib error \(status)"
                }
            }
        }
        if let result { throw Failure(reason: result) }
        output.removeSubrange(produced...)
        return output
    }
}
