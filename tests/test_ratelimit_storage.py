"""Where rate limits count, and what happens when that place is gone (issue 9, items 10 and 11).

- Redis down: login, commenting and rating answer as usual; the limits count in memory for the
  time being, with a logged warning, and go back to Redis when it answers again. Never a 500.
- ``make serve`` refuses more than one worker without ``REDIS_URL`` (each would count on its own).

Both run the app in a process of its own: the limiter is one object per process, and these tests
point it at a Redis that is not there.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.served import free_port
from tests.support import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent

REQUESTS = r"""
import json, logging, subprocess, sys, time
logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
from webapp import create_app
database_url, redis_port, email, password, start_redis = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40, "WTF_CSRF_ENABLED": False,
                  "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0", "PAGE_CACHE_SECONDS": 0})
answers = {}


def run(label):
    client = app.test_client()
    answers[label + " wrong login"] = client.post("/de/account/login", data={"email": email, "password": "no no no no"}).status_code
    answers[label + " login"] = client.post("/de/account/login", data={"email": email, "password": password}).status_code
    chapter = "/de/projects/smart-city/chapters/nachhaltig"
    response = client.post(chapter + "/comments", data={"body": f"Ohne Redis ({label})", "submission_key": label * 4})
    answers[label + " comment"] = response.status_code
    comment_id = response.headers.get("Location", "#comment-0").rsplit("#comment-", 1)[1]
    other = app.test_client()
    other.post("/de/account/login", data={"email": sys.argv[6], "password": password})
    answers[label + " rate"] = other.post(f"/de/projects/smart-city/comments/{comment_id}/rating",
                                          data={"value": "agree"}).status_code


server = None
if start_redis == "yes":  # a Redis of our own that answers first, then goes away mid-run
    server = subprocess.Popen(["redis-server", "--port", redis_port, "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    run("up")
    server.terminate()
    server.wait()
run("down")
print(json.dumps(answers))
"""


def requests_with_redis(app, database_url, tmp_path, port, start_redis):
    author, rater = make_user(app), make_user(app)
    env = {**os.environ, "MITREDEN_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", REQUESTS, database_url, str(port), author.email, PASSWORD,
                             start_redis, rater.email], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_with_redis_unreachable_login_comment_and_rating_answer_and_a_warning_is_logged(app, database_url, tmp_path):
    """Item 10: with REDIS_URL pointing nowhere, every rate-limited POST answered 500."""
    answers, log = requests_with_redis(app, database_url, tmp_path, free_port(), "no")
    assert answers == {"down wrong login": 422, "down login": 303, "down comment": 303, "down rate": 303}
    assert "Rate limit storage unreachable" in log and "WARNING" in log
    assert "Traceback" not in log and "ERROR" not in log


def test_when_redis_goes_away_mid_run_the_limits_go_on_in_memory(app, database_url, tmp_path):
    """Item 10, the other way round: Redis answers first, then stops while the app runs."""
    assert shutil.which("redis-server"), "redis-server is needed (Debian: apt-get install redis-server)"
    answers, log = requests_with_redis(app, database_url, tmp_path, free_port(), "yes")
    assert set(answers.values()) <= {303, 422}, answers
    assert answers["up login"] == answers["down login"] == 303
    assert answers["down comment"] == 303 and answers["down rate"] == 303
    assert "Rate limit storage unreachable" in log
    assert "Traceback" not in log and "ERROR" not in log


def serve(tmp_path, port, **env):
    """``make serve`` as an operator runs it, on a SQLite database of its own."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("REDIS_URL", "WEB_CONCURRENCY", "DATABASE_URL", "MAKEFLAGS", "MAKELEVEL")}
    environment.update({"SECRET_KEY": "s" * 40, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
                        "MITREDEN_INSTANCE": str(tmp_path), "HOST": "127.0.0.1", "PORT": str(port),
                        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PASSWORD_HASHING": "standard", **env})
    return subprocess.Popen(["make", "--no-print-directory", "serve"], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def test_make_serve_refuses_two_workers_without_redis(tmp_path):
    """Item 11: two workers without REDIS_URL counted every limit twice, and nobody was told."""
    process = serve(tmp_path, free_port(), WEB_CONCURRENCY="2")
    output, _ = process.communicate(timeout=180)
    assert process.returncode != 0
    assert "2 workers without REDIS_URL" in output and "Set REDIS_URL" in output and "WEB_CONCURRENCY=1" in output
    assert "Traceback" not in output


def test_make_serve_without_redis_starts_one_worker_and_says_where_limits_count(tmp_path):
    """Item 11: the default without REDIS_URL is one worker (exact limits), and the log says so."""
    port = free_port()
    process = serve(tmp_path, port)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).status == 200:
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()[-3000:]
                time.sleep(0.3)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "No REDIS_URL: rate limits count in this one worker process" in output
    assert output.count("Booting worker") == 1


def test_without_redis_limits_count_in_a_memory_swept_by_one_thread(app, monkeypatch):
    """The in-process storage (no ``REDIS_URL``): a count after a quiet moment starts no thread (limits' own
    started one after every quiet 10 ms, and the request waited for it), a limit holds and runs out as before,
    and what ran out is swept away."""
    import threading

    from limits import RateLimitItemPerSecond
    from limits.storage import MemoryStorage, storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    from webapp.extensions import SweptMemoryStorage

    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")  # the hook limits calls on every count
    if "REDIS_URL" not in os.environ:
        assert app.config["RATELIMIT_STORAGE_URI"] == "mitreden-memory://"
    storage = storage_from_string("mitreden-memory://")
    assert isinstance(storage, SweptMemoryStorage)
    storage.SWEEP_SECONDS = 0.2
    limiter = FixedWindowRateLimiter(storage)
    limit = RateLimitItemPerSecond(2, 1)
    assert limiter.hit(limit, "reader") and limiter.hit(limit, "reader") and not limiter.hit(limit, "reader")
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread.name), start(thread))[1])
    for number in range(5):
        time.sleep(0.02)  # longer than limits' 10 ms timer
        limiter.hit(limit, f"quiet {number}")
    assert started == []
    time.sleep(1.3)  # the window has run out, and the sweeper has been by since
    assert limiter.hit(limit, "reader")
    assert not any(key.endswith(("quiet 0", "quiet 1")) for key in storage.storage)
