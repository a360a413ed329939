"""Every comment count on a page means the same thing and agrees with what a reader finds.

One definition (comments.services.CommentCounts): comments and replies that are not deleted.
A deleted comment with replies stays as a placeholder in its thread but is not counted.
The table of contents and "N comments in this chapter" count a chapter with its paragraphs;
the chapter's discussion heading counts the comments on the whole chapter, each paragraph's
link and heading those on that paragraph.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests.factories import CommentFactory
from tests.support import QueryCounter, login, make_user, soup
from webapp.models import Project


def number(element) -> int:
    """The one number in an element's text, e.g. "(6 Kommentare)" -> 6."""
    found = re.findall(r"\d+", element.get_text())
    assert len(found) == 1, element
    return int(found[0])


def readable_comments(client, url: str) -> tuple[int, int]:
    """(The heading's count, the comments a reader finds) of a discussion, across all its pages."""
    heading, found = None, 0
    while url:
        html = soup(client.get(url))
        if heading is None:
            heading = number(html.find(id="discussion-heading").find(class_="count"))
        found += sum(1 for article in html.find(id="discussion").find_all("article", class_="comment")
                     if not article.find(class_=["comment__deleted", "comment__removed"]))  # placeholders
        pages = html.find(id="comment-pages")  # only where there are comments
        more = pages.find("a", rel="next") if pages else None
        url = more["href"].split("#")[0] if more else None
    return heading, found


@pytest.fixture()
def reader(app, client, session):
    """A logged-in reader (no shared page cache), after a thread whose first comment was deleted
    and a paragraph comment with a deleted reply were added to the demo."""
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = project.document.chapters[0]
    author = make_user(app)
    now = datetime.now(UTC)
    deleted = CommentFactory(session=session, chapter=chapter, author=author, body="", deleted_at=now, reply_count=1,
                             created_at=now - timedelta(minutes=3))
    on_paragraph = CommentFactory(session=session, paragraph=chapter.paragraphs[0], author=author, body="Zum ersten Absatz",
                                  created_at=now - timedelta(minutes=2))
    CommentFactory(session=session, parent=deleted, author=author, body="Antwort bleibt", created_at=now - timedelta(minutes=1))
    CommentFactory(session=session, parent=on_paragraph, author=author, body="", deleted_at=now, created_at=now)
    login(client, make_user(app))
    return client


def test_every_chapter_states_one_count_that_matches_the_comments_a_reader_finds(app, reader, session):
    projects = session.exec(select(Project).where(Project.published)).all()
    assert projects
    for project in projects:
        for chapter in project.document.chapters:
            url = f"/de/projects/{project.slug}/chapters/{chapter.slug}"
            html = soup(reader.get(url))
            toc = html.find("nav", class_="toc-nav").find("a", attrs={"aria-current": "page"}).find_parent("li")
            in_toc = number(toc.find(class_="toc__count"))
            stated = number(html.find(id="chapter-comment-count"))
            on_chapter, found_on_chapter = readable_comments(reader, url)
            assert on_chapter == found_on_chapter, url
            found = found_on_chapter
            for link in html.select(".paragraph__link"):
                linked = number(link.find(class_="paragraph__count"))
                heading, found_here = readable_comments(reader, link.find("a")["href"].split("#")[0])
                assert linked == heading == found_here, (url, link.find("a")["href"])
                found += found_here
            assert in_toc == stated == found, url


def test_the_counts_of_a_whole_document_take_one_query(app, session):
    from webapp.comments.services import comment_counts

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    ids = [chapter.id for chapter in project.document.chapters]
    assert len(ids) > 1
    with app.app_context(), QueryCounter(app) as queries:
        counts = comment_counts(ids)
    assert queries.count == 1
    assert sum(counts.by_chapter.values()) == sum(counts.on_chapter.values()) + sum(counts.by_paragraph.values())
