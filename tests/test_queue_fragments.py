"""The moderation queue keeps each item's HTML (webapp.moderation.fragments), and that changes nothing a
moderator sees (issue 16): the page is, byte for byte, the one rendered without the cache, in every mode
and filter, and a change to anything an item shows is on the next page at once."""

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.factories import CommentFactory, ReportFactory
from tests.support import ROOT, login, make_user
from tests.test_fragments import cache_off, normalised
from webapp.comments.models import Comment
from webapp.documents.models import Chapter, ChapterText, Paragraph, ParagraphText
from webapp.moderation.models import ModeratorNote

QUEUE = "/{mode}/staff/projects/smart-city/moderation"


@pytest.fixture()
def queue(app, session):
    """Reported comments in several states, a reply, one on a paragraph, one with a note; a moderator's client."""
    moderator = make_user(app, role="moderator")
    author = make_user(app)
    now = datetime.now(UTC)
    plain = CommentFactory(app=app, chapter="teilhabe", author=author, report_count=2, open_report_count=2)
    chapter = session.get(Chapter, plain.chapter_id)
    paragraph = session.exec(select(Paragraph).where(Paragraph.chapter_id == chapter.id)).first()
    rows = {
        "plain": plain,
        "hidden": CommentFactory(app=app, chapter="teilhabe", hidden_at=now, report_count=3, open_report_count=3),
        "on a paragraph": CommentFactory(app=app, paragraph=paragraph, report_count=1, open_report_count=1),
        "english": CommentFactory(app=app, chapter="teilhabe", language="en", report_count=1, open_report_count=1),
        "gone": CommentFactory(app=app, chapter="teilhabe", author=None, report_count=1, open_report_count=1),
    }
    rows["reply"] = CommentFactory(app=app, parent=rows["plain"], report_count=1, open_report_count=1)
    for row in rows.values():
        for _ in range(row.report_count):
            ReportFactory(app=app, comment=row, reason="insult" if row is rows["hidden"] else "spam")
    session.add(ModeratorNote(comment_id=rows["plain"].id, project_id=rows["plain"].project_id,
                              author_id=moderator.id, author_name=moderator.username, body="Beobachten"))
    session.commit()
    client = app.test_client()
    login(client, moderator)
    client.get("/de/imprint")  # the "logged in" message shown once
    return {"client": client, "rows": rows, "author": author, "chapter": chapter, "paragraph": paragraph}


def test_the_queue_is_the_page_rendered_without_the_cache(app, queue):
    client = queue["client"]
    for mode in ("de", "en", "einfach"):
        for query in ("", "?show=needs_review", "?sort=newest", "?show=reported&sort=newest"):
            path = QUEUE.format(mode=mode) + query
            with cache_off(app):
                expected = normalised(client.get(path))
            app.extensions["fragment_cache"].clear()
            assert normalised(client.get(path)) == expected, path  # made and kept
            assert normalised(client.get(path)) == expected, path  # from what was kept


def test_a_change_to_an_item_shows_at_once(app, session, queue):
    client, rows = queue["client"], queue["rows"]
    path = QUEUE.format(mode="de")

    def item(name: str, query: str = "?sort=newest") -> str:
        """The item of ``rows[name]``: newest first, this test's comments are on the first page (others' may be
        reported too)."""
        html = client.get(path + query).get_data(as_text=True)
        return html.split(f'id="item-{rows[name].id}"')[1].split("</article>")[0]

    def change(row, **values):
        row = session.get(type(row), row.id)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()

    item("plain"), item("reply"), item("on a paragraph")  # all kept
    change(rows["plain"], body="Ganz neuer Text", edited_at=datetime.now(UTC))
    assert "Ganz neuer Text" in item("plain")
    assert "Ganz neuer Text" in item("reply")  # the comment it answers, quoted
    change(rows["plain"], blocked_at=datetime.now(UTC), block_reason="spam")
    assert ">gesperrt<" in item("plain", "?show=blocked")
    ReportFactory(app=app, comment=rows["english"], reason="insult")
    change(rows["english"], report_count=2, open_report_count=2)
    assert re.search(r"2 Meldungen", item("english"))
    session.add(ModeratorNote(comment_id=rows["english"].id, project_id=rows["english"].project_id,
                              author_name="x", body="Notiz"))
    session.commit()
    assert "1 Notiz" in item("english")
    change(queue["author"], username="Umbenannte Person")
    assert "Umbenannte Person" in item("reply")  # the author of the comment it answers
    title = session.exec(select(ChapterText).where(ChapterText.chapter_id == queue["chapter"].id,
                                                   ChapterText.language == "de")).one()
    change(title, title="Ein neuer Kapiteltitel")
    assert "Ein neuer Kapiteltitel" in item("english")
    text = session.exec(select(ParagraphText).where(ParagraphText.paragraph_id == queue["paragraph"].id,
                                                    ParagraphText.language == "de")).one()
    change(text, heading="Eine neue Überschrift")
    assert "Eine neue Überschrift" in item("on a paragraph")
    assert ">nach Meldungen ausgeblendet<" not in item("gone")
    change(rows["gone"], hidden_at=datetime.now(UTC))
    assert ">nach Meldungen ausgeblendet<" in item("gone")


def test_every_attribute_the_item_reads_is_in_the_key():
    """The key holds every column of the comment and of the comment it answers; what else the macro reads of
    them is their author (its name is in the key). Anything new the item shows must go into the key too."""
    template = (ROOT / "templates/moderation/queue.html").read_text()
    macro = template[template.index("{% macro queue_item("):template.index("{% endmacro %}")]
    columns = set(Comment.__table__.columns.keys())
    derived = {"is_deleted", "needs_review", "is_hidden", "author"}
    for name in ("c", "parent"):
        read = set(re.findall(rf"\b{name}\.(\w+)", macro))
        assert read and read <= columns | derived, read - columns - derived
    # Beyond the comments: exactly what the key holds of the listing, and the macro's arguments.
    assert set(re.findall(r"\blisting\.(\w+)", macro)) == {"chapters", "paragraphs", "parents", "reasons", "notes"}
