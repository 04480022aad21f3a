"""Opens a rendered LatentBook report in headless Chromium and checks what a reader would see:
every image decodes, every chart SVG has a non-empty bounding box, the page runs no script, logs
no console errors and requests nothing from outside itself. Writes a full-page screenshot.

    python3 check_page.py PAGE.html --screenshot OUT.png [--width 1100] [--forbid-global NAME ...]
                          [--timeout 60]

Prints one JSON object on stdout. Exit codes: 0 all checks pass, 1 a check failed (each problem
on stderr as "check_page: ..."), 2 usage error or the browser failed, 77 no browser installed
(the test is then skipped). Standard library only: it talks the DevTools protocol over a small
WebSocket client of its own.
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

SKIP, FAIL, ERROR = 77, 1, 2
MAX_HEIGHT = 16000  # Chromium cannot capture arbitrarily tall pages; long reports are cut here.


class BrowserError(Exception):
    """The browser could not be started or driven: exit 2."""


class Deadline:
    """One overall time budget shared by every blocking step, so nothing can hang past --timeout."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out after {self.seconds:g} s")
        return left


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: a client that sends masked text frames
    and reassembles the server's (possibly fragmented, possibly multi-megabyte) messages."""

    def __init__(self, url, deadline):
        parts = urllib.parse.urlsplit(url)
        self.deadline = deadline
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=deadline.left())
        key = base64.b64encode(os.urandom(16)).decode()
        # No Origin header: Chromium refuses WebSocket clients that send a foreign Origin
        # unless started with --remote-allow-origins.
        request = (f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                   f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv_some()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if lines[0].split()[1:2] != ["101"] or headers.get("sec-websocket-accept") != expected:
            raise BrowserError(f"WebSocket handshake with {url} failed: {lines[0]}")

    def _recv_some(self):
        self.sock.settimeout(self.deadline.left())
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            raise TimeoutError(f"timed out after {self.deadline.seconds:g} s") from None
        if not data:
            raise BrowserError("the browser closed the DevTools connection")
        return data

    def _read(self, n):
        while len(self.buffer) < n:
            self.buffer += self._recv_some()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])  # FIN set: we never fragment
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])  # 0x80: clients must mask every frame
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.settimeout(self.deadline.left())
        self.sock.sendall(header + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        """Returns the next complete text or binary message as str."""
        message, fragments = None, []
        while True:
            b0, b1 = self._read(2)
            fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else None  # servers do not mask, but allow it
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise BrowserError("the browser closed the DevTools connection")
            if opcode == 0x9:  # ping: answer, then keep reading
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:  # unsolicited pong
                continue
            if opcode in (0x1, 0x2):
                message, fragments = opcode, [payload]
            elif opcode == 0x0 and message is not None:  # continuation of the current message
                fragments.append(payload)
            if fin and message is not None:
                return b"".join(fragments).decode("utf-8", "replace")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class CDPSession:
    """DevTools protocol over one page target. call() waits for its own reply and queues every
    event that arrives meanwhile, so the checks can read console errors and requests afterwards."""

    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def _receive(self):
        message = json.loads(self.ws.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method, params=None):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error'].get('message')}")
                return message.get("result", {})

    def wait_for(self, method, deadline):
        """Waits for the first queued-or-future event called method and removes it from the queue."""
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)
            deadline.left()
            self._receive()

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating the checks failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")


def find_browser():
    override = os.environ.get("LATENTBOOK_CHROMIUM")
    if override:  # honoured first and exclusively, so tests can point at a build or at nothing
        return override if os.access(override, os.X_OK) and os.path.isfile(override) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def tail(path, lines=25):
    """The end of Chromium's stderr, without the D-Bus complaints it prints on every start where
    no session bus exists (harmless, and they would bury the real reason)."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    useful = [line for line in text.splitlines() if line.strip() and ":ERROR:dbus/" not in line]
    return "\n".join(useful[-lines:])


def start_browser(browser, workdir, deadline):
    """Starts Chromium in its own process group and returns (process, DevTools port)."""
    profile = Path(workdir, "profile")
    log = open(Path(workdir, "chromium.log"), "wb")
    args = [browser, "--headless=new", "--no-sandbox",  # no sandbox: we run as root in CI
            "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
            "--hide-scrollbars", "--mute-audio",
            "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: every host name fails to resolve
            "about:blank"]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    log.close()
    port_file = profile / "DevToolsActivePort"
    while True:
        if process.poll() is not None:
            raise BrowserError(f"{browser} exited with status {process.returncode} before DevTools came up")
        if port_file.exists():
            first_line = port_file.read_text().split("\n", 1)[0].strip()
            if first_line.isdigit():  # the file may be seen half-written
                return process, int(first_line)
        try:
            deadline.left()
        except TimeoutError:
            raise BrowserError(f"{browser} did not open a DevTools port within {deadline.seconds:g} s") from None
        time.sleep(0.05)


def page_websocket_url(port, deadline):
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/json", timeout=deadline.left()) as response:
        targets = json.load(response)
    for target in targets:
        if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
            return target["webSocketDebuggerUrl"]
    # No page open yet: make one (current Chromium only accepts PUT here).
    request = urllib.request.Request(f"{base}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=deadline.left()) as response:
        return json.load(response)["webSocketDebuggerUrl"]


# Runs in the page once it has loaded; returns plain JSON (returnByValue).
CHECKS_JS = r"""
(async forbidden => {
  // <img> elements, and SVG <image> elements (image grids), whose data is decoded afresh.
  const images = Array.from(document.images).map(img => ({src: img.getAttribute('src') || '', ok: img.complete && img.naturalWidth > 0}));
  for (const el of document.querySelectorAll('svg image')) {
    const src = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
    const probe = new Image();
    probe.src = src;
    let ok = false;
    try { await probe.decode(); ok = probe.naturalWidth > 0; } catch (e) {}
    images.push({src, ok});
  }
  // Image grids embedded once are reused through <use>; every reference must resolve.
  const danglingUses = Array.from(document.querySelectorAll('svg use'))
    .map(u => u.getAttribute('href') || u.getAttribute('xlink:href') || '')
    .filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1)));
  const svgs = Array.from(document.querySelectorAll('svg')).filter(s => !s.parentElement || !s.parentElement.closest('svg'));
  const label = s => s.getAttribute('aria-label') || (s.querySelector('title') || {}).textContent || '';
  const emptySvgs = [];
  svgs.forEach((s, i) => {
    let box = null;
    try { box = s.getBBox(); } catch (e) {}
    if (!box || !(box.width > 0 && box.height > 0)) emptySvgs.push({index: i, label: label(s).trim()});
  });
  return {
    title: document.title,
    images: images.length,
    broken_images: images.map((img, i) => ({index: i, src: img.src.slice(0, 80), ok: img.ok}))
                         .filter(x => !x.ok).map(({index, src}) => ({index, src})),
    dangling_uses: danglingUses,
    svgs: svgs.length,
    empty_svgs: emptySvgs,
    scripts: document.getElementsByTagName('script').length,
    globals_set: forbidden.filter(name => window[name] !== undefined),
  };
})
"""


def remote_object_text(obj):
    if "value" in obj:
        return obj["value"] if isinstance(obj["value"], str) else json.dumps(obj["value"])
    return obj.get("description") or obj.get("unserializableValue") or obj.get("type", "")


def where(url, line):
    return f" ({url}:{line + 1})" if url and line is not None else (f" ({url})" if url else "")


def console_errors(events):
    errors = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(remote_object_text(arg) for arg in params.get("args", []))
            frames = (params.get("stackTrace") or {}).get("callFrames") or [{}]
            errors.append(f"console.{params['type']}: {text}" + where(frames[0].get("url"), frames[0].get("lineNumber")))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = (details.get("exception") or {}).get("description") or details.get("text", "exception")
            errors.append(f"uncaught {text.splitlines()[0]}" + where(details.get("url"), details.get("lineNumber")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source', 'log')}: {entry.get('text', '')}" + where(entry.get("url"), entry.get("lineNumber")))
    return list(dict.fromkeys(errors))  # the same message can arrive through two domains


def outside_requests(events, page_url):
    urls = []
    for event in events:
        if event["method"] == "Network.requestWillBeSent":
            url = event["params"]["request"]["url"]
            if url.split("#", 1)[0] != page_url and not url.startswith("data:"):
                urls.append(url)
    return list(dict.fromkeys(urls))


def screenshot(cdp, width, out):
    """Lays the page out at the requested width, then captures all of it (up to MAX_HEIGHT). It is
    measured in a short viewport first, since the content size is never less than the viewport."""
    cdp.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 100, "deviceScaleFactor": 1, "mobile": False})
    metrics = cdp.call("Page.getLayoutMetrics")
    content = metrics.get("cssContentSize") or metrics["contentSize"]
    full_height = max(1, int(content["height"] + 0.999))
    height = min(MAX_HEIGHT, full_height)
    cdp.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    # The clip matters: with captureBeyondViewport alone Chromium captures the whole document,
    # and refuses ("Page is too large") once that passes its texture limit.
    shot = cdp.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))
    return height, full_height


def check(browser, page, args):
    deadline = Deadline(args.timeout)
    workdir = tempfile.mkdtemp(prefix="latentbook-chromium-")
    process = None
    try:
        try:
            process, port = start_browser(browser, workdir, deadline)
            ws = WebSocket(page_websocket_url(port, deadline), deadline)
        except (BrowserError, TimeoutError, OSError) as error:
            message = f"check_page: cannot start the browser: {error}"
            log = tail(Path(workdir, "chromium.log"))
            sys.stderr.write(message + ("\n--- chromium stderr (tail) ---\n" + log if log else "") + "\n")
            return ERROR
        cdp = CDPSession(ws)
        page_url = page.as_uri()
        problems = []
        try:
            # Debugger reports every script the page compiles, so a script that removes its own
            # <script> element (or an onerror= attribute that fires) is still caught.
            for domain in ("Page", "Runtime", "Log", "Network", "Debugger"):
                cdp.call(f"{domain}.enable")
            cdp.events.clear()  # forget about:blank
            navigation = cdp.call("Page.navigate", {"url": page_url})
            if navigation.get("errorText"):
                problems.append(f"navigation to {page_url} failed: {navigation['errorText']}")
            cdp.wait_for("Page.loadEventFired", deadline)
            cdp.call("Debugger.disable")  # our own checks below are scripts too
            scripts_run = [f"{e['params'].get('url') or '(no url)'}:{e['params'].get('startLine', 0) + 1}"
                           for e in cdp.events if e["method"] == "Debugger.scriptParsed"]
            result = cdp.evaluate(f"{CHECKS_JS}({json.dumps(args.forbid_global)})")
            height, full_height = screenshot(cdp, args.width, args.screenshot)
            cdp.call("Runtime.evaluate", {"expression": "0"})  # a round trip, so late log entries arrive
        except TimeoutError as error:
            sys.stderr.write(f"check_page: {page}: the page did not load and render: {error}\n")
            return FAIL
        except BrowserError as error:
            sys.stderr.write(f"check_page: {error}\n" + tail(Path(workdir, "chromium.log")) + "\n")
            return ERROR
        finally:
            ws.close()

        result["scripts_run"] = scripts_run
        result["console_errors"] = console_errors(cdp.events)
        result["requests"] = outside_requests(cdp.events, page_url)
        result.update(screenshot=str(args.screenshot), width=args.width, height=height, page_height=full_height)
        print(json.dumps(result, indent=2))

        problems += [f"image {b['index']} does not decode: src={b['src']!r}" for b in result["broken_images"]]
        problems += [f"<use> refers to a missing element: {h!r}" for h in result["dangling_uses"]]
        problems += [f"svg {s['index']} has an empty bounding box" + (f" ({s['label']!r})" if s["label"] else "")
                     for s in result["empty_svgs"]]
        if result["scripts"]:
            problems.append(f"the page contains {result['scripts']} <script> element(s)")
        if result["scripts_run"]:
            problems.append(f"the page ran {len(result['scripts_run'])} script(s): {', '.join(result['scripts_run'][:5])}")
        problems += [f"window.{name} is set (an injected script ran)" for name in result["globals_set"]]
        problems += [f"console error: {e}" for e in result["console_errors"]]
        problems += [f"the page is not self-contained: requests {url}" for url in result["requests"]]
        for problem in problems:
            sys.stderr.write(f"check_page: {problem}\n")
        return FAIL if problems else 0
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def stop(process):
    """Ends Chromium and all its helper processes (they share its process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:  # helpers that outlived the browser, or a browser that ignored SIGTERM
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path, required=True)
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--forbid-global", action="extend", nargs="+", default=[], metavar="NAME")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()  # exits 2 on a usage error
    if not args.page.is_file():
        parser.error(f"no such file: {args.page}")
    if args.width < 1 or args.timeout <= 0:
        parser.error("--width and --timeout must be positive")

    browser = find_browser()
    if browser is None:
        sys.stderr.write("skipped: chromium is not installed (make browserdeps installs it)\n")
        return SKIP
    return check(browser, args.page.resolve(), args)


if __name__ == "__main__":
    sys.exit(main())
