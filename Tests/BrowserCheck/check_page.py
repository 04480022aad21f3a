"""Opens a rendered LatentBook report in headless Chromium and checks what a reader would see:
every image decodes, every chart SVG has a non-empty bounding box, the page runs no script, logs
no console errors and requests nothing from outside itself. Writes a full-page screenshot.

    python check_page.py PAGE.html --screenshot OUT.png [--width 1100] [--forbid-global NAME ...]
                         [--timeout 60]

Prints one JSON object on stdout. Exit codes: 0 all checks pass, 1 a check failed (each problem
on stderr as "check_page: ..."), 2 usage error or the browser failed, 77 no browser or no
Playwright installed (the test is then skipped). It drives the system's Chromium through
Playwright for Python (sync API) and never downloads a browser of its own; run it with the
Python that has Playwright (make browserdeps installs it into .build/browser-venv).
"""
import argparse
import json
import os
import re
import shutil
import sys
import time
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

    def ms(self):
        """What is left, as a Playwright timeout (milliseconds; 0 would mean no timeout at all)."""
        return max(1.0, self.left() * 1000)


def find_browser():
    override = os.environ.get("LATENTBOOK_CHROMIUM")
    if override:  # honoured first and exclusively, so tests can point at a build or at nothing
        return override if os.access(override, os.X_OK) and os.path.isfile(override) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def useful_lines(text, lines=25):
    """The end of an error text, without the D-Bus complaints Chromium prints on every start where
    no session bus exists (harmless, and they would bury the real reason)."""
    useful = [line for line in str(text).splitlines() if line.strip() and ":ERROR:dbus/" not in line]
    return "\n".join(useful[-lines:])


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


def where(url, line):
    return f" ({url}:{line + 1})" if url and line is not None else (f" ({url})" if url else "")


def console_error(message):
    """A console message worth reporting, or None. Playwright reports console.error/assert calls
    and the browser's own log errors (failed loads: "Failed to load resource: ...") alike."""
    if message.type not in ("error", "assert"):
        return None
    location = message.location or {}
    # The browser's own entries carry no arguments and no meaningful line (Playwright says 0).
    line = location.get("lineNumber") if message.args else None
    return f"console.{message.type}: {message.text}" + where(location.get("url"), line)


STACK_FRAME = re.compile(r"\(?((?:[a-z][a-z0-9+.-]*:)[^\s()]*?):(\d+):\d+\)?\s*$", re.I)


def page_error(error):
    """An uncaught exception, as "uncaught Name: message (url:line)" (the first line only)."""
    name, message = getattr(error, "name", "") or "", getattr(error, "message", "") or str(error)
    text = f"{name}: {message}" if name and not message.startswith(name) else message
    text = (text.splitlines() or ["exception"])[0]
    for line in (getattr(error, "stack", "") or "").splitlines():
        frame = STACK_FRAME.search(line.strip()) if line.strip().startswith("at ") else None
        if frame:
            return f"uncaught {text} ({frame.group(1)}:{frame.group(2)})"
    return f"uncaught {text}"


def script_run(params):
    """A script the page compiled ("url:line"), or None for one in an isolated world (Playwright's
    own utility scripts live there; a page cannot make one)."""
    aux = params.get("executionContextAuxData") or {}
    if aux.get("type") == "isolated":
        return None
    return f"{params.get('url') or '(no url)'}:{params.get('startLine', 0) + 1}"


def screenshot(page, width, out, deadline):
    """Lays the page out at the requested width, then captures all of it (up to MAX_HEIGHT). It is
    measured in a short viewport first, since the document is never shorter than the viewport."""
    page.set_viewport_size({"width": width, "height": 100})
    full_height = max(1, int(page.evaluate("document.documentElement.scrollHeight")))
    height = min(MAX_HEIGHT, full_height)
    page.set_viewport_size({"width": width, "height": height})
    out.parent.mkdir(parents=True, exist_ok=True)
    # The clip matters: a capture of the whole document is refused ("Page is too large") once it
    # passes Chromium's texture limit, so long pages are cut at MAX_HEIGHT instead.
    page.screenshot(path=str(out), type="png", clip={"x": 0, "y": 0, "width": width, "height": height},
                    timeout=deadline.ms())
    return height, full_height


def check(browser_path, page_path, args, playwright):
    sync_playwright, PlaywrightError, PlaywrightTimeout = playwright
    deadline = Deadline(args.timeout)
    page_url = page_path.as_uri()
    errors, requests, parsed, problems = [], [], [], []

    def on_console(message):
        error = console_error(message)
        if error:
            errors.append(error)

    def on_request(request):
        url = request.url
        if url.split("#", 1)[0] != page_url and not url.startswith("data:"):
            requests.append(url)

    try:
        with sync_playwright() as p:
            try:
                browser = p.chromium.launch(
                    executable_path=browser_path, headless=True, timeout=deadline.ms(),
                    # Playwright adds --headless, --hide-scrollbars, --disable-dev-shm-usage and more.
                    args=["--no-sandbox",  # we run as root in CI
                          "--disable-gpu",
                          "--host-resolver-rules=MAP * ~NOTFOUND"])  # no network: every host name fails to resolve
            except (PlaywrightError, TimeoutError) as error:
                sys.stderr.write(f"check_page: cannot start the browser: {useful_lines(error)}\n")
                return ERROR
            with browser:
                try:
                    context = browser.new_context(viewport={"width": args.width, "height": 100},
                                                  device_scale_factor=1, is_mobile=False)
                    context.set_default_timeout(deadline.ms())
                    page = context.new_page()
                    page.on("console", on_console)
                    page.on("pageerror", lambda error: errors.append(page_error(error)))
                    page.on("request", on_request)
                    # Debugger reports every script the page compiles, so a script that removes its
                    # own <script> element (or an onerror= attribute that fires) is still caught.
                    cdp = context.new_cdp_session(page)
                    cdp.on("Debugger.scriptParsed", lambda params: parsed.append(params))
                    cdp.send("Debugger.enable")
                    cdp.send("Debugger.setSkipAllPauses", {"skip": True})  # `debugger;` must not hang us
                    parsed.clear()  # forget about:blank
                    try:
                        page.goto(page_url, wait_until="load", timeout=deadline.ms())
                    except PlaywrightTimeout:  # (a PlaywrightError too) handled below
                        raise
                    except PlaywrightError as error:  # e.g. net::ERR_FILE_NOT_FOUND; check what did load
                        problems.append(f"navigation to {page_url} failed: {str(error).splitlines()[0]}")
                        page.wait_for_load_state("load", timeout=deadline.ms())
                    cdp.send("Debugger.disable")  # our own checks below are scripts too
                    scripts_run = [s for s in map(script_run, parsed) if s]
                    result = page.evaluate(CHECKS_JS, args.forbid_global)
                    height, full_height = screenshot(page, args.width, args.screenshot, deadline)
                    page.evaluate("0")  # a round trip, so late console messages arrive
                except (PlaywrightTimeout, TimeoutError):
                    sys.stderr.write(f"check_page: {page_path}: the page did not load and render: "
                                     f"timed out after {args.timeout:g} s\n")
                    return FAIL
                except PlaywrightError as error:
                    sys.stderr.write(f"check_page: {useful_lines(error)}\n")
                    return ERROR
    except PlaywrightError as error:  # the Playwright driver itself failed
        sys.stderr.write(f"check_page: cannot start the browser: {useful_lines(error)}\n")
        return ERROR

    result["scripts_run"] = scripts_run
    result["console_errors"] = list(dict.fromkeys(errors))
    result["requests"] = list(dict.fromkeys(requests))
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
    try:
        from playwright.sync_api import Error, TimeoutError as PlaywrightTimeout, sync_playwright
    except ImportError:
        sys.stderr.write("skipped: Playwright for Python is not installed (make browserdeps installs it)\n")
        return SKIP
    return check(browser, args.page.resolve(), args, (sync_playwright, Error, PlaywrightTimeout))


if __name__ == "__main__":
    sys.exit(main())
