"""Drives `latentbook preview` in headless Chromium through Playwright, as an author would:
edit prose and see it without a reload, save a new notebook into the directory and delete it, change an option and watch that cell train (step line,
growing curve, at least one event a second), click Run, break the notebook and fix it, stop a
training, two browsers at once, Ctrl-C.

    python preview_test.py --latentbook BIN --data DIR [--screenshots DIR] [--timeout 300]

Prints one JSON object (the measured latencies) on stdout. Exit codes: 0 every step passed,
1 a step failed ("preview_test: ..." on stderr), 2 usage error or the browser failed,
77 Playwright or Chromium missing (the test is then skipped).
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from check_page import find_browser  # the same browser, found the same way (LATENTBOOK_CHROMIUM first)

SKIP, FAIL, ERROR = 77, 1, 2

NOTEBOOK = """---
title: Preview test
seed: 3
---

# Preview test

PROSE

```dataset digits
split: train
limit: 3000
```

```train ae
data: digits
epochs: EPOCHS
batch: 64
```

```plot loss
kind: loss
sources: [ae]
caption: The loss by epoch.
```
"""


class Failure(Exception):
    pass


def notebook(prose, epochs, option="epochs"):
    return NOTEBOOK.replace("PROSE", prose).replace("epochs: EPOCHS", f"{option}: {epochs}")


class Preview:
    """The preview process, its address and its notebook file (also used by bench/preview_latency.py)."""

    def __init__(self, binary, data, work, text, name="nb.md", threads=2, cache=None, serve=None):
        self.notebook = work / name
        serve = str(serve or self.notebook)  # what is previewed: the notebook, or a directory holding it
        self.save(text)
        common = ["--cache", str(cache or work / "cache"), "--data", data, "-o", str(work / "out"), "--threads", str(threads)]
        # A warm cache first, so the page starts with every cell "from the cache".
        warm = subprocess.run([binary, "render", serve] + common, capture_output=True, text=True)
        if warm.returncode != 0:
            raise Failure(f"render to warm the cache failed: {warm.stderr[-2000:]}")
        self.log = open(work / "preview.log", "w+")
        self.process = subprocess.Popen([binary, "preview", serve, "--port", "0"] + common,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        match = re.match(r"preview: (http://127\.0\.0\.1:(\d+))/\?token=([0-9a-f]{32})$", line.strip())
        if not match:
            raise Failure(f"unexpected first line {line!r}; log: {self.stderr()}")
        self.base, self.token = match.group(1), match.group(3)

    def write(self, prose, epochs, option="epochs"):
        self.save(notebook(prose, epochs, option))

    def save(self, text):
        tmp = self.notebook.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.notebook)  # as editors save: the reader never sees half a file

    def stderr(self):
        self.log.flush()
        return Path(self.log.name).read_text()[-3000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def step(text):
    sys.stderr.write(f"preview_test: {text}\n")
    sys.stderr.flush()


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, sync_playwright, playwright_error, browser_path):
    work = Path(tempfile.mkdtemp(prefix="latentbook-preview-"))
    preview = None
    results = {}
    shown_state = []  # what the page showed of each cell when a step failed
    try:
        # The directory is previewed (as `latentbook preview notebooks/`), so notebooks can join it.
        preview = Preview(args.latentbook, args.data, work, notebook("First prose.", 2), serve=work)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, headless=True, args=["--no-sandbox"])
            # Playwright's waits evaluate strings, which the pages' policy forbids; the second
            # browser below keeps the policy and uses only selectors, so our script runs under it.
            page = browser.new_context(bypass_csp=True, viewport={"width": 1100, "height": 900}).new_page()
            page.set_default_timeout(args.timeout * 1000)
            errors = []
            show = (lambda: page.evaluate(
                "[...document.querySelectorAll('section.cell')].map(s => s.id + ': ' + s.dataset.lbState + ' '"
                " + (s.querySelector('.lb-state') || {}).textContent + ' | ' + (s.querySelector('.provenance') || {}).textContent)"
                " .concat([document.getElementById('lb-bar').textContent, JSON.stringify((window.__events || []).map(e => e.state + ' ' + e.text))])"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            # The address printed holds the token; the page keeps it for the tab.
            page.goto(f"{preview.base}/?token={preview.token}")
            # The full report follows the notebooks too.
            page.wait_for_function("document.getElementById('lb-bar').textContent === 'preview: live'")
            preview.write("Prose seen in the full report.", 2)
            page.wait_for_function("document.body.innerText.includes('Prose seen in the full report.')")
            # A notebook saved into the directory joins the full report; deleted, it leaves it,
            # and the page then stays put (no fetch after fetch for the notebook that went).
            (work / "extra.md").write_text("---\ntitle: Extra\n---\n\n# Extra\n\nA notebook saved later.\n")
            page.wait_for_function("document.body.innerText.includes('A notebook saved later.')")
            (work / "extra.md").unlink()
            page.wait_for_function("!document.body.innerText.includes('A notebook saved later.')")
            fetches = lambda: page.evaluate("performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/').length")
            settled = fetches()
            time.sleep(1)
            check(fetches() == settled and "Prose seen in the full report." in page.inner_text("main"),
                  "the full report kept fetching itself after a notebook left it")
            page.goto(f"{preview.base}/nb.html")
            page.wait_for_function("document.getElementById('lb-bar').textContent === 'preview: live'")
            ae = "#cell-nb-ae"
            check("from the cache" in page.inner_text(f"{ae} .provenance"), "the warm cache's cells should say 'from the cache'")
            check(page.locator(".lb-controls").count() == 3, "every cell should have its controls")

            try:
                step('prose edits')
                # 1. Prose edits appear in place: no reload, the scroll position kept.
                page.evaluate("window.__sameDocument = true; window.scrollTo(0, 400)")
                latencies = []
                for k in range(5):
                    text = f"Edited prose number {k}."
                    start = time.monotonic()
                    preview.write(text, 2)
                    page.wait_for_function(f"document.body.innerText.includes({json.dumps(text)})")
                    latencies.append(round((time.monotonic() - start) * 1000))
                check(page.evaluate("window.__sameDocument === true"), "the page was reloaded")
                check(abs(page.evaluate("window.scrollY") - 400) < 2, f"the scroll position moved to {page.evaluate('window.scrollY')}")
                check("from the cache" in page.inner_text(f"{ae} .provenance"), "a prose edit must not re-execute")
                results["prose_edit_ms"] = latencies
                results["prose_edit_median_ms"] = statistics.median(latencies)

                step('Run on one cell')
                # 2. Run one cell: it is computed now, the others stay cached.
                page.click("#cell-nb-loss .lb-controls button[data-action=run]")
                page.wait_for_function("document.querySelector('#cell-nb-loss .provenance').textContent.startsWith('computed in')")
                check("from the cache" in page.inner_text(f"{ae} .provenance"), "Run on the plot must not retrain the model")

                step('an option change retrains, with progress')
                # 3. An option change reruns that cell with live progress; a second browser sees the same.
                page.evaluate("""window.__events = []; window.__source = new EventSource('/_preview/events');
                    window.__source.addEventListener('notebook', e => { const n = JSON.parse(e.data);
                      const c = n.cells['ae']; window.__events.push({t: performance.now(), state: c ? c.state : 'done', text: c ? c.text : ''}); });""")
                preview.write("Edited prose number 4.", 4)
                page.wait_for_selector(f"{ae}[data-lb-state=running]")
                page.wait_for_function(f"document.querySelector('{ae} .lb-state').textContent.includes('epoch')")
                second = browser.new_context().new_page()
                second.goto(f"{preview.base}/nb.html")
                second.wait_for_selector(f"{ae}[data-lb-state=running]", timeout=args.timeout * 1000)
                # A render in another terminal on the same cache meanwhile: it waits for the cell the
                # preview is computing and then reads it, instead of training it a second time.
                other = subprocess.Popen([args.latentbook, "render", str(preview.notebook), "--cache", str(work / "cache"),
                                          "--data", args.data, "-o", str(work / "other"), "--threads", "1"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                page.wait_for_selector(f"{ae} .lb-curve polyline", state="attached")  # two finished epochs
                if args.screenshots:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    page.locator(ae).scroll_into_view_if_needed()
                    page.screenshot(path=str(args.screenshots / "preview-running.png"))
                page.wait_for_selector(f"{ae}[data-lb-state=done]")
                page.wait_for_function(f"document.querySelector('{ae} .provenance').textContent.startsWith('computed in')")
                second.wait_for_function(f"document.querySelector('{ae} .provenance').textContent.startsWith('computed in')")
                check(second.inner_text(f"{ae} .provenance") == page.inner_text(f"{ae} .provenance"), "two browsers disagree")
                other_err = other.communicate(timeout=args.timeout)[1]
                check(other.returncode == 0, f"a render beside the preview failed: {other_err[-2000:]}")
                statuses = {c["name"]: c["status"] for c in json.loads((work / "other" / "nb.json").read_text())["cells"]}
                check(statuses.get("ae") == "cached", f"the render beside the preview trained again: {statuses}")
                events = page.evaluate("window.__events")
                running = [e["t"] for e in events if e["state"] == "running" and "epoch" in e["text"]]
                gaps = [(b - a) / 1000 for a, b in zip(running, running[1:])]
                results["training_events"] = len(running)
                results["max_event_gap_s"] = round(max(gaps), 3) if gaps else None
                check(len(running) >= 3 and max(gaps) <= 1.0, f"progress events too rare: {len(running)} events, gaps {gaps}")

                step('Run with downstream')
                # The model and the plot that reads it are computed again; the dataset is not.
                before = page.inner_text(f"{ae} .provenance")
                page.click(f"{ae} .lb-controls button[data-action=downstream]")
                page.wait_for_selector(f"{ae}[data-lb-state=running]")
                page.wait_for_selector(f"{ae}[data-lb-state=done]")
                page.wait_for_function(f"document.querySelector('#cell-nb-loss').dataset.lbState === 'done'"
                                       f" && document.querySelector('{ae} .provenance').textContent !== {json.dumps(before)}")
                check(page.inner_text(f"{ae} .provenance").startswith("computed in"), "Run with downstream did not recompute the model")
                check(page.inner_text("#cell-nb-loss .provenance").startswith("computed in"), "nor the plot that reads it")
                check("from the cache" in page.inner_text("#cell-nb-digits .provenance"), "the dataset it reads should come from the cache")

                step('errors shown and cleared')
                # 4. A broken notebook shows its error with line and column over the last page; fixing it clears it.
                preview.write("Edited prose number 4, citing @fig-lossy.", 4, option="epochz")
                page.wait_for_selector("#lb-problems:not([hidden])")
                problem = page.inner_text("#lb-problems")
                expected = [r"nb\.md:8:31: error: citation of unknown figure '@fig-lossy' \(did you mean '@fig-loss'\?\)",
                            r"hint: '@fig-name' cites the figure of the cell named 'name'",
                            r"nb\.md:\d+:1: error: unknown option 'epochz' for 'train' \(did you mean 'epochs'\?\)"]
                check(all(re.search(e, problem) for e in expected), f"problems shown: {problem!r}")
                check(page.locator(ae).count() == 1, "the last good page should stay under the error")
                preview.write("Edited prose number 4.", 4)
                page.wait_for_selector("#lb-problems", state="hidden")

                step('Stop')
                # 5. Stop interrupts a training; it says so, and the server goes on.
                preview.write("Edited prose number 4.", 60)
                page.wait_for_selector(f"{ae} .lb-curve circle, {ae} .lb-curve polyline", state="attached")
                page.click(f"{ae} .lb-controls button[data-action=stop]")
                page.wait_for_selector(f"{ae}[data-lb-state=stopped]")
                check("stopped" in page.inner_text(f"{ae} .lb-state"), "the stopped cell should say so")
                check(preview.process.poll() is None, "the preview ended after Stop")
                check(not errors, f"console errors: {errors}")
            except (Failure, playwright_error):
                shown_state.extend(show())
                raise
            browser.close()

        step('Ctrl-C')
        # 6. Ctrl-C ends it at once, finished epochs kept.
        preview.process.send_signal(signal.SIGINT)
        code = preview.process.wait(timeout=10)
        check(code == 130, f"exit status {code} after Ctrl-C")
        print(json.dumps(results, indent=2))
        return 0
    except (Failure, playwright_error) as failure:
        for line in shown_state:
            sys.stderr.write(f"preview_test: shown at the failure: {line}\n")
        sys.stderr.write(f"preview_test: {failure}\n" + (f"--- preview stderr ---\n{preview.stderr()}\n" if preview else ""))
        return FAIL
    finally:
        if preview:
            preview.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latentbook", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright, Error as PlaywrightError
    except ImportError:
        sys.stderr.write("skipped: Playwright for Python is not installed (make browserdeps installs it)\n")
        return SKIP
    browser = find_browser()
    if browser is None:
        sys.stderr.write("skipped: chromium is not installed (make browserdeps installs it)\n")
        return SKIP
    return run(args, sync_playwright, PlaywrightError, browser)


if __name__ == "__main__":
    sys.exit(main())
