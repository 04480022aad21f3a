import Foundation
import Preview
import Testing

let proseNotebook = """
    ---
    title: Served
    ---

    # Served

    Some prose, and a [link](https://example.com).

    """

/// The preview's HTTP surface, over real sockets: what it serves, and what it refuses.
@Suite(.serialized)
struct PreviewSecurity {
    @Test func pagesCarryTheLiveScriptUnderAPolicyThatAllowsOnlyIt() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        for path in ["/", "/index.html", "/nb.html"] {
            let r = try served.request("GET", path)
            #expect(r.status == 200, "\(path): \(r.head)")
            #expect(r.header("Content-Type") == "text/html; charset=utf-8")
            #expect(r.body.contains("Some prose") && r.body.contains("id=\"latentbook-preview\""))
            let policy = try #require(r.header("Content-Security-Policy"))
            let nonce = try #require(policy.firstMatch(of: /'nonce-([0-9a-f]{32})'/)?.1)
            #expect(r.body.contains("<script nonce=\"\(nonce)\">"))
            #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"))
            #expect(r.header("Referrer-Policy") == "no-referrer")
        }
        // The full report's script follows every notebook.
        #expect(try served.request("GET", "/").body.contains(#"id="latentbook-preview">{"cells":[],"page":null,"versions":{"nb":1}}</script>"#))
        // The static page on disk stays script-free.
        let written = try String(contentsOf: served.directory.appendingPathComponent("out/nb.html"), encoding: .utf8)
        #expect(written.contains("Some prose") && !written.contains("<script"))
    }

    /// Only rendered pages are served: nothing is read from a path, so nothing can be reached through one.
    @Test(arguments: ["/../nb.md", "/%2e%2e/nb.md", "/..%2fnb.md", "/%2E%2E%2Fnb.md", "/nb.md", "/nb.json", "/cache",
                      "/out/nb.html", "//etc/passwd", "/etc/passwd", "/nb.html/..", "/_preview/", "/_preview/events/../nb.md",
                      "/.%2e/.%2e/etc/passwd", "/nb", "/NB.html%00.md"])
    func anythingButAPageIsNotFound(path: String) async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        let r = try served.request("GET", path)
        #expect(r.status == 404, "\(path): \(r.head)")
        #expect(r.body == "not found\n" || r.body.isEmpty, "\(path): \(r.body)")
        #expect(!r.body.contains("Some prose"))
    }

    @Test func actionsNeedTheTokenAndOurOrigin() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        let body = #"{"notebook": "nb", "cell": "x"}"#
        // One hex digit changed (a fixed "0" would equal a token that starts with one).
        let token = served.server.token
        let wrong = (token.first == "0" ? "1" : "0") + token.dropFirst()
        let cases: [(headers: [String: String], status: Int, text: String)] = [
            ([:], 403, "forbidden: cross-origin request"),
            (["X-LatentBook-Token": served.server.token], 403, "forbidden: cross-origin request"),
            (["Origin": "http://evil.example", "X-LatentBook-Token": served.server.token], 403, "forbidden: cross-origin request"),
            (["Origin": "http://127.0.0.1:\(served.port + 1)", "X-LatentBook-Token": served.server.token], 403, "forbidden: cross-origin request"),
            (["Origin": "null", "X-LatentBook-Token": served.server.token], 403, "forbidden: cross-origin request"),
            (["Origin": served.origin], 403, "forbidden: missing or wrong token"),
            (["Origin": served.origin, "X-LatentBook-Token": wrong], 403, "forbidden: missing or wrong token"),
            (["Origin": served.origin, "X-LatentBook-Token": served.server.token + "0"], 403, "forbidden: missing or wrong token"),
        ]
        for path in ["/_preview/run", "/_preview/stop"] {
            for c in cases {
                let r = try served.request("POST", path, headers: c.headers, body: body)
                #expect(r.status == c.status && r.body == c.text + "\n", "\(path) \(c.headers): \(r.status) \(r.body)")
            }
        }
        // With both, the request is taken; a cell that is not there is a 404, not a crash.
        let missing = try served.action("/_preview/run", body)
        #expect(missing.status == 404 && missing.body == "no cell 'x'\n")
        let noNotebook = try served.action("/_preview/run", #"{"notebook": "other", "cell": "x"}"#)
        #expect(noNotebook.status == 404 && noNotebook.body == "no notebook 'other'\n")
        let malformed = try served.action("/_preview/run", "{")
        #expect(malformed.status == 400)
        let stop = try served.action("/_preview/stop", "{}")
        #expect(stop.status == 202 && stop.body == "stopping\n")
    }

    @Test func requestsMustNameThisServer() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        // A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
        for host in ["evil.example:\(served.port)", "evil.example", "127.0.0.1", "127.0.0.1:\(served.port + 1)", ""] {
            let r = try served.request("GET", "/nb.html", host: host)
            #expect(r.status == 403 && !r.body.contains("Some prose"), "Host: \(host): \(r.head)")
        }
        for host in ["127.0.0.1:\(served.port)", "localhost:\(served.port)"] {
            #expect(try served.request("GET", "/nb.html", host: host).status == 200)
        }
    }

    @Test func oversizedBodiesAreRefusedUnread() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        let big = String(repeating: " ", count: PreviewServer.maximumBody + 1)
        let r = try served.action("/_preview/run", big)
        #expect(r.status == 413 && r.body == "request body too large\n")
    }

    @Test func listensOnLoopbackOnlyByDefault() async throws {
        let served = try await Served.start(["nb.md": proseNotebook])
        defer { served.stop() }
        #expect(served.server.host == "127.0.0.1")
        // The kernel's table of listening sockets: local address 0100007F is 127.0.0.1.
        let table = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
        let port = String(format: "%04X", served.port)
        var listening: [String] = []
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count > 3, fields[1].hasSuffix(":" + port), fields[3] == "0A" { listening.append(fields[1]) }
        }
        #expect(listening == ["0100007F:\(port)"])
    }

    /// A notebook's text reaches the served page as text: the only scripts are the boot data and
    /// ours (which alone has the nonce the policy lets run), however the notebook tries.
    @Test func aHostileNotebookAddsNoScriptToTheServedPage() async throws {
        let payload = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"
        let hostile = """
            ---
            title: "\(payload)"
            ---

            # \(payload)

            Prose \(payload) [x](javascript:window.__pwned=3)

            ```dataset d
            split: test
            limit: 10
            caption: "</figcaption>\(payload)"
            ```
            """
        let served = try await Served.start(["evil.md": hostile], data: "/nonexistent/<script>window.__pwned=5</script>")
        defer { served.stop() }
        try await served.settle()
        for path in ["/", "/evil.html"] {
            let r = try served.request("GET", path)
            #expect(r.status == 200)
            #expect(r.body.components(separatedBy: "<script").count == 3, "\(path): \(r.body)")
            #expect(r.body.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;") && !r.body.contains("<img src=x"))
            #expect(r.body.contains("/nonexistent/&lt;script&gt;window.__pwned=5"), "the failure, escaped")
            #expect(!r.body.contains("href=\"javascript:"))
        }
    }

    @Test func theEventStreamSendsEveryNotebookAtOnce() async throws {
        let served = try await Served.start(["a.md": proseNotebook, "b.md": proseNotebook])
        defer { served.stop() }
        let r = try served.request("GET", "/_preview/events", until: "\"slug\":\"b\"")
        #expect(r.status == 200 && r.header("Content-Type") == "text/event-stream; charset=utf-8")
        #expect(r.body.contains("event: notebook\ndata: {\"cells\":{},\"problems\":[],\"slug\":\"a\",\"version\":1}\n\n"), "\(r.body)")
        #expect(r.body.contains("\"slug\":\"b\""))
    }
}
