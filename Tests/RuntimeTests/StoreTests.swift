import Foundation
import Runtime
import Testing

@Suite struct StoreTests {
    // MARK: Round trips and layout

    @Test(arguments: [0, 1_000, 5_000_000])
    func saveThenLoadReturnsThePayload(size: Int) throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir.appendingPathComponent("cache"))
            let key = testKey(0x3c), payload = pattern(size)
            #expect(!store.contains(key))
            try store.save(key, payload)
            #expect(store.contains(key))
            #expect(store.load(key) == .hit(payload))
            #expect(store.load(key) == .hit(payload))  // a hit leaves the entry in place
        }
    }

    @Test func unknownKeyIsAMiss() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            #expect(store.load(testKey(0x01)) == .miss)
            #expect(!store.contains(testKey(0x01)))
        }
    }

    @Test func saveReplacesAnExistingEntry() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            try store.save(testKey(0x02), [1, 2, 3])
            try store.save(testKey(0x02), [4, 5])
            #expect(store.load(testKey(0x02)) == .hit([4, 5]))
        }
    }

    /// Pins the documented layout byte for byte (SHA-256 of "abc" is the FIPS 180-2 test vector).
    @Test func entryFileHasTheDocumentedLocationAndFraming() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir.appendingPathComponent("a/b/cache"))
            #expect(store.directory.path == dir.appendingPathComponent("a/b/cache").path)
            let key = "ab12" + String(repeating: "0", count: 60)
            try store.save(key, Array("abc".utf8))
            let file = dir.appendingPathComponent("a/b/cache/ab/\(key).entry").path
            let expected = Array("LBCACHE1".utf8) + [3, 0, 0, 0, 0, 0, 0, 0]
                + hexBytes("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") + Array("abc".utf8)
            #expect(contents(file) == expected)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("a/b/cache/ab").path)
                == ["\(key).entry"])
        }
    }

    @Test func initFailsWithATypedErrorWhenTheDirectoryCannotBeCreated() throws {
        try withTempDirectory { dir in
            let file = dir.appendingPathComponent("x.file")
            try Data("not a directory".utf8).write(to: file)
            #expect(throws: StoreError.cannotCreateDirectory(path: file.path + "/cache", reason: "Not a directory")) {
                try ResultStore(directory: file.appendingPathComponent("cache"))
            }
            #expect(throws: StoreError.cannotCreateDirectory(path: file.path, reason: "Not a directory")) {
                try ResultStore(directory: file)
            }
        }
    }

    // MARK: Corruption

    enum Damage: String, CaseIterable, Sendable {
        case emptied, truncatedToTenBytes, truncatedMidPayload, trailingByte, flippedPayloadByte, wrongMagic, lengthTooLarge

        /// Applied to the entry of a 1000-byte payload (1048 bytes on disk).
        func apply(_ bytes: inout [UInt8]) {
            switch self {
            case .emptied: bytes = []
            case .truncatedToTenBytes: bytes.removeLast(bytes.count - 10)
            case .truncatedMidPayload: bytes.removeLast(500)
            case .trailingByte: bytes.append(0)
            case .flippedPayloadByte: bytes[48 + 123] ^= 0x01
            case .wrongMagic: bytes[7] = UInt8(ascii: "2")
            case .lengthTooLarge: bytes.replaceSubrange(8..<16, with: [UInt8](repeating: 0xFF, count: 8))
            }
        }

        var reason: String {
            switch self {
            case .emptied: "truncated: 0 bytes, shorter than the 48-byte header"
            case .truncatedToTenBytes: "truncated: 10 bytes, shorter than the 48-byte header"
            case .truncatedMidPayload: "truncated payload: the header says 1000 bytes, the file has 500"
            case .trailingByte: "trailing bytes: the header says 1000 payload bytes, the file has 1001"
            case .flippedPayloadByte: "checksum mismatch: the payload's SHA-256 differs from the header's"
            case .wrongMagic: "wrong magic: not a LatentBook cache entry"
            case .lengthTooLarge: "truncated payload: the header says 18446744073709551615 bytes, the file has 1000"
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func damagedEntryIsReportedMovedAsideAndReplaceable(damage: Damage) throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let key = testKey(0x7e), payload = pattern(1_000)
            let shard = dir.appendingPathComponent("7e").path, file = shard + "/\(key).entry"
            try store.save(key, payload)
            var bytes = contents(file)
            damage.apply(&bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: file))

            #expect(store.load(key) == .corrupt(reason: damage.reason))
            #expect(!FileManager.default.fileExists(atPath: file))
            #expect(!store.contains(key))
            let aside = try FileManager.default.contentsOfDirectory(atPath: shard)
            #expect(aside.count == 1 && aside[0].hasPrefix("\(key).entry.corrupt-"))
            #expect(store.load(key) == .miss)

            try store.save(key, payload)
            #expect(store.load(key) == .hit(payload))
        }
    }

    // MARK: AtomicFile

    @Test func atomicWriteNeverShowsAPartialFile() throws {
        try withTempDirectory { dir in
            let url = dir.appendingPathComponent("big.bin")
            let first = pattern(4 << 20), second = first.map { ~$0 }
            try AtomicFile.write(first, to: url)
            let done = Counter(), reads = Counter(), mixed = Counter()
            let reader = spawn {
                while done.value == 0 {
                    let seen = contents(url.path)
                    reads.add()
                    if seen != first && seen != second { mixed.add() }
                }
            }
            for round in 0..<30 { try AtomicFile.write(round.isMultiple(of: 2) ? second : first, to: url) }
            done.add()
            reader.wait()
            #expect(mixed.value == 0)
            #expect(reads.value > 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["big.bin"])  // no temp files left
        }
    }

    @Test func atomicWriteCreatesTheParentDirectory() throws {
        try withTempDirectory { dir in
            let url = dir.appendingPathComponent("one/two/file.bin")
            try AtomicFile.write([9, 8, 7], to: url)
            #expect(contents(url.path) == [9, 8, 7])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("one/two").path)
                == ["file.bin"])
        }
    }

    @Test func atomicWriteUnderAFileFailsWithATypedError() throws {
        try withTempDirectory { dir in
            let parent = dir.appendingPathComponent("x.file")
            try Data().write(to: parent)
            #expect(throws: StoreError.cannotWrite(path: parent.path + "/entry", reason: "Not a directory")) {
                try AtomicFile.write([1], to: parent.appendingPathComponent("entry"))
            }
        }
    }

    /// root ignores permissions, so this one only runs as a regular user.
    @Test(.enabled(if: getuid() != 0))
    func atomicWriteIntoAReadOnlyDirectoryFailsWithATypedError() throws {
        try withTempDirectory { dir in
            let locked = dir.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
            chmod(locked.path, 0o555)
            defer { chmod(locked.path, 0o755) }
            #expect(throws: StoreError.cannotWrite(path: locked.path + "/entry", reason: "Permission denied")) {
                try AtomicFile.write([1], to: locked.appendingPathComponent("entry"))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
        }
    }

    @Test func errorsReadAsOneLine() {
        #expect(StoreError.cannotWrite(path: "output/.cache/ab/x.entry", reason: "No space left on device").message
            == "cannot write output/.cache/ab/x.entry: No space left on device")
        #expect(StoreError.cannotCreateDirectory(path: "output/.cache", reason: "Permission denied").message
            == "cannot create directory output/.cache: Permission denied")
        #expect(StoreError.cannotLock(path: "output/.cache/ab/x.lock", reason: "No locks available").message
            == "cannot lock output/.cache/ab/x.lock: No locks available")
    }

    @Test func errorPathsAreSpelledAsTheCallerGaveThem() throws {
        try withTempDirectory { dir in
            let file = dir.appendingPathComponent("x.file")
            try Data().write(to: file)
            let relative = URL(fileURLWithPath: "x.file/cache", relativeTo: URL(fileURLWithPath: dir.path, isDirectory: true))
            try #require(relative.path == file.path + "/cache")
            #expect(throws: StoreError.cannotCreateDirectory(path: "x.file/cache", reason: "Not a directory")) {
                try ResultStore(directory: relative)
            }
        }
    }

    // MARK: Locking

    @Test func sameKeyLocksExcludeEachOther() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let gauge = Gauge(), start = Date()
            let threads = (0..<3).map { _ in
                spawn { store.withLock(testKey(0x10)) { gauge.enter(); usleep(100_000); gauge.leave() } }
            }
            threads.forEach { $0.wait() }
            #expect(gauge.peak == 1)
            #expect(Date().timeIntervalSince(start) >= 0.29)
        }
    }

    @Test func differentKeysLockIndependently() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let gauge = Gauge()
            let threads = [testKey(0x20), testKey(0x21)].map { key in
                spawn {
                    store.withLock(key) {
                        gauge.enter()
                        // Wait for the other thread to get in too; under one lock this would time out.
                        let deadline = Date().addingTimeInterval(5)
                        while gauge.peak < 2 && Date() < deadline { usleep(1_000) }
                        gauge.leave()
                    }
                }
            }
            threads.forEach { $0.wait() }
            #expect(gauge.peak == 2)
        }
    }

    @Test func withLockReturnsAndRethrows() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            #expect(store.withLock(testKey(0x30)) { 42 } == 42)
            #expect(throws: CancellationError.self) { try store.withLock(testKey(0x30)) { throw CancellationError() } }
            #expect(store.withLock(testKey(0x30)) { "again" } == "again")  // the lock was released
        }
    }

    @Test(.enabled(if: flockTool != nil))
    func lockExcludesOtherProcesses() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let key = testKey(0x40), lock = dir.appendingPathComponent("40/\(key).lock").path
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent("40"), withIntermediateDirectories: true)

            // Another process holds the key for 1 s: withLock waits for it.
            let ready = dir.appendingPathComponent("ready").path
            let holder = try run(flockTool!, [lock, "/bin/sh", "-c", "touch '\(ready)'; sleep 1"])
            let deadline = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: ready) && Date() < deadline { usleep(5_000) }
            let start = Date()
            store.withLock(key) {}
            #expect(Date().timeIntervalSince(start) >= 0.8)
            holder.waitUntilExit()

            // While withLock holds the key another process cannot take it.
            let busy = store.withLock(key) { () -> Int32? in
                guard let other = try? run(flockTool!, ["-n", lock, "true"]) else { return nil }
                other.waitUntilExit()
                return other.terminationStatus
            }
            #expect(busy == 1)
            let free = try run(flockTool!, ["-n", lock, "true"])
            free.waitUntilExit()
            #expect(free.terminationStatus == 0)
        }
    }

    // MARK: Partial state

    @Test func partialStateLivesUnderPartialAndCanBeRemoved() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let key = testKey(0x50), url = store.partialURL(key)
            #expect(url.path == dir.appendingPathComponent("partial/\(key).safetensors").path)
            try AtomicFile.write([1, 2], to: url)
            #expect(contents(url.path) == [1, 2])
            store.removePartial(key)
            #expect(!FileManager.default.fileExists(atPath: url.path))
            store.removePartial(key)  // already gone: no effect
        }
    }

    // MARK: Index

    @Test func indexUpdatesMerge() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            #expect(store.readIndex(notebook: "notebooks/mnist.md").isEmpty)
            let encode = entry(0x61, 12.5), plot = entry(0x62, 0.25), encodeAgain = entry(0x63, 11)
            try store.updateIndex(notebook: "notebooks/mnist.md", ["encode": encode])
            try store.updateIndex(notebook: "notebooks/mnist.md", ["plot": plot, "encode": encodeAgain])
            #expect(store.readIndex(notebook: "notebooks/mnist.md") == ["encode": encodeAgain, "plot": plot])
        }
    }

    @Test func indexesAreSeparatePerNotebookAndLiveAtTheDocumentedPath() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            try store.updateIndex(notebook: "abc", ["train": entry(0x70, 60)])
            try store.updateIndex(notebook: "other.md", ["plot": entry(0x71, 1)])
            #expect(store.readIndex(notebook: "abc") == ["train": entry(0x70, 60)])
            #expect(store.readIndex(notebook: "other.md") == ["plot": entry(0x71, 1)])
            let file = dir.appendingPathComponent(
                "index/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json").path
            #expect(FileManager.default.fileExists(atPath: file))
        }
    }

    @Test func corruptIndexReadsAsEmptyAndIsRewritten() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            try store.updateIndex(notebook: "abc", ["train": entry(0x70, 60)])
            let file = dir.appendingPathComponent(
                "index/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json")
            try Data("{\"notebook\": \"abc\", \"cel".utf8).write(to: file)
            #expect(store.readIndex(notebook: "abc").isEmpty)
            try store.updateIndex(notebook: "abc", ["plot": entry(0x71, 1)])
            #expect(store.readIndex(notebook: "abc") == ["plot": entry(0x71, 1)])
        }
    }

    @Test func concurrentIndexUpdatesLoseNothing() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let threads = (0..<8).map { i in
                spawn { try! store.updateIndex(notebook: "nb.md", ["cell\(i)": entry(UInt8(i), Double(i))]) }
            }
            threads.forEach { $0.wait() }
            #expect(store.readIndex(notebook: "nb.md").keys.sorted() == (0..<8).map { "cell\($0)" })
        }
    }

    @Test func nonFiniteDurationIsATypedError() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            #expect(throws: StoreError.self) { try store.updateIndex(notebook: "nb.md", ["x": entry(0x01, .nan)]) }
            #expect(store.readIndex(notebook: "nb.md").isEmpty)
        }
    }

    // MARK: Many entries (their speed is measured in BENCHMARKS.md, not asserted here)

    /// A fully cached notebook re-runs as contains + load per cell.
    @Test func manySmallEntriesAllHit() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let keys = (0..<50).map { testKey(UInt8($0)) }, payload = pattern(2_000)
            for key in keys { try store.save(key, payload) }
            let hits = keys.filter { store.contains($0) && store.load($0) == .hit(payload) }.count
            #expect(hits == keys.count)
        }
    }
}

// MARK: - Helpers

/// A fresh directory per test, removed afterwards.
private func withTempDirectory(_ body: (URL) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lb-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(url)
}

private func testKey(_ byte: UInt8) -> String {
    String(repeating: String(format: "%02x", byte), count: 32)
}

private func pattern(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
}

private func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}

private func contents(_ path: String) -> [UInt8] {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
}

private func entry(_ byte: UInt8, _ seconds: Double) -> ResultStore.IndexEntry {
    ResultStore.IndexEntry(key: testKey(byte), seconds: seconds, finished: Date(timeIntervalSinceReferenceDate: 7e8 + seconds))
}

/// Runs `body` on its own thread (not a pool: the lock tests need threads that really block).
private func spawn(_ body: @escaping @Sendable () -> Void) -> DispatchGroup {
    let group = DispatchGroup()
    group.enter()
    Thread {
        body()
        group.leave()
    }.start()
    return group
}

private let flockTool = ["/usr/bin/flock", "/bin/flock"].first { FileManager.default.isExecutableFile(atPath: $0) }

private func run(_ tool: String, _ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    try process.run()
    return process
}

// NSLock rather than Synchronization.Mutex, which needs macOS 15 (the package supports 13).
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}

/// How many threads are inside a critical section now, and at most.
private final class Gauge: @unchecked Sendable {
    private let lock = NSLock()
    private var inside = 0, most = 0
    var peak: Int { lock.withLock { most } }
    func enter() { lock.withLock { inside += 1; most = max(most, inside) } }
    func leave() { lock.withLock { inside -= 1 } }
}

// MARK: - Leftovers of killed writers

/// What a process killed mid-write leaves behind, and what opening a store deletes.
@Suite struct LeftoverTests {
    @Test func aDeadWritersTempFileIsRemoved() throws {
        try withTempDirectory { dir in
            let temp = dir.appendingPathComponent(".nb.json.tmp-\(deadPid)-3f9a0c")
            try Data("half a file".utf8).write(to: temp)
            try Data("{}".utf8).write(to: dir.appendingPathComponent("nb.json"))
            #expect(AtomicFile.removeStaleTemporaries(in: dir) == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["nb.json"])
        }
    }

    @Test func aLiveWritersTempFileIsKeptUnlessOlderThanADay() throws {
        try withTempDirectory { dir in
            let temp = dir.appendingPathComponent(".nb.html.tmp-\(getpid())-ffffffffffffffff")
            try Data("being written".utf8).write(to: temp)
            setModified(temp, secondsAgo: 23 * 3600)
            #expect(AtomicFile.removeStaleTemporaries(in: dir) == 0)
            #expect(FileManager.default.fileExists(atPath: temp.path))
            // A day on, the pid must belong to another process than the one that wrote the file.
            setModified(temp, secondsAgo: 25 * 3600)
            #expect(AtomicFile.removeStaleTemporaries(in: dir) == 1)
            #expect(!FileManager.default.fileExists(atPath: temp.path))
        }
    }

    /// Only the exact shape `write` produces is touched, however old and whoever's pid it names.
    @Test func namesNotOfTheTempPatternAreKept() throws {
        try withTempDirectory { dir in
            let dead = deadPid
            let names = [
                "nb.json", ".nb.json", ".nb.json.tmp-", ".nb.json.tmp-\(dead)", ".nb.json.tmp-\(dead)-",
                ".tmp-\(dead)-ab",                             // no name
                "nb.json.tmp-\(dead)-ab",                      // no leading dot
                ".nb.json.tmp-\(dead)-AB",                     // upper-case hex
                ".nb.json.tmp-\(dead)-12345678901234567",      // 17 hex digits: more than a UInt64
                ".nb.json.tmp-0-ab",                           // pid 0 would mean "my process group"
                ".nb.json.tmp-99999999999-ab",                 // not a pid
                ".nb.json.tmp-\(dead)-ab.bak", ".nb.json.tmp-\(dead)-ab~", ".nb.json.temp-\(dead)-ab",
                "\(String(repeating: "a", count: 64)).entry.corrupt-100",  // only a store's shards
            ]
            for name in names {
                let url = dir.appendingPathComponent(name)
                try Data("keep".utf8).write(to: url)
                setModified(url, secondsAgo: 400 * 24 * 3600)
            }
            // A directory of the temp shape is not a writer's file either.
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(".d.tmp-\(dead)-ab"), withIntermediateDirectories: false)
            #expect(AtomicFile.removeStaleTemporaries(in: dir) == 0)
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == Set(names + [".d.tmp-\(dead)-ab"]))
        }
    }

    @Test func theSweepIsNotRecursiveAndAMissingDirectoryIsFine() throws {
        try withTempDirectory { dir in
            let nested = dir.appendingPathComponent("sub/.nb.json.tmp-\(deadPid)-1")
            try FileManager.default.createDirectory(at: nested.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: nested)
            #expect(AtomicFile.removeStaleTemporaries(in: dir) == 0)
            #expect(FileManager.default.fileExists(atPath: nested.path))
            #expect(AtomicFile.removeStaleTemporaries(in: dir.appendingPathComponent("missing")) == 0)
        }
    }

    /// Temp files in the root, a shard, partial/ and index/ go; those of live writers, files in
    /// directories the store does not own, and damaged entries moved aside this week stay.
    @Test func openingAStoreRemovesLeftoversWhereTheStoreWrites() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let key = testKey(0x7e)
            try store.save(key, pattern(1_000))
            var bytes = contents(dir.appendingPathComponent("7e/\(key).entry").path)
            bytes[60] ^= 1
            try Data(bytes).write(to: dir.appendingPathComponent("7e/\(key).entry"))
            #expect(store.load(key) == .corrupt(reason: "checksum mismatch: the payload's SHA-256 differs from the header's"))
            let movedAside = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("7e").path)
                .filter { $0.contains(".corrupt-") }
            #expect(movedAside.count == 1)

            let dead = deadPid, now = Int(time(nil))
            let stale = ["7e/.\(key).entry.tmp-\(dead)-a1", "partial/.\(key).safetensors.tmp-\(dead)-b2",
                         "index/.\(String(repeating: "0", count: 64)).json.tmp-\(dead)-c3", ".x.tmp-\(dead)-d4",
                         "7e/\(key).entry.corrupt-\(now - 8 * 24 * 3600)"]
            let kept = ["7e/.\(key).entry.tmp-\(getpid())-e5", "other/.x.tmp-\(dead)-f6",
                        "7e/\(key).entry.corrupt-\(now - 6 * 24 * 3600)", "7e/\(movedAside[0])",
                        "partial/\(key).entry.corrupt-\(now - 8 * 24 * 3600)"]
            for name in stale + kept where name != "7e/\(movedAside[0])" {
                let url = dir.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data("x".utf8).write(to: url)
            }
            _ = try ResultStore(directory: dir)
            for name in stale { #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)") }
            for name in kept { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)") }
        }
    }

    /// A result on disk supersedes its partial state; until then the partial state stays.
    @Test func savingAResultRemovesItsPartialState() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let key = testKey(0x51), other = testKey(0x52)
            try AtomicFile.write([1], to: store.partialURL(key))
            try AtomicFile.write([2], to: store.partialURL(other))
            try store.save(key, [9])
            #expect(!FileManager.default.fileExists(atPath: store.partialURL(key).path))
            #expect(contents(store.partialURL(other).path) == [2])
        }
    }

    /// Opening a store sweeps ~260 directories: of 1,000 live entries and their lock files it
    /// deletes nothing, and every entry still loads.
    @Test func openingAStoreOfAThousandEntriesDeletesNothingLive() throws {
        try withTempDirectory { dir in
            let store = try ResultStore(directory: dir)
            let keys = (0..<1_000).map { String(format: "%02x%062d", $0 % 256, $0) }  // spread over all 256 shards
            for (i, key) in keys.enumerated() {
                try store.save(key, [UInt8(i & 0xFF)])
                store.withLock(key) {}  // lock files, as real runs leave them
            }
            func files() -> Int { FileManager.default.enumerator(atPath: dir.path)!.allObjects.count }
            let before = files()
            let reopened = try ResultStore(directory: dir)
            #expect(files() == before && before >= 2_000 + 256)  // entries, locks, shard directories
            #expect(keys.enumerated().allSatisfy { reopened.load($1) == .hit([UInt8($0 & 0xFF)]) })
        }
    }
}

/// A pid no process can have: above the kernel's limit (Linux), or macOS's fixed PID_MAX.
private let deadPid: Int32 = {
    if let text = try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8),
       let max = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return max + 1 }
    return 100_000
}()

private func setModified(_ url: URL, secondsAgo: Int) {
    let then = timeval(tv_sec: time(nil) - secondsAgo, tv_usec: 0)
    let result = [then, then].withUnsafeBufferPointer { utimes(url.path, $0.baseAddress) }
    precondition(result == 0, "utimes \(url.path): \(errno)")
}
