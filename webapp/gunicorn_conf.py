"""gunicorn's settings for ``make serve`` (production): workers, and a check that limits stay exact.

Rate limits count in Redis when ``REDIS_URL`` is set; without it each worker process counts on
its own, so with two workers every limit (login attempts, registrations, comments ...) would be
twice as loose, and nobody would notice. So:

- ``WEB_CONCURRENCY`` workers, by default 2 with ``REDIS_URL`` and 1 without (4 threads each);
- more than one worker without ``REDIS_URL`` is refused at start, with a message saying what to set.
"""

from __future__ import annotations

import os

worker_class = "gthread"
threads = 4


def default_workers(environ=os.environ) -> int:
    return int(environ.get("WEB_CONCURRENCY") or (2 if environ.get("REDIS_URL") else 1))


def limits_problem(workers: int, environ=os.environ) -> str | None:
    """Why these settings must not start, or ``None``."""
    if workers > 1 and not environ.get("REDIS_URL"):
        return (f"{workers} workers without REDIS_URL: each worker would count rate limits on its own, so every "
                f"limit (logins, registrations, comments) would allow {workers} times as much. Set REDIS_URL "
                "(e.g. REDIS_URL=redis://127.0.0.1:6379/0) to share the counts, or WEB_CONCURRENCY=1.")
    return None


workers = default_workers()


def on_starting(server) -> None:
    """Before any worker starts: refuse (gunicorn prints "Error: ..." and exits 1), or say where limits count."""
    problem = limits_problem(server.cfg.workers)
    if problem:
        raise RuntimeError(problem)
    if os.environ.get("REDIS_URL"):
        server.log.info("Rate limits count in Redis, shared by all %s workers and instances", server.cfg.workers)
    else:
        server.log.warning("No REDIS_URL: rate limits count in this one worker process's memory; "
                           "set REDIS_URL to run more workers or instances")
