"""Jobs that write mail run in the real worker, which has no request: each one's mail arrives.

A job has an app context but no request, so anything it renders may read only the recipient's
mode (staff report B1: the daily digest and the end-of-block mail crashed on the page's mode).
Every job the worker knows is listed here, either with the mail it writes or with why it writes none,
so a new job that mails is tested through the worker too.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlmodel import Session, select

from tests.factories import CommentFactory, PersonBlockFactory, ReportFactory
from tests.jobs_support import STORAGES, running_worker, smtp, wait_for_mail  # noqa: F401  (smtp: a fixture)
from tests.support import make_user
from webapp.models import Comment, Project

#: Jobs that render and store mail of their own: run by the worker in the test below.
MAILING = {"webapp.moderation.tasks.moderation_digest", "webapp.moderation.tasks.tell_ended_blocks",
           "webapp.moderation.tasks.report_mail_batches"}
#: Jobs that write no mail of their own, and where what they do is tested.
SILENT = {
    "webapp.mail.tasks.deliver": "delivers stored mail (test_jobs: test_a_worker_delivers_from_the_real_queue)",
    "webapp.mail.tasks.sweep_outbox": "queues delivery of stored mail (test_jobs: the outage tests)",
    "webapp.mail.tasks.prune_outbox": "deletes sent mail (test_jobs: test_sent_mail_is_pruned_after_a_week)",
    "webapp.accounts.tasks.expire_unconfirmed_accounts": "deletes accounts, tells no one (test_jobs)",
}


def test_every_job_is_either_run_for_its_mail_or_known_to_send_none():
    from webapp import jobs

    jobs.discover()
    assert set(jobs.queue._registry._registry) == MAILING | set(SILENT)


def _reported_comment(session, project: Project, author_id: int, reporter_id: int) -> Comment:
    """A comment in ``project``, reported once just now."""
    comment = CommentFactory(session=session, project=project, author_id=author_id, body=f"Gemeldet {secrets.token_hex(4)}",
                             report_count=1, open_report_count=1)
    ReportFactory(session=session, comment=comment, reporter_id=reporter_id, reason="spam")
    return comment


def _text(envelope) -> tuple[str, str]:
    message = message_from_bytes(envelope.content, policy=policy.default)
    return message["Subject"], message.get_content()


@pytest.mark.parametrize("storage", STORAGES)
def test_the_periodic_jobs_mail_through_the_real_worker(app, smtp, tmp_path, storage):
    """The daily digest reaches a moderator on the default setting, a person whose block ran out is told so,
    and a report that waited for its comment's batch reaches the moderator who wants each: all written by the
    worker's jobs in the recipients' modes (no request anywhere)."""
    from webapp import clock
    from webapp.moderation.tasks import moderation_digest, report_mail_batches, tell_ended_blocks

    moderator = make_user(app, role="moderator", language="simple")  # the default: the daily digest
    each = make_user(app, role="moderator", language="en")  # a mail for each reported comment, in batches
    person = make_user(app, language="en")
    author, first, second = make_user(app), make_user(app), make_user(app)  # before the session: one writer at a time
    now = clock.utcnow()
    with Session(app.extensions["db_engine"]) as session:
        from webapp.accounts.models import User
        from webapp.mail.models import OutboxMessage

        session.get(User, each.id).report_mail = "each"
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        comment = _reported_comment(session, project, author.id, first.id)
        waiting = ReportFactory(session=session, comment=comment, reporter=second, reason="insult")
        # The comment's first report was mailed to ``each`` 11 minutes ago; the second waits for the batch.
        session.add(OutboxMessage(key=f"report:{comment.id}:{each.id}:{waiting.id - 1}", recipient=each.email,
                                  template="report_received", subject="s", message=b"x",
                                  created_at=now - timedelta(minutes=11), next_attempt_at=now - timedelta(minutes=11),
                                  sent_at=now - timedelta(minutes=11)))
        PersonBlockFactory(session=session, user=person, project=project, reason="Beleidigungen",
                           created_at=now - timedelta(days=7), ends_at=now - timedelta(minutes=5))
        session.commit()
        comment_id = comment.id
    with running_worker(app, smtp, tmp_path, storage) as (queued, log):
        with queued.app_context():
            moderation_digest()  # queued as the worker's scheduler queues it at 06:00 UTC
            tell_ended_blocks()  # and every hour
            report_mail_batches()  # and every 5 minutes
        [digest] = wait_for_mail(smtp, moderator.email, log)
        [over] = wait_for_mail(smtp, person.email, log)
        [batch] = wait_for_mail(smtp, each.email, log)
    output = log.read_text()
    assert "Traceback" not in output and "Unhandled exception" not in output, output
    subject, text = _text(digest)
    assert subject.startswith("Moderation:")
    assert f"/einfach/staff/projects/smart-city/moderation/comments/{comment_id}" in text
    subject, text = _text(over)
    assert subject == "You can take part again" and "/en/projects/smart-city" in text
    subject, text = _text(batch)
    assert subject.startswith("A comment was reported") and f"/en/staff/projects/smart-city/moderation/comments/{comment_id}" in text
