"""``make bench`` (load): the chapter page with 1,000 comments against a minimal Flask "hello"
endpoint, both served by gunicorn in the same configuration and loaded by wrk from a second
process for a fixed time. Prints requests/s, median and p99 latency and their ratio.
Requests carry a browser's Accept-Encoding. For comparison it also loads the chapter page
without compression, and with the page cache off (what each logged-in reader costs).

Targets (issue 4): the chapter page reaches at least half the hello endpoint's throughput,
and its p99 stays under 50 ms at 20 concurrent connections. Targets (issue 16): logged in as the
demo participant (own comments, own ratings, forms with their token) the chapter page reaches
0.1x hello with a p99 under 100 ms, and the imprint (no discussion: the fixed cost of a logged-in
request) 0.3x. Nothing is asserted.

The logged-in runs send one session cookie from 20 connections, so the per-account limit on
page renders (``PAGE_RENDER_RATE_LIMIT``, 120 a minute, far above one person's reading) is off
for them: it would measure the limit, not the page.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.chapter import add_comments  # noqa: E402
from tests.served import Browser, free_port, nginx  # noqa: E402
from tests.support import demo_app, fresh_database  # noqa: E402

CONNECTIONS, SECONDS, WORKERS = 20, 10, 2
#: What every browser sends; text is compressed for it, as for real readers.
BROWSER_ENCODINGS = "Accept-Encoding: gzip, deflate, br, zstd"
#: The browser the logged-in reader uses: the same at the login as in every request wrk sends (the session
#: remembers it; a session sent by another browser is marked "not fresh" on every request, Flask-Login's
#: session protection, and no page of it is kept).
BROWSER_AGENT = "User-Agent: Mozilla/5.0 (X11; Linux x86_64) mitreden-bench"
#: Stands for the demo participant's session cookie, made once the server runs.
LOGIN = object()


def serve(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", target],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    return process, base


def session_cookie(base: str, email: str) -> str:
    """The ``Cookie`` header of a demo account logged in on the server at ``base``."""
    browser = Browser(base)
    browser.opener.addheaders = [tuple(BROWSER_AGENT.split(": ", 1))]
    assert browser.log_in(email, "mitreden-demo") == 303, "the demo login failed"
    # As a browser does: the page after the login shows "you are logged in" once, and the cookie it gets back
    # no longer carries the message (sent on, it would show on every page, and no page would be kept).
    assert browser.request("/de/imprint")[0] == 200
    return "Cookie: " + "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)


def wrk(url: str, headers: tuple[str, ...]) -> dict:
    options = [argument for header in headers for argument in ("-H", header)]
    output = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", *options, url],
                            capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": ms("50%"), "p99": ms("99%"),
            "errors": sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors: .*?timeout)\s*:?\s*(\d+)", output))}


def measure(base: str, path: str, headers: tuple) -> dict:
    """wrk's figures for ``path`` on the server at ``base``, after a warm-up."""
    headers = tuple(session_cookie(base, "participant@example.org") if h is LOGIN else h for h in headers)
    # Warm every worker (templates compiled, connections open): measure the steady state.
    warm = [argument for header in headers for argument in ("-H", header)]
    subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", "-d2s", *warm, base + path], capture_output=True, check=True)
    # Let the warm-up's connections expire (gunicorn keeps them 2 s): measured at once, the
    # next run shares the threads with them and the hello endpoint drops to a third.
    time.sleep(3)
    return wrk(base + path, headers)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk for the load figures: apt-get install wrk")
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        sys.exit("make bench needs nginx for the figures through its micro-cache: apt-get install nginx-light")
    folder = Path(tempfile.mkdtemp(prefix="mitreden-load-"))
    os.environ["MITREDEN_INSTANCE"] = str(folder)
    url = fresh_database(folder)
    app = demo_app(url)
    from sqlmodel import Session

    with Session(app.extensions["db_engine"]) as session:
        add_comments(session, "mobil", 1000, 200)
    app.extensions["db_engine"].dispose()
    env = {"DATABASE_URL": url, "MITREDEN_INSTANCE": str(folder), "SECRET_KEY": "bench-" + "x" * 40}
    chapter = "/de/projects/smart-city/chapters/mobil"
    runs = (  # name, app, extra environment, path, request headers
        ("hello", "tests.benchmarks.hello:app", {}, "/", (BROWSER_ENCODINGS,)),
        ("chapter", "webapp:create_app()", {}, chapter, (BROWSER_ENCODINGS,)),
        # Through the README's nginx configuration, its micro-cache in front (issue 16).
        ("chapter, through nginx", "webapp:create_app()", {"PUBLIC_BASE_URL": "http://beteiligung.example.org",
         "TRUSTED_PROXIES": "127.0.0.1", "PROXY_COUNT": "1", "NGINX": "1"}, chapter, (BROWSER_ENCODINGS,)),
        # For comparison, not the target: a client that takes no compression (94 KB a page) ...
        ("chapter, uncompressed", "webapp:create_app()", {}, chapter, ()),
        # ... and the page rendered for every request, as for logged-in readers (page cache off).
        # (One client address: the limit on renders per address is off, or it would measure the limit.)
        ("chapter, page cache off", "webapp:create_app()", {"PAGE_CACHE_SECONDS": "0", "PAGE_RENDER_RATE_LIMIT": ""},
         chapter, (BROWSER_ENCODINGS,)),
        # Logged in (issue 16): the reader's page, kept for them (webapp.readercache) after the first request.
        ("chapter, logged in", "webapp:create_app()", {"PAGE_RENDER_RATE_LIMIT": ""}, chapter,
         (BROWSER_ENCODINGS, BROWSER_AGENT, LOGIN)),
        ("imprint, logged in", "webapp:create_app()", {"PAGE_RENDER_RATE_LIMIT": ""}, "/de/imprint",
         (BROWSER_ENCODINGS, BROWSER_AGENT, LOGIN)),
    )
    results = {}
    for name, target, extra, path, headers in runs:
        process, base = serve(target, {**env, **extra})
        try:
            with nginx(base) if extra.get("NGINX") else contextlib.nullcontext(base) as front:
                results[name] = measure(front, path, headers)
        finally:
            process.terminate()
            process.wait(timeout=15)
    print(f"\nLoad: gunicorn, {WORKERS} workers (gthread, 4 threads), wrk with {CONNECTIONS} connections for "
          f"{SECONDS} s each, database {url.split(':')[0]}")
    for name, figures in results.items():
        print(f"  {name:24} {figures['rps']:6.0f} requests/s   median {figures['p50']:6.1f} ms   p99 {figures['p99']:6.1f} ms")
    ratio = results["chapter"]["rps"] / results["hello"]["rps"]
    print(f"  chapter/hello throughput: {ratio:.2f} (target at least 0.50: {'met' if ratio >= 0.5 else 'MISSED'}); "
          f"chapter p99 {results['chapter']['p99']:.1f} ms (target under 50: "
          f"{'met' if results['chapter']['p99'] < 50 else 'MISSED'})")
    ratio = results["chapter, through nginx"]["rps"] / results["hello"]["rps"]
    print(f"  chapter through nginx/hello: {ratio:.2f} (target at least 3: {'met' if ratio >= 3 else 'MISSED'})")
    logged_in, imprint = results["chapter, logged in"], results["imprint, logged in"]
    ratio = logged_in["rps"] / results["hello"]["rps"]
    print(f"  logged-in chapter/hello: {ratio:.2f} (target at least 0.10: {'met' if ratio >= 0.1 else 'MISSED'}); "
          f"its p99 {logged_in['p99']:.1f} ms (target under 100: {'met' if logged_in['p99'] < 100 else 'MISSED'})")
    ratio = imprint["rps"] / results["hello"]["rps"]
    print(f"  logged-in imprint/hello: {ratio:.2f} (target at least 0.30: {'met' if ratio >= 0.3 else 'MISSED'})")
    errors = {name: figures["errors"] for name, figures in results.items() if figures["errors"]}
    if errors:
        print(f"  Errors (non-2xx answers or timeouts): {errors}")


if __name__ == "__main__":
    main()
