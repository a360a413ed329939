"""``make bench``: what the chapter page costs a reader on a slow phone, and the server.

Prints figures; asserts nothing (timings vary by machine). Runs on a fresh SQLite
database with the demo (or on ``DATABASE_URL``'s database, which it wipes: use a test one).
"""

from __future__ import annotations

import gzip
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support import demo_app, fresh_database  # noqa: E402

REQUESTS = 200
ROUND_TRIP = 14 * 1024  # what the first TCP round trip carries (10 segments of ~1460 bytes)
FIRST_VISIT_BUDGET = 40 * 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def main() -> None:
    os.environ.setdefault("MITREDEN_INSTANCE", tempfile.mkdtemp(prefix="mitreden-bench-"))
    # The page cache off: these figures are the cost of rendering (the load benchmark has it on).
    app = demo_app(fresh_database(Path(os.environ["MITREDEN_INSTANCE"])), PAGE_CACHE_SECONDS=0,
                   PAGE_RENDER_RATE_LIMIT="")  # one client renders hundreds of pages: the limit would answer 429
    from webapp import db

    with app.app_context(), Session(db.engine()) as session:
        chapter = demo_chapter(session)
    client = app.test_client()
    path = f"/de/projects/smart-city/chapters/{chapter}"

    html = client.get(path).data
    print(f"Chapter page {path}")
    print(f"  HTML: {len(html):,} bytes raw, {gz(html):,} bytes gzipped "
          f"(target under {ROUND_TRIP:,}: {'met' if gz(html) < ROUND_TRIP else 'MISSED'})")

    assets = re.findall(rb'(?:href|src)="(/(?:static|assets)/[^"]+)"', html)
    total, lines = gz(html), []
    for asset in assets:
        body = client.get(asset.decode()).data
        total += gz(body)
        lines.append(f"    {asset.decode()}: {len(body):,} raw, {gz(body):,} gzipped")
    print(f"  First visit: {1 + len(assets)} requests, {total:,} bytes gzipped in all "
          f"(target under {FIRST_VISIT_BUDGET:,}: {'met' if total < FIRST_VISIT_BUDGET else 'MISSED'}); no web fonts")
    print("\n".join(lines))

    with app.app_context():
        engine = db.engine()
    measure(client, engine, path)

    with app.app_context(), Session(db.engine()) as session:
        added = add_comments(session, chapter, 1000, 200)
    html = client.get(path).data
    print(f"\nThe same chapter with {added[0]:,} comments and {added[1]:,} replies (first page of 20 shown)")
    print(f"  HTML: {len(html):,} bytes raw, {gz(html):,} bytes gzipped")
    measure(client, engine, path)


def measure(client, engine, path: str) -> dict:
    """Median and p95 server time over REQUESTS requests, and the SQL queries each made (printed and returned)."""
    figures = timings(engine, lambda: client.get(path), REQUESTS)
    print(f"  Server time over {REQUESTS} requests (in process, {engine.dialect.name}): "
          f"median {figures['median'] * 1000:.1f} ms, p95 {figures['p95'] * 1000:.1f} ms")
    print(f"  SQL queries per request: {figures['fewest']}–{figures['queries']}")
    return figures


def timings(engine, send, requests: int) -> dict:
    """``send()`` ``requests`` times, each answered 200: median and p95 of its time (seconds), the most and the
    fewest SQL queries one made."""
    queries: list[int] = []

    def count(*_args):
        queries[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    seconds = []
    try:
        for _ in range(requests):
            queries.append(0)
            started = time.perf_counter()
            response = send()
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {"median": statistics.median(seconds), "p95": sorted(seconds)[int(requests * 0.95) - 1],
            "queries": max(queries), "fewest": min(queries)}


def add_comments(session, chapter_slug: str, comments: int, replies: int) -> tuple[int, int]:
    """``comments`` comments on the chapter and ``replies`` replies spread over the newest ones."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import select

    from webapp.models import Comment, Project, User

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if c.slug == chapter_slug)
    authors = session.exec(select(User)).all()
    start = datetime.now(UTC) - timedelta(days=10)
    tops = [Comment(project_id=project.id, chapter_id=chapter.id, author_id=authors[i % len(authors)].id,
                    body=f"Kommentar {i}: " + "Ein Gedanke zur Strategie. " * (1 + i % 6),
                    created_at=start + timedelta(seconds=i * 60), agree_count=i % 7, reply_count=0)
            for i in range(comments)]
    session.add_all(tops)
    session.flush()
    for i in range(replies):
        parent = tops[-1 - (i % 40)]
        parent.reply_count += 1
        session.add(Comment(project_id=project.id, chapter_id=chapter.id, parent_id=parent.id,
                            author_id=authors[(i + 1) % len(authors)].id, body=f"Antwort {i}",
                            created_at=parent.created_at + timedelta(minutes=5 + i)))
    session.commit()
    return comments, replies


def demo_chapter(session) -> str:
    """The running project's longest chapter: the heaviest page a reader meets."""
    from sqlmodel import select

    from webapp.models import Project

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    return max(project.document.chapters, key=lambda c: sum(len(t.body) for p in c.paragraphs for t in p.texts)).slug


if __name__ == "__main__":
    main()
