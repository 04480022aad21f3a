"""How long a saved prose edit takes to show in an open preview page: the file is replaced (as an
editor saves) and the clock stops when the new sentence is in the page's text, as Chromium
(driven by Playwright) shows it. The notebook is copied to a temporary directory, its cache warmed
by `latentbook render` first (that time is printed too; `--cache` reuses one), so the edits
measure the preview alone.

    .build/browser-venv/bin/python bench/preview_latency.py --latentbook .build/release/latentbook \
        --data ../shared/data --notebook bench/twenty.md [--edits 20]

Prints one JSON object: every latency in ms, the median, the 90th percentile and the maximum.
"""
import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "BrowserCheck"))
from preview_test import Preview, find_browser  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latentbook", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="a cache to use (default: a new one, warmed first)")
    parser.add_argument("--with-directory", action="store_true",
                        help="preview every notebook of the notebook's directory (copied), as `latentbook preview DIR` does")
    parser.add_argument("--page", help="the page to watch: the notebook's (default) or 'index' (the full report)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="latentbook-preview-bench-"))
    original = args.notebook.read_text()
    try:
        if args.with_directory:
            for other in sorted(args.notebook.parent.glob("*.md")):
                shutil.copy(other, work / other.name)
        start = time.monotonic()
        preview = Preview(args.latentbook, args.data, work, original, name=args.notebook.name, threads=args.threads,
                          cache=args.cache.resolve() if args.cache else None, serve=work if args.with_directory else None)
        warm = time.monotonic() - start
        slug = args.notebook.stem
        latencies = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_browser(), headless=True, args=["--no-sandbox"])
            page = browser.new_context(bypass_csp=True).new_page()
            page.goto(f"{preview.base}/?token={preview.token}")
            page.goto(f"{preview.base}/" if args.page == "index" else f"{preview.base}/{slug}.html")
            page.wait_for_function("document.getElementById('lb-bar').textContent === 'preview: live'")
            for k in range(args.edits):
                sentence = f"Latency probe number {k}."
                begin = time.monotonic()
                preview.save(original + f"\n{sentence}\n")
                page.wait_for_function(f"document.body.textContent.includes({json.dumps(sentence)})", polling=10, timeout=30000)
                latencies.append(round((time.monotonic() - begin) * 1000, 1))
            browser.close()
        preview.stop()
        ordered = sorted(latencies)
        print(json.dumps({"notebook": str(args.notebook), "page": args.page or slug, "served": "directory" if args.with_directory else "notebook", "warm_cache_seconds": round(warm, 1), "edits_ms": latencies,
                          "median_ms": statistics.median(latencies),
                          "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], "max_ms": ordered[-1]}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
