import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The preview's HTTP face. It serves the rendered pages, the full report and the event stream,
/// and takes Run and Stop; nothing else: no file is read from a request's path, so there is
/// nothing to traverse to. Every request must name this server as its host (a page of another
/// site that resolves its name to 127.0.0.1 gets 403), and every state-changing request must
/// come from one of our pages (Origin) and carry the token printed with the address, else 403.
public struct PreviewServer: Sendable {
    public let session: PreviewSession
    public let host: String
    public let port: Int
    public let token: String
    /// Run and Stop bodies are a few names; anything larger is refused unread.
    public static let maximumBody = 4096
    /// The port bound, once listening (`port` may be 0: any free port).
    let bound = BoundPort()

    public init(session: PreviewSession, host: String = "127.0.0.1", port: Int = 4848, token: String = PreviewServer.newToken()) {
        self.session = session; self.host = host; self.port = port; self.token = token
    }

    /// 128 random bits as hex.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The loopback names every browser uses for this machine.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.")
    }

    /// Serves until the task is cancelled; `ready` gets the port bound (useful with port 0).
    public func run(ready: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        router.add(middleware: GuardMiddleware(server: self))
        router.get("/") { _, _ in await self.indexResponse() }
        router.get("/index.html") { _, _ in await self.indexResponse() }
        // Browsers ask for it unbidden; "no icon" rather than a 404 in the console.
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/:page") { _, context -> Response in
            let name = context.parameters.get("page") ?? ""
            guard name.hasSuffix(".html") else { return Self.notFound }
            let nonce = Self.newToken()
            guard let html = await self.session.page(String(name.dropLast(5)), nonce: nonce) else { return Self.notFound }
            return Self.page(html, nonce: nonce)
        }
        router.get("/_preview/events") { _, _ -> Response in
            guard let stream = await self.session.subscribe() else {
                return Response(status: .serviceUnavailable, headers: Self.plain, body: .init(byteBuffer: ByteBuffer(string: "too many listeners\n")))
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                for await message in stream { try await writer.write(ByteBuffer(string: message)) }
                try await writer.finish(nil)
            })
        }
        router.post("/_preview/run") { request, context -> Response in
            var request = request
            guard let body = try? await request.collectBody(upTo: Self.maximumBody),
                  let action = try? JSONDecoder().decode(RunRequest.self, from: Data(buffer: body)) else {
                return Self.text(.badRequest, "expected {\"notebook\": …, \"cell\": …, \"downstream\": false}")
            }
            do throws(PreviewSession.ActionError) {
                try await self.session.run(notebook: action.notebook, cell: action.cell, downstream: action.downstream ?? false)
                return Self.text(.accepted, "queued")
            } catch .noNotebook(let slug) {
                return Self.text(.notFound, "no notebook '\(slug)'")
            } catch .noCell(let cell) {
                return Self.text(.notFound, "no cell '\(cell)'")
            } catch .notebookHasErrors {
                return Self.text(.conflict, "the notebook has errors; fix them first")
            }
        }
        router.post("/_preview/stop") { _, _ -> Response in
            await self.session.stop()
            return Self.text(.accepted, "stopping")
        }
        let pinger = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                await session.ping()
            }
        }
        defer { pinger.cancel() }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { [bound] channel in
                                  let port = channel.localAddress?.port ?? port
                                  bound.set(port)
                                  ready(port)
                              },
                              logger: Self.quietLogger)
        try await app.run()
    }

    struct RunRequest: Decodable {
        var notebook: String
        var cell: String
        var downstream: Bool?
    }

    private func indexResponse() async -> Response {
        let nonce = Self.newToken()
        return Self.page(await session.index(nonce: nonce), nonce: nonce)
    }

    /// A page: only our script (by nonce) runs, it may talk only to this server, and the page
    /// tells no other site its address (which holds the token).
    static func page(_ html: String, nonce: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-\(nonce)'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static let plain: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: plain, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
    static var notFound: Response { text(.notFound, "not found") }

    static let quietLogger: Logger = {
        var logger = Logger(label: "latentbook-preview")
        // Hummingbird logs a cancelled connection as an error; what matters reaches us as a thrown error.
        logger.logLevel = .critical
        return logger
    }()

    /// The `Host` values a request may carry: loopback names, and the one `--host` gave, with our port.
    func allows(authority: String) -> Bool {
        guard let port = bound.value else { return false }
        var hosts: Set<String> = ["127.0.0.1", "localhost", "[::1]"]
        hosts.insert(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)
        return hosts.contains { "\($0):\(port)" == authority }
    }
}

/// The checks every request passes before a route sees it.
struct GuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: PreviewServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority ?? ""
        guard server.allows(authority: authority) else {
            return PreviewServer.text(.forbidden, "forbidden: unknown host")
        }
        guard request.method == .get || request.method == .head else {
            // A change of state: from one of our pages (same origin), with the token.
            guard request.headers[.origin] == "http://\(authority)" else { return PreviewServer.text(.forbidden, "forbidden: cross-origin request") }
            guard constantTimeEqual(request.headers[HTTPField.Name("X-LatentBook-Token")!] ?? "", server.token) else {
                return PreviewServer.text(.forbidden, "forbidden: missing or wrong token")
            }
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > PreviewServer.maximumBody {
                return PreviewServer.text(.contentTooLarge, "request body too large")
            }
            return try await next(request, context)
        }
        return try await next(request, context)
    }
}

/// Compares without stopping at the first difference, so the time taken tells nothing of the token.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<min(x.count, y.count) { difference |= x[i] ^ y[i] }
    return difference == 0
}


final class BoundPort: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ p: Int) { lock.withLock { port = p } }
    var value: Int? { lock.withLock { port } }
}
