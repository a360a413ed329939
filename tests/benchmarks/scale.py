"""``make bench`` (scale): does the chapter page slow down as the database grows?

Measures the chapter page with 1,000 comments (page cache off: the cost of rendering)
on the demo database, then again after the database has grown to 1,000,000 comments
across 100 projects, and prints both times, their ratio and the SQL queries of each.
Target (issue 4): within 1.5x, with the same number of queries. Nothing is asserted.

Runs on a fresh SQLite database, or on ``DATABASE_URL``'s database, which it wipes:
use a test one. ``SCALE_COMMENTS`` changes the size (default 1,000,000).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.chapter import add_comments, measure  # noqa: E402
from tests.support import demo_app, fresh_database  # noqa: E402

PROJECTS = 100
USERS = 5000
BATCH = 20_000
PATH = "/de/projects/smart-city/chapters/mobil"


def grow(session: Session, comments: int) -> None:
    """Add projects (copies of the demo's running one) and comments until there are ``comments``."""
    from webapp.demo import _read, build_project
    from webapp.models import Comment, Organisation, Project, User

    data = _read("smart-city.toml")
    organisation = session.execute(select(Organisation)).scalars().first()
    existing = session.execute(select(func.count()).select_from(Project)).scalar_one()
    for number in range(PROJECTS - existing):
        session.add(build_project(data, organisation, date.today(), slug=f"projekt-{number + 1:03}"))
    session.commit()

    session.execute(insert(User), [
        {"username": f"Leser{n}", "username_key": f"leser{n}", "email": f"leser{n}@example.org",
         "email_key": f"leser{n}@example.org", "password_hash": "-", "role": "participant", "language": "de",
         "created_at": datetime.now(UTC), "session_token": f"bench{n:035}",
         "email_confirmed_at": datetime.now(UTC)} for n in range(USERS)])
    session.commit()
    users = session.execute(select(User.id)).scalars().all()
    # Every chapter of every other project, with its paragraphs: where the new comments go.
    places = []
    for project in session.execute(select(Project).where(Project.slug != "smart-city")).scalars():
        for chapter in project.document.chapters:
            places.append((project.id, chapter.id, [p.id for p in chapter.paragraphs]))

    rng = random.Random(1)
    next_id = session.execute(select(func.max(Comment.id))).scalar_one() + 1
    start = datetime.now(UTC) - timedelta(days=30)
    missing = comments - session.execute(select(func.count()).select_from(Comment)).scalar_one()
    table = Comment.__table__
    started = time.perf_counter()
    while missing > 0:
        rows, tops = [], []
        for _ in range(min(BATCH, missing)):
            project_id, chapter_id, paragraphs = rng.choice(places)
            parent = rng.choice(tops) if tops and rng.random() < 0.3 else None
            if parent is not None:
                project_id, chapter_id, paragraph_id = parent["project_id"], parent["chapter_id"], parent["paragraph_id"]
                parent["reply_count"] += 1
            else:
                paragraph_id = rng.choice(paragraphs) if rng.random() < 0.4 else None
            row = {"id": next_id, "project_id": project_id, "chapter_id": chapter_id, "paragraph_id": paragraph_id,
                   "parent_id": parent["id"] if parent else None, "author_id": rng.choice(users),
                   "body": "Ein Beitrag zur Strategie. " * rng.randint(1, 12), "category": None,
                   "created_at": start + timedelta(seconds=next_id), "edited_at": None, "deleted_at": None,
                   "submission_key": None, "agree_count": rng.randint(0, 9), "disagree_count": rng.randint(0, 3),
                   "reply_count": 0}
            rows.append(row)
            if parent is None:
                tops.append(row)
            next_id += 1
        session.execute(insert(table), rows)
        session.commit()
        missing -= len(rows)
        if sys.stdout.isatty():
            print(f"\r  {comments - missing:,} comments", end="", flush=True)
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('comment', 'id'), (SELECT max(id) FROM comment))"))
        session.commit()
        # Fresh statistics, as autovacuum keeps them in production (our test servers run without it):
        # with none, the planner guesses thousands of replies per comment and plans a parallel scan.
        session.execute(text("ANALYZE"))
        session.commit()
    print(f"{chr(13) if sys.stdout.isatty() else ''}  {comments:,} comments written in {time.perf_counter() - started:.0f} s")


def main() -> None:
    total = int(os.environ.get("SCALE_COMMENTS", 1_000_000))
    os.environ.setdefault("MITREDEN_INSTANCE", tempfile.mkdtemp(prefix="mitreden-scale-"))
    app = demo_app(fresh_database(Path(os.environ["MITREDEN_INSTANCE"])), PAGE_CACHE_SECONDS=0,
                   PAGE_RENDER_RATE_LIMIT="")  # one client renders hundreds of pages: the limit would answer 429
    engine = app.extensions["db_engine"]
    with Session(engine) as session:
        add_comments(session, "mobil", 1000, 200)
    client = app.test_client()
    client.get(PATH)
    print(f"\nScale: the chapter page {PATH} with 1,000 comments, page cache off, database {engine.dialect.name}")
    print("  Small database (the demo):")
    small = measure(client, engine, PATH)
    print(f"  Growing the database to {total:,} comments across {PROJECTS} projects …")
    with Session(engine) as session:
        grow(session, total)
        counts = [session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in ("comment", "project")]
    print(f"  Large database ({counts[0]:,} comments, {counts[1]} projects):")
    large = measure(client, engine, PATH)
    ratio = large["median"] / small["median"]
    print(f"  large/small median: {ratio:.2f} (target at most 1.5: {'met' if ratio <= 1.5 else 'MISSED'}); "
          f"queries {small['queries']} and {large['queries']} "
          f"({'the same' if small['queries'] == large['queries'] else 'DIFFERENT'})")


if __name__ == "__main__":
    main()
