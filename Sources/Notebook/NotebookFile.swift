import Foundation

/// What a file must be before it is parsed as a notebook: UTF-8 text, not binary, not empty,
/// and of a size a person writes. The limits keep a hostile or mistaken input (a dataset, a
/// log, a generated file) from costing minutes or gigabytes before its first diagnostic.
public enum NotebookFile {
    /// 4 MiB: hundreds of times the assignment's notebooks; parsing and planning one this size
    /// takes under a second.
    public static let maximumBytes = 4 << 20
    /// Cells per notebook; beyond it `Plan` resolves nothing (its checks grow with cells²).
    public static let maximumCells = 1000

    /// The diagnostic for a file that is over `maximumBytes`, found without reading it.
    public static func tooLarge(file: String, bytes: Int) -> Diagnostic {
        diagnostic(.tooLarge(bytes: bytes), file: file, at: SourceLocation(line: 1, column: 1))
    }

    public enum ReadFailure: Error {
        case tooLarge(Int)
        case cannotRead(String)

        static let missing = "no such file"
        /// The file is not there (deleted, or not saved yet).
        public var isMissing: Bool { if case .cannotRead(Self.missing) = self { true } else { false } }
    }

    /// The file's bytes; one over the limit is refused without reading it (it may be /dev/zero).
    public static func read(_ path: String) -> Result<[UInt8], ReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.cannotRead(errno == ENOENT ? ReadFailure.missing : String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.cannotRead(String(cString: strerror(errno)))) }
        if info.st_mode & S_IFMT == S_IFDIR { return .failure(.cannotRead("it is a directory")) }
        if info.st_mode & S_IFMT == S_IFREG && Int(info.st_size) > maximumBytes { return .failure(.tooLarge(Int(info.st_size))) }
        // Read one byte past the limit, so that a pipe or device that never ends is cut off too.
        let capacity = maximumBytes + 1
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            while count < capacity {
                let n = Glibc.read(fd, buffer.baseAddress! + count, capacity - count)
                if n > 0 { count += n } else if n < 0 && errno == EINTR { continue } else { failure = n < 0 ? errno : 0; break }
            }
        }
        if failure != 0 { return .failure(.cannotRead(String(cString: strerror(failure)))) }
        return bytes.count > maximumBytes ? .failure(.tooLarge(bytes.count)) : .success(bytes)
    }

    /// The notebooks of a directory, in name order: its `*.md` files, but not hidden ones (an
    /// editor's lock or backup files start with a dot). Nil when it cannot be listed.
    public static func notebooks(in directory: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        return names.filter { $0.hasSuffix(".md") && !$0.hasPrefix(".") }.sorted()
            .map { directory.hasSuffix("/") ? directory + $0 : directory + "/" + $0 }
    }

    /// The file's text, or the one diagnostic saying why it is not a notebook.
    public static func decode(_ bytes: [UInt8], file: String) -> Result<String, Diagnostic> {
        if bytes.count > maximumBytes { return .failure(tooLarge(file: file, bytes: bytes.count)) }
        // A NUL is valid UTF-8 but never in a text file; a binary file usually has one early.
        if let nul = bytes.firstIndex(of: 0) {
            return .failure(diagnostic(.binaryFile, file: file, at: location(of: nul, in: bytes)))
        }
        if let bad = firstInvalidUTF8(bytes) {
            return .failure(diagnostic(.notUTF8(byte: bytes[bad]), file: file, at: location(of: bad, in: bytes)))
        }
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) else {
            return .failure(diagnostic(.emptyNotebook, file: file, at: SourceLocation(line: 1, column: 1)))
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    private static func diagnostic(_ problem: Problem, file: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(file: file, location: location, severity: problem.severity, message: problem.message, hint: problem.hint)
    }

    /// Offset of the first byte of the first ill-formed UTF-8 sequence.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset  // where the ill-formed sequence starts
            }
        }
    }

    /// Line and column (in scalars, as everywhere) of byte `offset`.
    private static func location(of offset: Int, in bytes: [UInt8]) -> SourceLocation {
        let before = bytes[..<offset]
        let lineStart = (before.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        let line = before.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        let column = bytes[lineStart..<offset].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return SourceLocation(line: line, column: column)
    }
}
