import Foundation

public enum AtomicFile {
    /// Writes `bytes` to `url` atomically: a temp file in the same directory (unique name: pid +
    /// random), fsync'd, then rename(2). A reader sees the old file or the new one, never a mix.
    /// Creates the parent directory.
    public static func write(_ bytes: [UInt8], to url: URL) throws(StoreError) {
        try write([bytes], path: url.path, shown: url.relativePath)
    }

    /// Writes the concatenation of `parts`, so callers can add a header without copying a large
    /// payload. `shown` is the path as the caller spelled it, for messages.
    static func write(_ parts: [[UInt8]], path: String, shown: String) throws(StoreError) {
        let directory = parent(of: path)
        let name = path[path.index(after: path.lastIndex(of: "/") ?? path.startIndex)...]
        let temp = "\(directory)/.\(name).tmp-\(getpid())-\(String(UInt64.random(in: .min ... .max), radix: 16))"
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        var fd = open(temp, flags, 0o666)
        // Creating the directory only after a miss keeps the common case at one syscall.
        if fd < 0 && errno == ENOENT {
            try makeDirectories(directory, shown: parent(of: shown))
            fd = open(temp, flags, 0o666)
        }
        guard fd >= 0 else { throw .cannotWrite(path: shown, reason: StoreError.reason(errno)) }

        var failure: Int32 = 0
        for part in parts where failure == 0 { failure = writeAll(fd, part) }
        // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
        // The directory itself is not fsync'd; after a crash either name is a valid cache state.
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            throw .cannotWrite(path: shown, reason: StoreError.reason(failure))
        }
    }

    /// `mkdir -p`; an existing directory is fine, an existing non-directory is an error.
    static func makeDirectories(_ path: String, shown: String) throws(StoreError) {
        if mkdir(path, 0o777) == 0 { return }
        var code = errno
        if code == ENOENT && parent(of: path) != path {
            try makeDirectories(parent(of: path), shown: parent(of: shown))
            if mkdir(path, 0o777) == 0 { return }
            code = errno
        }
        if code == EEXIST {
            var info = stat()
            if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return }
            code = ENOTDIR
        }
        throw .cannotCreateDirectory(path: shown, reason: StoreError.reason(code))
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Returns 0 or the errno of the failed write(2).
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return n < 0 ? errno : EIO }
        }
        return 0
    }
}
