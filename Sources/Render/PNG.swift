import CZlib

/// A minimal PNG encoder: 8-bit grayscale or RGB, one IDAT chunk, no ancillary chunks, so the
/// same pixels always give the same bytes. The only code in Render that calls zlib; every C
/// pointer stays inside its `withUnsafe…` closure.
public enum PNG {
    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// `pixels` is row-major, `channels` bytes per pixel: 1 (gray, color type 0) or 3 (RGB, color type 2).
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && width <= Int(Int32.max) && height <= Int(Int32.max),
                     "PNG size \(width)×\(height) out of range")
        precondition(channels == 1 || channels == 3, "PNG encodes 1 or 3 channels, not \(channels)")
        precondition(pixels.count == width * height * channels,
                     "\(pixels.count) bytes for a \(width)×\(height)×\(channels) image")
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // bit depth, color type, compression, filter, interlace
        var png = signature
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", compressedScanlines(pixels, stride: width * channels, bpp: channels), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// The smaller of the adaptively filtered and the unfiltered image. Adaptive filtering wins
    /// on soft images (reconstructions, Fashion-MNIST); on crisp digits deflate matches the raw
    /// rows better, especially in RGB, where unfiltered is up to 20% smaller.
    private static func compressedScanlines(_ pixels: [UInt8], stride: Int, bpp: Int) -> [UInt8] {
        var unfiltered = [UInt8]()
        unfiltered.reserveCapacity(pixels.count + pixels.count / stride)
        for row in Swift.stride(from: 0, to: pixels.count, by: stride) {
            unfiltered.append(0)
            unfiltered += pixels[row..<row + stride]
        }
        let a = compress(adaptiveFilter(pixels, stride: stride, bpp: bpp)), b = compress(unfiltered)
        return a.count <= b.count ? a : b
    }

    /// Prefixes each scanline with the filter type (None, Sub, Up, Average, Paeth) whose output
    /// has the least sum of absolute signed values: the PNG specification's recommended heuristic.
    private static func adaptiveFilter(_ pixels: [UInt8], stride: Int, bpp: Int) -> [UInt8] {
        let rows = pixels.count / stride
        var out = [UInt8](repeating: 0, count: rows * (stride + 1))
        var candidate = [UInt8](repeating: 0, count: stride)
        let zeros = [UInt8](repeating: 0, count: stride)  // the row above the first
        pixels.withUnsafeBufferPointer { src in
            zeros.withUnsafeBufferPointer { zeros in
                out.withUnsafeMutableBufferPointer { out in
                    candidate.withUnsafeMutableBufferPointer { candidate in
                        for y in 0..<rows {
                            let line = src.baseAddress! + y * stride
                            let above = y == 0 ? zeros.baseAddress! : line - stride
                            let dst = out.baseAddress! + y * (stride + 1)
                            var bestCost = Int.max
                            for type: UInt8 in 0...4 {
                                var cost = 0
                                for i in 0..<stride {
                                    let a = i >= bpp ? line[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0
                                    let predicted = switch type {
                                    case 0: UInt8(0)
                                    case 1: a
                                    case 2: b
                                    case 3: UInt8((UInt16(a) + UInt16(b)) / 2)
                                    default: paeth(a, b, c)
                                    }
                                    let v = line[i] &- predicted
                                    candidate[i] = v
                                    cost += Int(min(v, 0 &- v))
                                }
                                if cost < bestCost {
                                    bestCost = cost
                                    dst[0] = type
                                    (dst + 1).update(from: candidate.baseAddress!, count: stride)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
    }

    /// zlib stream at the best compression level; deterministic for a given zlib build.
    private static func compress(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(compressBound(uLong(data.count))))
        var length = uLongf(out.count)
        let status = out.withUnsafeMutableBufferPointer { dst in
            data.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &length, src.baseAddress, uLong(src.count), Z_BEST_COMPRESSION)
            }
        }
        // compressBound guarantees room, so failure means zlib itself is broken.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        out.removeSubrange(Int(length)...)
        return out
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        // The CRC covers type and data; never empty, so zlib never sees a null buffer (which
        // would make it return the initial value instead).
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        png += bigEndian(UInt32(data.count)) + body + bigEndian(UInt32(crc))
    }

    private static func bigEndian(_ x: UInt32) -> [UInt8] {
        [UInt8(x >> 24), UInt8(x >> 16 & 0xFF), UInt8(x >> 8 & 0xFF), UInt8(x & 0xFF)]
    }
}
