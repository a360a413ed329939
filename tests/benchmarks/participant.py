"""``make bench`` (people who take part, issue 16): what a logged-in request costs the server, in process.

- the chapter page with 1,000 comments and 200 replies as the demo participant (own comments,
  own ratings, forms with their token): target median under 5 ms; as they see it again (kept for them,
  webapp.readercache) and as it is rendered for the first view after any change;
- posting a comment and rating one, as htmx sends them: target median under 10 ms each;
- the moderation queue with 1,000 open reports and the audit log with 10,000 entries, as the
  demo moderator and initiator: under 20 ms, and the same number of queries as with 100.

Prints figures; asserts nothing. Runs on a fresh SQLite database, or on ``DATABASE_URL``'s,
which it wipes: use a test one. The limits on renders and comments are lifted here: they would
measure the limits.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.chapter import add_comments, timings  # noqa: E402
from tests.support import demo_app, fresh_database  # noqa: E402

CHAPTER = "/de/projects/smart-city/chapters/mobil"
REQUESTS = 100
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost" + CHAPTER}
#: The comment form's account of the list below it (documents.views._listed), sent with it.
LISTED = re.compile(r'name="listed" id="comment-listed" value="([^"]+)"')


def timed(engine, send, requests: int = REQUESTS) -> dict:
    """Median and p95 of ``send()``'s time in milliseconds, and the most queries one made."""
    figures = timings(engine, send, requests)
    return {**figures, "median": figures["median"] * 1000, "p95": figures["p95"] * 1000}


def line(label: str, figures: dict, target: float | None = None) -> None:
    verdict = f"  (target under {target:g} ms: {'met' if figures['median'] < target else 'MISSED'})" if target else ""
    print(f"  {label:48} median {figures['median']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
          f"{figures['queries']:3} queries{verdict}")


def logged_in(app, email: str):
    client = app.test_client()
    page = client.get("/de/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post("/de/account/login", data={"email": email, "password": "mitreden-demo", "csrf_token": token})
    assert response.status_code == 303, "the demo login failed"
    page = client.get(CHAPTER).get_data(as_text=True)  # the "logged in" message, shown once
    # The session (and its form token) is new after the login.
    return client, re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def add_reports(session, project_slug: str, reports: int) -> None:
    """``reports`` open reports, each on a comment of its own, by the demo's accounts."""
    from webapp.models import Comment, Project, Report, User

    project = session.exec(select(Project).where(Project.slug == project_slug)).one()
    chapter = project.document.chapters[0]
    users = session.execute(select(User.id)).scalars().all()
    start = datetime.now(UTC) - timedelta(days=3)
    comments = [Comment(project_id=project.id, chapter_id=chapter.id, author_id=users[i % len(users)],
                        body=f"Gemeldet {i}", created_at=start + timedelta(seconds=i), report_count=1, open_report_count=1)
                for i in range(reports)]
    session.add_all(comments)
    session.flush()
    session.execute(insert(Report), [{"comment_id": c.id, "reporter_id": users[(i + 1) % len(users)], "reason": "spam",
                                      "explanation": "", "comment_text": c.body, "created_at": c.created_at}
                                     for i, c in enumerate(comments)])
    session.commit()


def add_audit_entries(session, project_slug: str, entries: int) -> None:
    from webapp.models import AuditEntry, Project

    project = session.exec(select(Project).where(Project.slug == project_slug)).one()
    start = datetime.now(UTC) - timedelta(days=30)
    session.execute(insert(AuditEntry), [
        {"created_at": start + timedelta(seconds=i), "actor_id": None, "actor_name": "system", "action": "comment.block",
         "object_type": "comment", "object_id": i + 1, "project_id": project.id, "organisation_id": project.organisation_id,
         "reason": "", "details": ""} for i in range(entries)])
    session.commit()


def settle(engine) -> None:
    """What PostgreSQL does on its own within a minute after thousands of rows arrive (autovacuum: the
    visibility map that index-only scans need, fresh statistics). Measured at once, the pages would pay for a
    state no site is in for long. SQLite does nothing of the kind by itself: nothing here either."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def main() -> None:
    os.environ.setdefault("MITREDEN_INSTANCE", tempfile.mkdtemp(prefix="mitreden-bench-"))
    app = demo_app(fresh_database(Path(os.environ["MITREDEN_INSTANCE"])), PAGE_CACHE_SECONDS=0,
                   PAGE_RENDER_RATE_LIMIT="", COMMENT_RATE_LIMIT="100000 per minute")
    engine = app.extensions["db_engine"]
    with Session(engine) as session:
        add_comments(session, "mobil", 1000, 200)
    print(f"\nTaking part, in process ({engine.dialect.name}), as the demo participant, moderator and initiator")
    participant, token = logged_in(app, "participant@example.org")
    participant.get(CHAPTER)
    line("chapter, 1,000 comments + 200 replies", timed(engine, lambda: participant.get(CHAPTER)), 5)
    line("logged-in imprint (no discussion)", timed(engine, lambda: participant.get("/de/imprint")))
    # What the first request after any change costs: rendered, with the comments' HTML kept (not the reader's page).
    app.config["READER_PAGE_SECONDS"] = 0
    line("chapter rendered (the first view after a change)", timed(engine, lambda: participant.get(CHAPTER)))
    line("imprint rendered (the first view after a change)", timed(engine, lambda: participant.get("/de/imprint")))
    app.config["READER_PAGE_SECONDS"] = 300

    counter = iter(range(10**6))
    # As the browser sends the form: with what it says of the list below it, as the last answer left it.
    listed = [LISTED.search(participant.get(CHAPTER).get_data(as_text=True)).group(1)]

    def post():
        answer = participant.post(CHAPTER + "/comments", headers=HTMX, data={
            "csrf_token": token, "body": f"Noch ein Gedanke {next(counter)}", "listed": listed[0]})
        listed[0] = LISTED.search(answer.get_data(as_text=True)).group(1)
        return answer

    line("posting a comment (htmx)", timed(engine, post), 10)
    with Session(engine) as session:
        from webapp.models import Comment, User

        me = session.execute(select(User.id).where(User.email == "participant@example.org")).scalar_one()
        other = session.execute(select(Comment.id).where(Comment.author_id != me, Comment.parent_id.is_(None))
                                .order_by(Comment.id.desc())).scalars().first()
    # 50 ratings: the limit on ratings (60 a minute per account) stays on.
    line("rating a comment (htmx, agree and back)", timed(engine, lambda: participant.post(
        f"/de/projects/smart-city/comments/{other}/rating", headers=HTMX, data={"csrf_token": token, "agree": "1"}), 50), 10)

    moderator, _token = logged_in(app, "moderator@example.org")
    initiator, _token = logged_in(app, "initiator@example.org")
    queue, log = "/de/staff/projects/smart-city/moderation", "/de/staff/projects/smart-city/audit"
    for reports, entries in ((100, 100), (1000, 10_000)):
        with Session(engine) as session:
            add_reports(session, "smart-city", reports - (100 if reports > 100 else 0))
            add_audit_entries(session, "smart-city", entries - (100 if entries > 100 else 0))
        settle(engine)
        moderator.get(queue)
        line(f"moderation queue, {reports:,} open reports", timed(engine, lambda: moderator.get(queue), 40), 20)
        initiator.get(log)
        line(f"audit log, {entries:,} entries", timed(engine, lambda: initiator.get(log), 40), 20)


if __name__ == "__main__":
    main()
