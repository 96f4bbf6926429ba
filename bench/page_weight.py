"""Weight of the public report form's first load, as a phone on a fresh connection receives it.

Starts Amparo on loopback with a fresh database, opens /r/<org>/ in Debian's Chromium and
records every request the page makes while loading (HTML, CSS, script, icons...). Each body
is compressed as a front end would send it (gzip -9; brotli too when installed) and summed.
Budget: 14 KB (14,336 bytes) compressed, what fits in the first round trip of a new TCP
connection (initial window of 10 segments). Also prints the form's response time next to an
empty Django view on the same server. Run: python bench/page_weight.py
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amparo.intake import testing  # noqa: E402

BUDGET = 14 * 1024
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def _brotli(data: bytes) -> int | None:
    try:
        import brotli  # type: ignore[import-not-found]
    except ImportError:
        return None
    return len(brotli.compress(data, quality=11))


def first_load(url: str, *, javascript: bool) -> list[tuple[str, str, bytes, int]]:
    """(url, resource type, body, header bytes) of every response while the page loads."""
    from playwright.sync_api import sync_playwright

    seen = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": 360, "height": 740})
        page = context.new_page()
        responses = []
        page.on("response", lambda r: responses.append(r))
        page.goto(url, wait_until="networkidle")
        for response in responses:
            headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
            seen.append((response.url, response.request.resource_type, response.body(), headers))
        browser.close()
    return seen


def timings(url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            response.read()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="GETs for the timing comparison (default 200)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="amparo-bench-weight-"))
    env = testing.with_empty_view(testing.environment(data_dir), data_dir)
    print("Preparing a fresh database…", flush=True)
    testing.prepare(env)
    server = testing.start(env, log_path=data_dir / "server.log")
    try:
        failed = False
        for javascript in (True, False):
            rows = first_load(f"{server.url}/r/lima/", javascript=javascript)
            print(f"\nFirst load of /r/lima/ {'with' if javascript else 'without'} JavaScript:")
            print(f"  {'resource':44} {'type':11} {'raw':>7} {'gzip -9':>8} {'brotli':>7}")
            total_raw = total_gz = total_br = total_headers = 0
            for url, kind, body, headers in rows:
                gz = len(gzip.compress(body, 9))
                br = _brotli(body)
                total_raw += len(body)
                total_gz += gz
                total_br += br if br is not None else gz
                total_headers += headers
                name = url.replace(server.url, "")[:44]
                print(f"  {name:44} {kind:11} {len(body):7d} {gz:8d} {br if br is not None else '-':>7}")
            has_brotli = _brotli(b"") is not None
            print(f"  {'total':56} {total_raw:7d} {total_gz:8d} {total_br if has_brotli else '-':>7}")
            print(f"  requests: {len(rows)}; response headers ≈ {total_headers} bytes (uncompressed; HTTP/2 HPACK shrinks them)")
            verdict = "within" if total_gz <= BUDGET else "OVER"
            print(f"  compressed (gzip) {total_gz} bytes = {total_gz / BUDGET:.0%} of the 14 KB budget ({BUDGET} bytes): {verdict}")
            failed |= total_gz > BUDGET

        form = timings(f"{server.url}/r/lima/", args.requests)
        empty = timings(f"{server.url}/bench/empty/", args.requests)
        p50f, p50e = statistics.median(form), statistics.median(empty)
        print(f"\nServer time, {args.requests} sequential GETs on loopback (runserver, SQLite):")
        print(f"  empty Django view  p50 {p50e:6.2f} ms")
        print(f"  public form        p50 {p50f:6.2f} ms  ({p50f / p50e:.1f}× the empty view)")
        return 1 if failed else 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
