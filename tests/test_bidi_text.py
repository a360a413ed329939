"""Right-to-left overrides and other bidi controls do not survive in what people write (issue 9, item 16).

"x\u202etxt.exe" reads as "xexe.txt" in a browser: a comment could show a file name, an address
or a quote that says something other than its letters. Comments, replies, edits and report
explanations drop U+202A–U+202E and U+2066–U+2069; the direction marks (U+200E, U+200F, U+061C)
stay, as right-to-left writing needs them.
"""

import secrets

import pytest
from sqlmodel import select

from tests.support import csrf_token, login, make_user, soup
from webapp.models import Comment, Report

CHAPTER = "/de/projects/smart-city/chapters/nachhaltig"
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.fixture()
def writer(app):
    client = app.test_client()
    login(client, make_user(app))
    return client


def _post(client, url, data, page=CHAPTER):
    token = csrf_token(client.get(page))
    return client.post(url, data={"csrf_token": token, **data})


@pytest.mark.parametrize("prefix", ["de", "en", "einfach"])
def test_a_right_to_left_override_is_stored_and_shown_without_it(app, session, writer, prefix):
    tag = secrets.token_hex(4)
    body = f"Anhang {tag} x\u202etxt.exe"
    response = _post(writer, f"/{prefix}/projects/smart-city/chapters/nachhaltig/comments",
                     {"body": body, "submission_key": secrets.token_hex(8)})
    assert response.status_code == 303
    session.expire_all()
    comment = session.exec(select(Comment).where(Comment.body.contains(tag))).one()
    assert comment.body == f"Anhang {tag} xtxt.exe"
    article = soup(writer.get(f"/{prefix}/projects/smart-city/chapters/nachhaltig")).find(
        "article", id=f"comment-{comment.id}")
    assert "\u202e" not in str(article) and "xtxt.exe" in article.get_text()


def test_every_bidi_control_goes_from_comments_replies_and_edits_but_direction_marks_stay(app, session, writer):
    tag = secrets.token_hex(4)
    body = f"{CONTROLS}Kommentar {tag}\u200f\u200e\u061c {CONTROLS}"
    assert _post(writer, CHAPTER + "/comments", {"body": body, "submission_key": secrets.token_hex(8)}).status_code == 303
    session.expire_all()
    comment = session.exec(select(Comment).where(Comment.body.contains(tag))).one()
    assert comment.body == f"Kommentar {tag}\u200f\u200e\u061c"

    reply_url = f"/de/projects/smart-city/comments/{comment.id}/reply"
    prefix = f"reply-{comment.id}-"
    reply_body = f"Antwort {tag} \u2067abc\u202e"
    assert _post(writer, reply_url, {prefix + "body": reply_body, prefix + "submission_key": secrets.token_hex(8)},
                 page=reply_url).status_code == 303
    session.expire_all()
    reply = session.exec(select(Comment).where(Comment.parent_id == comment.id)).one()
    assert reply.body == f"Antwort {tag} abc"

    edit_url = f"/de/projects/smart-city/comments/{comment.id}/edit"
    assert _post(writer, edit_url, {"body": f"Neu {tag} \u202dx\u202c"}, page=edit_url).status_code == 303
    session.expire_all()
    assert session.get(Comment, comment.id).body == f"Neu {tag} x"


def test_a_text_of_bidi_controls_only_is_an_empty_comment_and_said_so(writer):
    response = _post(writer, CHAPTER + "/comments", {"body": "\u202e\u2066", "submission_key": secrets.token_hex(8)})
    assert response.status_code == 422
    assert soup(response).find(id="body-error")


def test_a_report_explanation_is_stored_without_bidi_controls(app, session, writer):
    author = app.test_client()
    login(author, make_user(app))
    tag = secrets.token_hex(4)
    assert _post(author, CHAPTER + "/comments", {"body": f"Zu melden {tag}",
                                                 "submission_key": secrets.token_hex(8)}).status_code == 303
    session.expire_all()
    comment = session.exec(select(Comment).where(Comment.body.contains(tag))).one()
    url = f"/de/projects/smart-city/comments/{comment.id}/report"
    response = _post(writer, url, {"reason": "other", "explanation": f"Siehe \u202egnp.exe {tag}"}, page=url)
    assert response.status_code == 303
    session.expire_all()
    report = session.exec(select(Report).where(Report.comment_id == comment.id)).one()
    assert report.explanation == f"Siehe gnp.exe {tag}"


def test_discussion_rules_are_stored_and_shown_without_bidi_controls(app, session):
    """The initiators' rules page showed "\u202etxt.exe" reversed (security report 2026-12-06, I-b)."""
    from tests.test_discussion_rules import fresh_project, save, sign_in

    project = fresh_project(app, session)
    initiator = app.test_client()
    sign_in(initiator, make_user(app, role="initiator"))
    tag = secrets.token_hex(4)
    response = save(initiator, project.slug, rules_de=f"Anhang {tag}: x\u202etxt.exe {CONTROLS}\u200f")
    assert response.status_code == 303
    page = soup(app.test_client().get(f"/de/projects/{project.slug}/rules"))
    text = page.select_one(".prose").get_text()
    assert f"Anhang {tag}: xtxt.exe \u200f" in text and not any(c in str(page) for c in CONTROLS)
