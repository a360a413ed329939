"""Numbers in the interface follow each page's locale, whichever page the app rendered first.

Jinja folds a filter on a literal at compile time: ``1000|format_number`` was formatted once,
in the locale of the first page that used the template, and every later page showed it so
("1,000" on German pages after one English one).
"""

from sqlmodel import select

from tests.support import login, make_user, soup
from webapp.models import Comment, Project


def test_limits_are_formatted_in_the_locale_of_each_page(app, client, session):
    project = "smart-city"
    project_id = session.exec(select(Project.id).where(Project.slug == project)).one()
    comment = session.exec(select(Comment).where(Comment.project_id == project_id, Comment.deleted_at.is_(None))).first()
    chapter = f"/{{}}/projects/{project}/chapters/nachhaltig"
    report = f"/{{}}/projects/{project}/comments/{comment.id}/report"
    login(client, make_user(app))
    for prefix, thousand in (("en", "1,000"), ("de", "1.000"), ("einfach", "1.000"), ("en", "1,000")):
        hint = soup(client.get(report.format(prefix))).find(id="explanation-hint")
        assert hint is not None and thousand in hint.get_text(), (prefix, hint)
    for prefix, four_thousand in (("en", "4,000"), ("de", "4.000"), ("en", "4,000")):
        hint = soup(client.get(chapter.format(prefix))).find(id="body-hint")
        assert hint is not None and four_thousand in hint.get_text(), (prefix, hint)
