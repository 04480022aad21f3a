/// The notebook's bytes with a UTF-8 BOM dropped and CRLF / lone CR turned into LF, indexed by
/// line so that cmark's byte columns and libyaml's positions can be turned into file locations.
struct SourceText {
    let bytes: [UInt8]
    /// Byte offset where each line starts; line n starts at `lineStarts[n - 1]`.
    private let lineStarts: [Int]
    /// UTF-8 continuation bytes in `bytes[..<k * stride]`: with it a column costs at most
    /// `stride` steps, where counting from the line's start made a long line with many inline
    /// nodes quadratic (a 160 KB paragraph took 4.5 s to check).
    private let continuationsBefore: [Int]
    private static let stride = 64

    init(_ text: String) {
        var utf8 = Substring(text).utf8
        if utf8.starts(with: [0xEF, 0xBB, 0xBF]) { utf8 = utf8.dropFirst(3) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var lineStarts = [0]
        var afterCR = false
        for byte in utf8 {
            if byte == 0x0A && afterCR { afterCR = false; continue }  // the LF of a CRLF: already ended the line
            afterCR = byte == 0x0D
            bytes.append(afterCR ? 0x0A : byte)
            if byte == 0x0A || byte == 0x0D { lineStarts.append(bytes.count) }
        }
        self.bytes = bytes
        self.lineStarts = lineStarts
        var continuations = [0], count = 0
        continuations.reserveCapacity(bytes.count / Self.stride + 1)
        for (i, byte) in bytes.enumerated() {
            if byte & 0xC0 == 0x80 { count += 1 }
            if (i + 1) % Self.stride == 0 { continuations.append(count) }
        }
        continuationsBefore = continuations
    }

    /// Scalars (bytes that are not UTF-8 continuations) in `bytes[..<offset]`.
    private func scalars(before offset: Int) -> Int {
        let checkpoint = offset / Self.stride
        let tail = bytes[(checkpoint * Self.stride)..<offset].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 1 : 0) }
        return offset - continuationsBefore[checkpoint] - tail
    }

    var lineCount: Int { lineStarts.count }

    /// Byte offset of the start of `line`; the end of the text for lines past the last.
    func offset(ofLine line: Int) -> Int {
        line <= lineStarts.count ? lineStarts[line - 1] : bytes.count
    }

    /// The bytes of `line` without its line feed; empty for lines past the last.
    func line(_ line: Int) -> ArraySlice<UInt8> {
        guard line >= 1 && line <= lineStarts.count else { return [] }
        let end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        return bytes[lineStarts[line - 1]..<end]
    }

    /// Converts a 1-based byte column (as cmark reports it) to a location counting scalars.
    /// Columns past the line's end (cmark may report one) count one scalar per byte.
    func location(line number: Int, byteColumn: Int) -> SourceLocation {
        let text = line(number)
        let inLine = min(max(0, byteColumn - 1), text.count)
        let scalars = scalars(before: text.startIndex + inLine) - scalars(before: text.startIndex)
        return SourceLocation(line: number, column: scalars + 1 + max(0, byteColumn - 1 - inLine))
    }

    /// The inverse of `location(line:byteColumn:)`: the byte column of the scalar at
    /// `location.column`, by binary search over the checkpoints, then a short scan.
    func byteColumn(of location: SourceLocation) -> Int {
        let text = line(location.line)
        let wanted = scalars(before: text.startIndex) + location.column - 1  // scalars before it, from the text's start
        // The last checkpoint inside the line with at most `wanted` scalars before it.
        var low = (text.startIndex + Self.stride - 1) / Self.stride, high = text.endIndex / Self.stride
        var offset = text.startIndex
        while low <= high {
            let mid = (low + high) / 2
            if mid * Self.stride - continuationsBefore[mid] <= wanted { offset = mid * Self.stride; low = mid + 1 } else { high = mid - 1 }
        }
        var seen = scalars(before: offset)
        while offset < text.endIndex {
            if bytes[offset] & 0xC0 != 0x80 {
                if seen == wanted { return offset - text.startIndex + 1 }
                seen += 1
            }
            offset += 1
        }
        return text.count + 1 + (wanted - seen)
    }
}
