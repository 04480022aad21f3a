import Foundation
import Preview
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// A preview served on a free loopback port from notebooks written to a temporary directory.
struct Served {
    let directory: URL
    let session: PreviewSession
    let server: PreviewServer
    let port: Int
    let task: Task<Void, any Error>

    /// With `watch`, the directory is watched as `latentbook preview DIR` watches it.
    static func start(_ notebooks: [String: String], data: String? = nil, watch: Bool = false) async throws -> Served {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("out"), withIntermediateDirectories: true)
        var paths: [String] = []
        for (name, text) in notebooks.sorted(by: { $0.key < $1.key }) {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            paths.append(url.path)
        }
        let store = try ResultStore(directory: directory.appendingPathComponent("cache"))
        let session = PreviewSession(.init(paths: paths, directories: watch ? [directory.path] : [], profile: .quick, threads: 1, data: data,
                                           output: directory.appendingPathComponent("out"), title: "Preview test"), store: store)
        await session.start()
        let server = PreviewServer(session: session, port: 0)
        let (ports, sink) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { sink.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CocoaError(.fileNoSuchFile) }
        return Served(directory: directory, session: session, server: server, port: port, task: task)
    }

    /// Waits (up to 60 s) until nothing runs or waits.
    func settle() async throws {
        for _ in 0..<1200 {
            if await session.isIdle { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(at: directory)
    }

    var origin: String { "http://127.0.0.1:\(port)" }

    /// A request sent byte for byte as written (no client normalizes its path), read to the end.
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "",
                 host: String? = nil, until marker: String? = nil) throws -> RawResponse {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")", "Connection: close"]
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { lines.append("\(k): \(v)") }
        if !body.isEmpty || method == "POST" { lines.append("Content-Length: \(body.utf8.count)") }
        return try rawExchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n" + body, until: marker)
    }

    /// A POST as our page sends it: same origin, with the token.
    func action(_ path: String, _ body: String) throws -> RawResponse {
        try request("POST", path, headers: ["Origin": origin, "X-LatentBook-Token": server.token, "Content-Type": "application/json"], body: body)
    }
}

struct RawResponse {
    var status: Int
    var head: String
    var body: String
    func header(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// Sends `text` to 127.0.0.1:`port` and reads until the server closes (or `marker` arrives, for
/// a stream that does not end), within 60 s: generous, because the other test suites' trainings,
/// run in parallel, can keep the concurrency pool that serves the requests busy for seconds.
func rawExchange(port: Int, _ text: String, until marker: String? = nil) throws -> RawResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    let bytes = Array(text.utf8)
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw POSIXError(.EPIPE) }
        sent += n
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        received += buffer[0..<n]
        if let marker, String(decoding: received, as: UTF8.self).contains(marker) { break }
    }
    let all = String(decoding: received, as: UTF8.self)
    guard let split = all.range(of: "\r\n\r\n") else { return RawResponse(status: 0, head: all, body: "") }
    let head = String(all[..<split.lowerBound])
    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    return RawResponse(status: status, head: head, body: String(all[split.upperBound...]))
}
