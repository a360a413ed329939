"""Comments keep the language they were written in, and pages in other modes say so (WCAG 3.1.2).

A German comment on an English page is marked ``lang="de"`` (and an English one on a German
page ``lang="en"``), so screen readers read it with the right voice: in the discussion and
where the comment is quoted (reply, report and delete pages).
"""

import secrets

import pytest
from sqlmodel import select

from tests.support import login, make_user, soup
from webapp.models import Comment

PROJECT = "/{prefix}/projects/smart-city"
CHAPTER = PROJECT + "/chapters/nachhaltig"


def lang_of(element) -> str:
    """The language an element is read in: its own ``lang`` or its nearest ancestor's (at last <html>)."""
    return element.get("lang") or element.find_parent(attrs={"lang": True})["lang"]


def write(client, session, prefix: str, reply_to: Comment | None = None) -> Comment:
    """Publish a comment from the chapter page in mode ``prefix`` (or a reply from that mode's reply page)."""
    url = CHAPTER.format(prefix=prefix) + "/comments"
    page = CHAPTER.format(prefix=prefix)
    if reply_to is not None:
        url = page = PROJECT.format(prefix=prefix) + f"/comments/{reply_to.id}/reply"
    body = f"Text {secrets.token_hex(5)}"
    form = soup(client.get(page)).find("form", action=url)
    data = {field["name"]: field.get("value", "") for field in form.find_all("input", type="hidden")}
    data[form.find("textarea")["name"]] = body
    response = client.post(url, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    session.expire_all()
    return session.exec(select(Comment).where(Comment.body == body)).one()


def body_on(client, url: str, comment: Comment):
    """The element holding ``comment``'s text on the page at ``url``."""
    html = soup(client.get(url))
    text = next((s for s in html.find_all(string=lambda s: s and comment.body in s)
                 if not s.find_parent(class_="comment__name")), None)  # not its name: its text
    assert text is not None, f"{comment.body!r} not on {url}"
    return text.find_parent(class_="comment__body") or text.find_parent("blockquote")


@pytest.fixture()
def author(app, client):
    user = make_user(app)
    login(client, user)
    return client


@pytest.mark.parametrize(("written_in", "language", "read_in", "read_lang"), [
    ("de", "de", "en", "de"),
    ("einfach", "de", "en", "de"),
    ("en", "en", "de", "en"),
    ("en", "en", "einfach", "en"),
])
def test_a_comment_is_marked_with_its_language_wherever_it_is_shown(app, session, author, written_in, language,
                                                                      read_in, read_lang):
    comment = write(author, session, written_in)
    assert comment.language == language
    own_page = CHAPTER.format(prefix=written_in)
    page = CHAPTER.format(prefix=read_in)
    project = PROJECT.format(prefix=read_in)
    # In its own mode the page's language is the comment's: no attribute needed, and none that contradicts.
    assert lang_of(body_on(author, own_page, comment)) == language
    assert lang_of(body_on(author, page, comment)) == read_lang
    # Quoted: deleting one's own comment, replying to it, and (another reader) reporting it.
    assert lang_of(body_on(author, f"{project}/comments/{comment.id}/delete", comment)) == read_lang
    assert lang_of(body_on(author, f"{project}/comments/{comment.id}/reply", comment)) == read_lang
    reader = app.test_client()
    login(reader, make_user(app))
    assert lang_of(body_on(reader, f"{project}/comments/{comment.id}/report", comment)) == read_lang


def test_a_reply_keeps_the_language_of_the_page_it_was_written_on(app, session, author):
    german = write(author, session, "de")
    reply = write(author, session, "en", reply_to=german)
    assert reply.parent_id == german.id and reply.language == "en"
    german_page = CHAPTER.format(prefix="de")
    assert lang_of(body_on(author, german_page, german)) == "de"
    assert lang_of(body_on(author, german_page, reply)) == "en"
    english_page = CHAPTER.format(prefix="en")
    assert lang_of(body_on(author, english_page, german)) == "de"
    assert lang_of(body_on(author, english_page, reply)) == "en"


def test_the_demo_comments_carry_their_language(client, session):
    """The demo has an English reply on a German discussion: marked on the German page, not on the English one."""
    english = session.exec(select(Comment).where(Comment.language == "en", Comment.body.like("Agreed.%"))).first()
    assert english is not None
    assert {c.language for c in session.exec(select(Comment).where(Comment.body.like("Offene Daten ja%"))).all()} == {"de"}
    assert lang_of(body_on(client, "/de/projects/smart-city/chapters/offen", english)) == "en"
    assert lang_of(body_on(client, "/en/projects/smart-city/chapters/offen", english)) == "en"


def test_the_moderators_words_carry_the_language_they_were_written_in(app, session):
    """Staff report M8, citizens report 8 (a): the explanation under a removal notice, on the item page, in the
    audit log, and a person block's reason are marked with their language where it differs from the page's."""
    import secrets as _secrets

    from tests.factories import CommentFactory
    from tests.support import csrf_token, login, make_user, soup

    comment = CommentFactory(session=session, body=f"Meine Nummer {_secrets.token_hex(3)}")
    staff = app.test_client()
    login(staff, make_user(app, role="moderator"))
    item = f"/en/staff/projects/smart-city/moderation/comments/{comment.id}"
    words = "Please do not post phone numbers."
    assert staff.post(f"{item}/block", data={"csrf_token": csrf_token(staff.get(item)), "block-reason": "personal_data",
                                             "block-text": words}).status_code == 303
    for prefix, lang in (("de", "en"), ("einfach", "en"), ("en", None)):
        page = soup(app.test_client().get(f"/{prefix}/projects/smart-city/comments/{comment.id}", follow_redirects=True))
        [said] = [p for p in page.find_all("p") if p.get_text() == words]
        assert said.get("lang") == lang, prefix
    item_de = soup(staff.get(item.replace("/en/", "/de/")))
    assert item_de.find(string=words).parent.get("lang") == "en"
    initiator = app.test_client()
    login(initiator, make_user(app, role="initiator"))
    log = soup(initiator.get("/de/staff/projects/smart-city/audit", query_string={"action": "comment.block"}))
    reason = [span for span in log.select(".audit-table__reason") if words in span.get_text()][0]
    assert reason.get("lang") == "en"


def test_the_excerpt_naming_a_comment_and_its_actions_is_read_in_the_comments_language(app, client, session, author):
    """A German comment on an English page: the article and every action are named by one hidden name
    (``aria-labelledby``), whose quoted first words carry ``lang="de"``; on a German page they need none."""
    comment = write(author, session, "de")
    reader = app.test_client()
    login(reader, make_user(app))
    for prefix, marked in (("en", "de"), ("de", None)):
        article = soup(reader.get(CHAPTER.format(prefix=prefix))).find("article", id=f"comment-{comment.id}")
        assert not article.get("aria-label") and article["aria-labelledby"] == f"comment-{comment.id}-name"
        name = article.find(id=f"comment-{comment.id}-name")
        excerpt = name.find(lang=True)  # the <bdi> around the words
        assert (excerpt["lang"] if excerpt else None) == marked
        assert comment.body in name.get_text()
        actions = article.select(".comment__actions a, .comment__actions button")
        assert len(actions) >= 4  # rate twice, reply, link, report
        for action in actions:
            assert action["aria-labelledby"].split() == [action["id"], f"comment-{comment.id}-name"]
            assert not action.find(class_="visually-hidden")  # text browsers print the name once, not per action
