import Crypto
import Foundation
import ReportModel

/// A content-addressed store of cell results under one directory, safe to share between threads
/// and processes.
///
/// On-disk layout (default directory `output/.cache`, relative to the working directory):
///
///     <dir>/<k0k1>/<key>.entry            one cell result; <k0k1> = the key's first two hex digits
///     <dir>/<k0k1>/<key>.lock             empty; flock(2)'d by `withLock` (kept: deleting a lock
///                                         file while another process waits on it breaks exclusion)
///     <dir>/<k0k1>/<key>.entry.corrupt-<unix seconds>   a damaged entry, moved aside by `load`;
///                                         deleted a week later, when a store is opened
///     <dir>/partial/<key>.safetensors     resumable partial state of a long computation; deleted
///                                         by `save` once the key's entry is written
///     <dir>/index/<h>.json                last run of each cell of one notebook, h = SHA-256 (hex) of
///                                         the notebook path's UTF-8 as the caller passes it
///     <dir>/index/<h>.lock                serialises read-merge-write of that index
///
/// Keys are 64-char lowercase hex SHA-256 strings computed by the caller. An entry file is
///
///     offset  size  field
///          0     8  magic "LBCACHE1" (ASCII)
///          8     8  payload length n, unsigned little-endian
///         16    32  SHA-256 of the payload
///         48     n  payload
///
/// and anything else (shorter file, other magic, length ≠ file size − 48, digest mismatch) is
/// corrupt. Every file is written through a temp file `.<name>.tmp-<pid>-<random hex>` in the same
/// directory, fsync'd and renamed over the target, so readers never see a partial file. A process
/// killed mid-write leaves its temp file behind; opening a store deletes those in the root, the
/// shards, `partial/` and `index/` once their process is gone (or after 24 hours, as pids are
/// reused), never a live writer's. The index is JSON:
/// `{"notebook": <path>, "cells": {<cell name>: {"key", "seconds", "finished"}}}`, `finished` in
/// Foundation's default Date encoding (seconds since 2001-01-01 UTC).
public final class ResultStore: Sendable {
    public let directory: URL
    /// Absolute path for syscalls (fast string paths, no URL work per lookup).
    private let root: String
    /// The directory as the caller spelled it, for messages.
    private let shownRoot: String

    private static let magic = Array("LBCACHE1".utf8)
    private static let headerSize = 48

    public init(directory: URL = URL(fileURLWithPath: "output/.cache")) throws(StoreError) {
        self.directory = directory
        root = directory.path
        shownRoot = directory.relativePath
        try AtomicFile.makeDirectories(root, shown: shownRoot)
        removeLeftovers()
    }

    /// How long a damaged entry moved aside by `load` is kept for someone to look at.
    static let corruptLifetime = 7 * 24 * 3600

    /// Deletes what killed processes and old damage left behind: stale temp files in the root,
    /// the shards, `partial/` and `index/` (see `AtomicFile.removeStaleTemporaries`), and
    /// moved-aside corrupt entries older than a week. One readdir per directory and a stat only
    /// for leftovers; about 2 ms on a cache of 1,000 entries. Returns how many files were deleted.
    @discardableResult
    func removeLeftovers() -> Int {
        let now = Int(time(nil))
        var below = 0
        let inRoot = AtomicFile.removeLeftovers(in: root, now: now, corruptMovedBefore: nil) { name in
            let isShard = name.count == 2 && name.allSatisfy(AtomicFile.isLowerHex)
            guard isShard || name.elementsEqual("partial".utf8) || name.elementsEqual("index".utf8) else { return }
            below += AtomicFile.removeLeftovers(in: root + "/" + String(decoding: name, as: UTF8.self), now: now,
                                                corruptMovedBefore: isShard ? now - Self.corruptLifetime : nil)
        }
        return inRoot + below
    }

    public enum Lookup: Equatable, Sendable {
        case hit([UInt8])
        case miss
        /// The entry was unusable (see `load`): the caller recomputes, saves and warns with `reason`.
        case corrupt(reason: String)
    }

    /// Reads an entry and verifies its framing and payload SHA-256. A damaged entry is renamed to
    /// `<name>.corrupt-<unix seconds>` (deleted if that fails). An entry that cannot even be
    /// opened (e.g. permissions) is reported but left in place: nothing shows its content is bad,
    /// and `save` replaces it anyway.
    public func load(_ key: String) -> Lookup {
        let path = entryPath(key)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            return code == ENOENT ? .miss : .corrupt(reason: "cannot open: \(StoreError.reason(code))")
        }
        let result = Self.readEntry(fd)
        close(fd)
        switch result {
        case .success(let payload):
            return .hit(payload)
        case .failure(let damage):
            if rename(path, path + ".corrupt-\(time(nil))") != 0 { unlink(path) }
            return .corrupt(reason: damage.reason)
        }
    }

    /// Existence only (one access(2)); `load` does the verifying.
    public func contains(_ key: String) -> Bool {
        access(entryPath(key), F_OK) == 0
    }

    /// Writes the entry atomically, replacing any existing one, then deletes the key's partial
    /// state: only once the result is on disk, so a kill at any moment leaves one or the other.
    public func save(_ key: String, _ payload: [UInt8]) throws(StoreError) {
        let suffix = entrySuffix(key)
        var header = Self.magic
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { header += $0 }
        header += SHA256.hash(data: payload)
        try AtomicFile.write([header, payload], path: root + suffix, shown: shownRoot + suffix)
        removePartial(key)
    }

    /// Runs `body` holding an exclusive flock(2) on the key's lock file, opened per call so that
    /// threads of one process exclude each other as well as processes. Not reentrant. Lets two
    /// processes running the same notebook compute each result once: lock, re-check the cache,
    /// compute, save, unlock. If the lock file cannot be created (e.g. a read-only cache) `body`
    /// runs unlocked: the lock only saves duplicate work, atomic saves keep the cache correct.
    public func withLock<T>(_ key: String, _ body: () throws -> T) rethrows -> T {
        let suffix = shardSuffix(key) + ".lock"
        let fd = try? Self.lock(root + suffix, shown: shownRoot + suffix)
        defer { if let fd { close(fd) } }
        return try body()
    }

    /// `<dir>/partial/<key>.safetensors`: where a long computation keeps resumable state (e.g.
    /// per-epoch checkpoints). The caller writes it with `AtomicFile`, which creates `partial/`.
    public func partialURL(_ key: String) -> URL {
        Self.checkKey(key)
        return directory.appendingPathComponent("partial").appendingPathComponent(key + ".safetensors")
    }

    /// Deletes the partial state, if any.
    public func removePartial(_ key: String) {
        unlink(partialURL(key).path)
    }

    /// The last run of one cell, for `latentbook cells` (cached / stale / never run; duration).
    public struct IndexEntry: Codable, Equatable, Sendable {
        public var key: String
        public var seconds: Double
        public var finished: Date

        public init(key: String, seconds: Double, finished: Date) {
            self.key = key
            self.seconds = seconds
            self.finished = finished
        }
    }

    private struct IndexFile: Codable {
        var notebook: String
        var cells: [String: IndexEntry]
    }

    /// The notebook's index keyed by cell name; a missing or unreadable index is empty (it is only
    /// a status report, and the next `updateIndex` rewrites it).
    public func readIndex(notebook: String) -> [String: IndexEntry] {
        guard let data = FileManager.default.contents(atPath: root + indexSuffix(notebook) + ".json"),
              let file = try? JSONDecoder().decode(IndexFile.self, from: data)
        else { return [:] }
        return file.cells
    }

    /// Merges `entries` into the notebook's index (same cell name: replaced) under the index's
    /// lock, so concurrent runs do not drop each other's cells, and writes it atomically.
    public func updateIndex(notebook: String, _ entries: [String: IndexEntry]) throws(StoreError) {
        let suffix = indexSuffix(notebook)
        let fd = try Self.lock(root + suffix + ".lock", shown: shownRoot + suffix + ".lock")
        defer { close(fd) }
        let cells = readIndex(notebook: notebook).merging(entries) { _, new in new }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json: Data
        do { json = try encoder.encode(IndexFile(notebook: notebook, cells: cells)) } catch {
            // The only values JSON cannot hold here are non-finite numbers.
            throw .cannotWrite(path: shownRoot + suffix + ".json", reason: "a duration or date is not a finite number")
        }
        try AtomicFile.write([[UInt8](json)], path: root + suffix + ".json", shown: shownRoot + suffix + ".json")
    }

    // MARK: - Paths and file access

    /// "/<k0k1>/<key>", relative to the store's directory.
    private func shardSuffix(_ key: String) -> String {
        Self.checkKey(key)
        return "/\(key.prefix(2))/\(key)"
    }

    private func entrySuffix(_ key: String) -> String { shardSuffix(key) + ".entry" }
    private func entryPath(_ key: String) -> String { root + entrySuffix(key) }

    private func indexSuffix(_ notebook: String) -> String {
        "/index/" + hex(SHA256.hash(data: Array(notebook.utf8)))
    }

    private static func checkKey(_ key: String) {
        precondition(
            key.utf8.count == 64 && key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) },
            "cache key must be 64 lowercase hex digits (a SHA-256), got '\(key)'")
    }

    /// Opens (creating it and its directory if needed) and flock(2)s `path`; returns the open
    /// descriptor, whose close releases the lock.
    private static func lock(_ path: String, shown: String) throws(StoreError) -> Int32 {
        // Read-only, as flock(1) opens it: flock needs no write access, so read-only caches lock too.
        var fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o666)
        if fd < 0 && errno == ENOENT {
            try AtomicFile.makeDirectories(AtomicFile.parent(of: path), shown: AtomicFile.parent(of: shown))
            fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o666)
        }
        guard fd >= 0 else { throw .cannotLock(path: shown, reason: StoreError.reason(errno)) }
        while flock(fd, LOCK_EX) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            throw .cannotLock(path: shown, reason: StoreError.reason(code))
        }
        return fd
    }

    private struct Damage: Error {
        let reason: String
    }

    /// Reads and verifies an entry: the header first, then the payload straight into its own
    /// array, so a large payload is read and hashed once and never copied.
    private static func readEntry(_ fd: Int32) -> Result<[UInt8], Damage> {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Damage(reason: "cannot read: \(StoreError.reason(errno))")) }
        let size = Int(info.st_size)
        guard size >= headerSize else {
            return .failure(Damage(reason: "truncated: \(size) bytes, shorter than the \(headerSize)-byte header"))
        }
        let (header, headerError) = readUpTo(fd, headerSize)
        guard header.count == headerSize else { return .failure(Damage(reason: shortRead(headerError, header.count))) }
        guard header[0..<8].elementsEqual(magic) else {
            return .failure(Damage(reason: "wrong magic: not a LatentBook cache entry"))
        }
        let length = header[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let found = size - headerSize
        guard length == UInt64(found) else {
            return .failure(Damage(reason: length > UInt64(found)
                ? "truncated payload: the header says \(length) bytes, the file has \(found)"
                : "trailing bytes: the header says \(length) payload bytes, the file has \(found)"))
        }
        let (payload, payloadError) = readUpTo(fd, found)
        guard payload.count == found else { return .failure(Damage(reason: shortRead(payloadError, payload.count))) }
        guard SHA256.hash(data: payload).elementsEqual(header[16..<48]) else {
            return .failure(Damage(reason: "checksum mismatch: the payload's SHA-256 differs from the header's"))
        }
        return .success(payload)
    }

    /// A read that ended early: an I/O error, or the file shrank after fstat.
    private static func shortRead(_ code: Int32, _ count: Int) -> String {
        code != 0 ? "cannot read: \(StoreError.reason(code))" : "truncated while reading: ended after \(count) bytes"
    }

    /// Reads up to `count` bytes; returns them and the errno that stopped it early, or 0 at EOF.
    private static func readUpTo(_ fd: Int32, _ count: Int) -> ([UInt8], Int32) {
        var code: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            while initialized < count {
                let n = read(fd, buffer.baseAddress! + initialized, count - initialized)
                if n > 0 { initialized += n } else if n < 0 && errno == EINTR { continue } else {
                    code = n < 0 ? errno : 0
                    break
                }
            }
        }
        return (bytes, code)
    }
}
