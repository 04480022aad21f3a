/// The notebook's bytes with a UTF-8 BOM dropped and CRLF / lone CR turned into LF, indexed by
/// line so that cmark's byte columns and libyaml's positions can be turned into file locations.
struct SourceText {
    let bytes: [UInt8]
    /// Byte offset where each line starts; line n starts at `lineStarts[n - 1]`.
    private let lineStarts: [Int]

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
    func location(line number: Int, byteColumn: Int) -> SourceLocation {
        let prefix = line(number).prefix(max(0, byteColumn - 1))
        let scalars = prefix.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }  // skip continuation bytes
        return SourceLocation(line: number, column: scalars + 1 + max(0, byteColumn - 1 - prefix.count))
    }

    /// The inverse of `location(line:byteColumn:)`.
    func byteColumn(of location: SourceLocation) -> Int {
        var scalars = 0
        for (index, byte) in line(location.line).enumerated() where byte & 0xC0 != 0x80 {
            if scalars == location.column - 1 { return index + 1 }
            scalars += 1
        }
        return line(location.line).count + 1 + (location.column - 1 - scalars)
    }
}
