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

    // MARK: - Leftovers of killed writers

    /// A temp file whose writer is alive may be older than this only if the pid was reused.
    static let temporaryLifetime = 24 * 3600

    /// Deletes the temp files that writers killed mid-write left in `directory` (not in its
    /// subdirectories): names `.<name>.tmp-<pid>-<hex>` whose process no longer exists, or that
    /// are older than 24 hours (a dead writer's pid may have been reused). Anything else is kept,
    /// including a live writer's temp file, which it is about to rename. Pids are this machine's:
    /// a directory written at once from another machine or pid namespace would lose its temp
    /// files. Best effort, as cleaning is never worth failing a run: a missing or unreadable
    /// directory sweeps nothing. Returns how many files were deleted.
    @discardableResult
    public static func removeStaleTemporaries(in directory: URL) -> Int {
        removeLeftovers(in: directory.path, now: Int(time(nil)), corruptMovedBefore: nil)
    }

    /// One readdir of `path`: deletes stale temp files (see `removeStaleTemporaries`) and, given
    /// `corruptMovedBefore`, `<name>.entry.corrupt-<unix seconds>` files moved aside before then.
    /// `directory` is called with each subdirectory's name, for callers that sweep a tree.
    static func removeLeftovers(in path: String, now: Int, corruptMovedBefore: Int?,
                                directory: (UnsafeBufferPointer<UInt8>) -> Void = { _ in }) -> Int {
        guard let stream = opendir(path) else { return 0 }
        defer { closedir(stream) }
        var removed = 0
        while let entry = readdir(stream) {
            let kind = entry.pointee.d_type
            withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let name = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                               count: strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count))
                // Some file systems do not fill in d_type: then the name has to tell.
                if Int(kind) == DT_DIR || Int(kind) == DT_UNKNOWN {
                    directory(name)
                    if Int(kind) == DT_DIR { return }
                }
                let stale: Bool
                if let pid = temporaryOwner(name) {
                    stale = !isRunning(pid) || modified(path, name).map { now - $0 > temporaryLifetime } ?? false
                } else if let before = corruptMovedBefore, let seconds = corruptionTime(name) {
                    stale = seconds < before
                } else {
                    return
                }
                if stale && unlink(path + "/" + String(decoding: name, as: UTF8.self)) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// The writer's pid if `name` is `.<name>.tmp-<pid>-<hex>` as `write` spells it: 1–16
    /// lowercase hex digits, a decimal pid ≥ 1, a non-empty name.
    static func temporaryOwner(_ name: UnsafeBufferPointer<UInt8>) -> pid_t? {
        guard name.first == UInt8(ascii: ".") else { return nil }
        var end = name.count
        while end > 0, isLowerHex(name[end - 1]) { end -= 1 }
        guard (1...16).contains(name.count - end), end > 0, name[end - 1] == UInt8(ascii: "-") else { return nil }
        let pidEnd = end - 1
        var start = pidEnd
        while start > 0, isDigit(name[start - 1]) { start -= 1 }
        guard (1...10).contains(pidEnd - start) else { return nil }
        let pid = name[start..<pidEnd].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard pid >= 1, pid <= Int(Int32.max) else { return nil }
        // The leading dot, a non-empty name, then ".tmp-".
        let marker = temporaryMarker
        guard start - marker.count > 1, name[(start - marker.count)..<start].elementsEqual(marker) else { return nil }
        return pid_t(pid)
    }

    private static let temporaryMarker = Array(".tmp-".utf8)
    private static let corruptMarker = Array(".entry.corrupt-".utf8)

    /// The <unix seconds> of `<name>.entry.corrupt-<unix seconds>`.
    static func corruptionTime(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        let marker = corruptMarker
        var start = name.count
        while start > 0, isDigit(name[start - 1]) { start -= 1 }
        guard (1...18).contains(name.count - start), start - marker.count > 0,
              name[(start - marker.count)..<start].elementsEqual(marker) else { return nil }
        return name[start...].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it exists
    /// under another user.
    private static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }

    private static func modified(_ directory: String, _ name: UnsafeBufferPointer<UInt8>) -> Int? {
        var info = stat()
        guard lstat(directory + "/" + String(decoding: name, as: UTF8.self), &info) == 0 else { return nil }
        return Int(info.st_mtim.tv_sec)
    }

    private static func isDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }
    static func isLowerHex(_ c: UInt8) -> Bool { isDigit(c) || (0x61...0x66).contains(c) }
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
