"""Comments as readers rely on them, without JavaScript (plain forms) and with htmx (fragments)."""

import re
import secrets

import pytest
from sqlmodel import select

from tests.factories import CommentFactory, RatingFactory
from tests.support import QueryCounter, csrf_token, login, make_user, soup
from webapp.comments.services import PAGE_SIZE
from webapp.models import Comment, Project

CHAPTER = "/de/projects/smart-city/chapters/nachhaltig"


@pytest.fixture()
def user(app):
    return make_user(app)


@pytest.fixture()
def logged_in(app, client, user):
    login(client, user)
    return client


def post(client, url=CHAPTER, page=None, headers=None, **data):
    token = csrf_token(client.get(page or url))
    data.setdefault("submission_key", secrets.token_hex(8))
    return client.post(url + "/comments", data={"csrf_token": token, **data}, headers=headers or {})


def unique(text="Kommentar"):
    return f"{text} {secrets.token_hex(4)}"


def comment_by_body(session, body):
    session.expire_all()
    return session.exec(select(Comment).where(Comment.body == body)).first()


@pytest.mark.parametrize("category", [" ", "\r\n" * 30, "\t"])
def test_a_category_of_white_space_is_no_category(session, logged_in, category):
    """Found by hypothesis: 30 line breaks passed as "no category" unchecked and reached the column (a 500 on
    PostgreSQL, stored as it was on SQLite)."""
    text = unique()
    assert post(logged_in, body=text, category=category).status_code == 303
    assert comment_by_body(session, text).category is None


def test_logged_out_readers_see_the_discussion_and_an_invitation_to_log_in(client):
    html = soup(client.get("/de/projects/smart-city/chapters/gemeinsam"))
    discussion = html.find(id="discussion")
    assert discussion.find("article", class_="comment")  # the demo's comments are readable
    link = discussion.find("a", string=re.compile("anmelden|log in", re.IGNORECASE))
    assert link and "next=" in link["href"] and not discussion.find("textarea")


def test_a_comment_on_the_chapter_is_published_and_shown_at_its_anchor(session, logged_in):
    text = unique("Ein Vorschlag\nmit zwei Zeilen https://example.org/x")
    response = post(logged_in, body=text, category="suggestion")
    assert response.status_code == 303
    comment = comment_by_body(session, text)
    assert response.headers["Location"].endswith(f"{CHAPTER}#comment-{comment.id}")
    html = soup(logged_in.get(CHAPTER))
    assert html.find(class_="flash", role="status")
    article = html.find("article", id=f"comment-{comment.id}")
    assert article.find("h3") and article.find("time")["datetime"]
    assert article.find("br") and article.find("a", href="https://example.org/x")["rel"] == ["nofollow", "ugc", "noopener"]
    assert "Vorschlag" in article.get_text()


def test_a_comment_on_a_paragraph_is_counted_in_the_chapter_and_contents(app, session, logged_in):
    url = f"{CHAPTER}/paragraph-2"
    before = soup(logged_in.get(CHAPTER))
    count_before = int(re.search(r"\d+", before.find(id="paragraph-2").find(class_="paragraph__count").get_text()).group())
    response = logged_in.post(url + "/comments", data={"csrf_token": csrf_token(logged_in.get(url)), "body": unique(),
                                                       "submission_key": secrets.token_hex(8)})
    assert response.status_code == 303 and response.headers["Location"].startswith(url)
    after = soup(logged_in.get(CHAPTER))
    assert after.find(id="paragraph-2").find("a")["href"].startswith(url)
    count = int(re.search(r"\d+", after.find(id="paragraph-2").find(class_="paragraph__count").get_text()).group())
    assert count == count_before + 1
    toc = after.find("a", attrs={"aria-current": "page"}).find_next(class_="toc__count")
    assert int(re.search(r"\d+", toc.get_text()).group()) >= 1


def test_a_paragraph_the_chapter_does_not_have_cannot_be_commented_on(session, logged_in):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    count = len(next(c for c in project.document.chapters if c.slug == "nachhaltig").paragraphs)
    token = csrf_token(logged_in.get(CHAPTER))
    for number in (0, count + 1):
        response = logged_in.post(f"{CHAPTER}/paragraph-{number}/comments", data={"csrf_token": token, "body": "x"})
        assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [("", "schreiben"), ("   \n\t  ", "schreiben"), ("x" * 4001, "4000"), ("Hallo\x00Welt\x1b", "Steuerzeichen")],
)
def test_invalid_text_is_explained_and_kept(logged_in, body, expected):
    response = post(logged_in, body=body)
    assert response.status_code == 422
    html = soup(response)
    assert html.title.get_text().startswith("Fehler:")
    assert html.find(id="error-summary").find("a", href="#body")
    error = html.find(id="body-error").get_text()
    assert expected in error or expected in error.replace(".", "")
    kept = html.find("textarea", id="body").get_text().strip()
    assert kept == body.strip().replace("\x00", "\ufffd").replace("\x1b", "\ufffd")  # control characters made visible


def test_text_with_markup_is_shown_escaped(session, logged_in):
    text = unique('<script>alert(1)</script> <img src=x onerror=alert(1)> "quotes" & ampersands')
    post(logged_in, body=text)
    html = logged_in.get(CHAPTER).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_limit_is_stated_in_the_hint_for_readers_without_javascript(logged_in):
    hint = soup(logged_in.get(CHAPTER)).find(id="body-hint").get_text()
    assert "4.000" in hint


def test_double_submit_creates_one_comment(session, logged_in):
    text = unique()
    key = secrets.token_hex(8)
    first = post(logged_in, body=text, submission_key=key)
    second = post(logged_in, body=text, submission_key=key)
    third = post(logged_in, body=text)  # same text, new form, within a minute
    assert first.headers["Location"] == second.headers["Location"] == third.headers["Location"]
    session.expire_all()
    assert len(session.exec(select(Comment).where(Comment.body == text)).all()) == 1


def test_honeypot_stores_nothing(session, logged_in):
    text = unique()
    response = post(logged_in, body=text, website="http://spam.example")
    assert response.status_code == 422  # said, not swallowed: text browsers show the field
    html = soup(response)
    assert html.find(class_="error-summary").find("a", href="#website")
    assert html.find("textarea", id="body").get_text().strip() == text
    assert comment_by_body(session, text) is None


def test_replies_are_one_level_deep(session, logged_in):
    parent_text = unique()
    post(logged_in, body=parent_text)
    parent = comment_by_body(session, parent_text)
    reply_url = f"/de/projects/smart-city/comments/{parent.id}/reply"
    page = logged_in.get(reply_url)
    assert page.status_code == 200 and soup(page).find("textarea")
    text = unique("Antwort")
    prefix = f"reply-{parent.id}-"
    response = logged_in.post(reply_url, data={"csrf_token": csrf_token(page), prefix + "body": text,
                                               prefix + "submission_key": secrets.token_hex(8)})
    assert response.status_code == 303
    reply = comment_by_body(session, text)
    assert reply.parent_id == parent.id
    html = soup(logged_in.get(CHAPTER))
    assert html.find("article", id=f"comment-{reply.id}").find("h4")
    session.refresh(parent)
    assert parent.reply_count == 1
    response = logged_in.post(f"/de/projects/smart-city/comments/{reply.id}/reply",
                              data={"csrf_token": csrf_token(page), f"reply-{reply.id}-body": "Antwort auf Antwort"})
    assert response.status_code == 400


def test_rating_is_one_per_reader_changeable_and_pressed(app, session, logged_in):
    author = make_user(app)
    other = app.test_client()
    login(other, author)
    text = unique()
    post(other, body=text)
    comment = comment_by_body(session, text)
    url = f"/de/projects/smart-city/comments/{comment.id}/rating"

    def rate(value):
        return logged_in.post(url, data={"csrf_token": csrf_token(logged_in.get(CHAPTER)), "value": value})

    assert rate("agree").status_code == 303
    article = soup(logged_in.get(CHAPTER)).find("article", id=f"comment-{comment.id}")
    assert article.find(id=f"rate-{comment.id}-agree")["aria-pressed"] == "true"
    assert "1" in article.find(id=f"rate-{comment.id}-agree").get_text()
    rate("disagree")
    session.refresh(comment)
    assert (comment.agree_count, comment.disagree_count) == (0, 1)
    rate("disagree")  # the same choice again takes it back
    session.refresh(comment)
    assert (comment.agree_count, comment.disagree_count) == (0, 0)
    assert rate("maybe").status_code == 400


def test_edit_own_marks_edited_and_others_are_refused(app, session, logged_in):
    text = unique()
    post(logged_in, body=text)
    comment = comment_by_body(session, text)
    url = f"/de/projects/smart-city/comments/{comment.id}/edit"
    page = logged_in.get(url)
    assert soup(page).find("textarea").get_text().strip() == text
    changed = unique("Geändert")
    assert logged_in.post(url, data={"csrf_token": csrf_token(page), "body": changed}).status_code == 303
    article = soup(logged_in.get(CHAPTER)).find("article", id=f"comment-{comment.id}")
    assert changed in article.get_text() and ("bearbeitet" in article.get_text() or "edited" in article.get_text())
    stranger = app.test_client()
    login(stranger, make_user(app))
    response = stranger.post(url, data={"csrf_token": csrf_token(stranger.get(CHAPTER)), "body": "Übernommen"})
    assert response.status_code == 403
    session.refresh(comment)
    assert comment.body == changed


def test_delete_own_leaves_a_placeholder_and_blocks_rating(app, session, logged_in):
    text = unique()
    post(logged_in, body=text)
    comment = comment_by_body(session, text)
    url = f"/de/projects/smart-city/comments/{comment.id}/delete"
    page = logged_in.get(url)
    assert page.status_code == 200
    assert logged_in.post(url, data={"csrf_token": csrf_token(page)}).status_code == 303
    article = soup(logged_in.get(CHAPTER)).find("article", id=f"comment-{comment.id}")
    assert text not in article.get_text() and article.find(class_="comment__deleted")
    response = logged_in.post(f"/de/projects/smart-city/comments/{comment.id}/rating",
                              data={"csrf_token": csrf_token(page), "value": "agree"})
    assert response.status_code == 403


def test_two_comments_deleted_in_the_same_minute_have_different_names(app, session, logged_in):
    """A placeholder shows neither author nor text: its name (article, "Link" action) must still tell it apart."""
    from tests.support import accessible_name

    texts = [unique(), unique()]
    for text in texts:
        post(logged_in, body=text)
    comments = [comment_by_body(session, text) for text in texts]
    for comment in comments:
        url = f"/de/projects/smart-city/comments/{comment.id}/delete"
        assert logged_in.post(url, data={"csrf_token": csrf_token(logged_in.get(url))}).status_code == 303
    html = soup(logged_in.get(CHAPTER))
    articles = [html.find("article", id=f"comment-{c.id}") for c in comments]
    names = [accessible_name(article) for article in articles]
    assert names[0] != names[1] and all(name.startswith("Gelöschter Kommentar") for name in names)
    links = [accessible_name(article.find("a", href=re.compile(r"/comments/\d+$"))) for article in articles]
    assert links[0] != links[1]


def test_closed_phase_refuses_with_403_the_same_message_and_keeps_the_text(logged_in):
    url = "/de/projects/radverkehr/chapters/sicher-unterwegs"
    page = soup(logged_in.get(url))
    assert not page.find("textarea") and "Kommentieren war bis zum" in page.get_text()
    text = unique("Zu spät")
    response = logged_in.post(url + "/comments", data={"csrf_token": csrf_token(logged_in.get("/de/account/")),
                                                       "body": text})
    assert response.status_code == 403
    html = soup(response)
    assert html.find(id="discussion-notice").get_text() == "Die aktuell laufende Phase erlaubt keine Kommentare."
    assert html.find("textarea", id="kept-text").get_text() == text


def test_unconfirmed_accounts_are_told_why_and_refused(app, client):
    login(client, make_user(app, confirmed=False))
    html = soup(client.get(CHAPTER))
    assert "bestätigen" in html.find(id="discussion").get_text() and not html.find("textarea", id="body")
    response = client.post(CHAPTER + "/comments", data={"csrf_token": csrf_token(client.get("/de/account/")),
                                                        "body": "Hallo"})
    assert response.status_code == 403


def test_an_expired_form_keeps_the_text_and_says_so(logged_in):
    text = unique()
    response = logged_in.post(CHAPTER + "/comments", data={"csrf_token": "expired-or-forged", "body": text})
    assert response.status_code == 422
    html = soup(response)
    assert "abgelaufen" in html.find(id="error-summary").get_text()
    assert html.find("textarea", id="body").get_text().strip() == text


def test_a_logged_out_post_keeps_the_text(client):
    text = unique()
    response = client.post(CHAPTER + "/comments", data={"body": text})
    assert response.status_code == 403
    assert soup(response).find("textarea", id="kept-text").get_text() == text


def test_a_huge_body_gets_the_localized_413(logged_in):
    response = logged_in.post(CHAPTER + "/comments", data={"body": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 413
    assert "zu groß" in soup(response).get_text()


def test_commenting_is_rate_limited_per_account_with_the_text_kept(logged_in):
    for _ in range(10):
        assert post(logged_in, body=unique()).status_code == 303
    text = unique()
    response = post(logged_in, body=text)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    html = soup(response)
    assert "warten" in html.find(id="discussion-notice").get_text()
    assert html.find("textarea", id="body").get_text().strip() == text
    # The page opens at the top, far above the form: the same error pattern as for a form with a mistake.
    assert html.title.get_text().startswith("Fehler:")
    summary = html.find("main").find(class_="error-summary")
    assert summary.find_next(class_="chapter-text") is not None  # above the chapter's text
    link = summary.find("a", href="#body")
    assert link and "warten" in link.get_text()


def test_an_empty_reply_is_asked_for_as_a_reply(session, logged_in):
    first = unique()
    post(logged_in, body=first)
    parent = comment_by_body(session, first)
    url = f"/de/projects/smart-city/comments/{parent.id}/reply"
    response = logged_in.post(url, data={"csrf_token": csrf_token(logged_in.get(url)), f"reply-{parent.id}-body": " "})
    assert response.status_code == 422
    assert soup(response).find(id=f"reply-{parent.id}-body-error").get_text(" ", strip=True) == "Fehler: Bitte schreiben Sie Ihre Antwort."


def test_a_rate_limited_reply_on_its_own_page_says_so_at_the_top(app, session, logged_in):
    first = unique()
    assert post(logged_in, body=first).status_code == 303
    parent = comment_by_body(session, first)
    url = f"/de/projects/smart-city/comments/{parent.id}/reply"
    app.config["COMMENT_RATE_LIMIT"] = "1 per minute"
    try:
        def reply(text):
            return logged_in.post(url, data={"csrf_token": csrf_token(logged_in.get(url)), f"reply-{parent.id}-body": text})

        assert reply(unique("Antwort")).status_code == 303  # the minute's one
        text = unique("Antwort")
        response = reply(text)
        assert response.status_code == 429
        html = soup(response)
        assert html.title.get_text().startswith("Fehler:")
        link = html.find("main").find(class_="error-summary").find("a", href=f"#reply-{parent.id}-body")
        assert link and "warten" in link.get_text()
        assert html.find("textarea", id=f"reply-{parent.id}-body").get_text().strip() == text
    finally:
        app.config["COMMENT_RATE_LIMIT"] = "10 per minute;100 per day"


def test_a_category_filter_says_it_is_on_counts_what_it_shows_and_leads_back_to_all(app, session):
    author = make_user(app)
    client = app.test_client()
    login(client, author)
    url = "/de/projects/smart-city/chapters/teilhabe"
    for category in ("suggestion", "suggestion", "criticism"):
        post(client, url, body=unique(), category=category)
    everything = soup(client.get(url))
    total = re.search(r"\((\d+)\)", everything.find(id="discussion-heading").get_text()).group(1)
    assert not everything.find(id="filter-status")
    praise = soup(client.get(url + "?category=suggestion&sort=oldest"))
    shown = len(praise.select("#comment-list .comment__body"))  # readable comments and their replies, as counted
    assert praise.find(id="discussion-heading").get_text(" ", strip=True).endswith(f"({shown} von {total})")
    status = praise.find(id="filter-status")
    assert "„Vorschlag“" in status.get_text() and f"{shown} Kommentare" in status.get_text()
    back = status.find("a")
    assert back.get_text() == "Alle Kommentare zeigen" and back["href"] == f"{url}?sort=oldest#discussion"
    nothing = soup(client.get(url + "?category=question"))
    assert nothing.find(id="discussion-heading").get_text(" ", strip=True).endswith(f"(0 von {total})")
    assert nothing.find(id="filter-status").find("a")


def test_sorting_filtering_pagination_and_permalinks(app, session):
    author = make_user(app)
    client = app.test_client()
    login(client, author)
    url = "/de/projects/smart-city/chapters/zukunftsfaehig"
    texts = []
    from webapp.extensions import limiter
    for index in range(23):
        limiter.reset()
        texts.append(unique(f"Nummer {index:02d}"))
        post(client, url=url, body=texts[-1], category="question" if index % 2 else "criticism")
    first = soup(client.get(url))
    articles = first.select("#comment-list > li > article")
    assert len(articles) == 20 and texts[-1] in articles[0].get_text()
    next_link = first.select_one(".comment-pages a[rel=next]")
    second = soup(client.get(next_link["href"]))
    assert texts[0] in second.select("#comment-list > li > article")[-1].get_text()
    oldest = soup(client.get(url + "?sort=oldest"))
    assert texts[0] in oldest.select("#comment-list article")[0].get_text()
    questions = soup(client.get(url + "?category=question"))
    assert all("Frage" in a.get_text() for a in questions.select("#comment-list > li > article"))
    oldest_comment = comment_by_body(session, texts[0])
    response = client.get(f"/de/projects/smart-city/comments/{oldest_comment.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"page=2#comment-{oldest_comment.id}")
    odd = client.get(url + "?page=999999&sort=bogus&category=<x>")  # one address: the last page, no category
    assert odd.status_code == 303 and "category" not in odd.headers["Location"]
    assert odd.headers["Location"].endswith("page=2")
    assert client.get(odd.headers["Location"]).status_code == 200


def test_htmx_gets_fragments_focus_and_announcements(session, logged_in):
    headers = {"HX-Request": "true", "HX-Target": "discussion"}
    text = unique()
    response = post(logged_in, body=text, headers=headers)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert body.startswith('<section id="discussion"') and "<html" not in body
    comment = comment_by_body(session, text)
    assert f'"#comment-{comment.id}"' in response.headers["HX-Trigger-After-Settle"]
    assert 'id="live-region" data-hx-swap-oob="innerHTML"' in body
    error = post(logged_in, body="", headers=headers)
    assert error.status_code == 422 and "#error-summary" in error.headers["HX-Trigger-After-Settle"]
    assert 'id="error-summary"' in error.get_data(as_text=True)
    restore = logged_in.get(CHAPTER, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restore.get_data(as_text=True).startswith("<!DOCTYPE html>")


LISTED = re.compile(r'name="listed" id="comment-listed" value="([^"]+)"')


def before_no_page_break(session, client, url=CHAPTER, paragraph=None):
    """Comments on ``url`` (the chapter, or its paragraph numbered ``paragraph``) until the next one starts no new page
    of the list: one that does is answered with the whole discussion (its pager changes). Other tests write here too."""
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if c.slug == CHAPTER.rsplit("/", 1)[1])
    place = Comment.paragraph_id == chapter.paragraphs[paragraph - 1].id if paragraph else Comment.paragraph_id.is_(None)
    while True:
        post(client, url=url, body=unique())
        session.expire_all()
        top_level = session.exec(select(Comment.id).where(Comment.chapter_id == chapter.id, place,
                                                          Comment.parent_id.is_(None))).all()
        if len(top_level) % PAGE_SIZE:
            return


def test_htmx_puts_a_comment_in_place_on_the_list_the_reader_has(app, session, logged_in):
    """The form says what the list below it is (its first page, newest first: its first comment and how many
    comments the discussion has); where that is still so but for the new comment, the answer puts the comment at its
    top, out of band. Where someone else's comment came first, the new one starts a page, or the form says nothing
    usable, the answer is the whole discussion."""
    headers = {"HX-Request": "true", "HX-Target": "discussion"}
    before_no_page_break(session, logged_in)  # and at least one comment: a list to put the next one in
    listed = LISTED.search(logged_in.get(CHAPTER).get_data(as_text=True)).group(1)
    text = unique()
    response = post(logged_in, body=text, headers=headers, listed=listed)
    body = response.get_data(as_text=True)
    comment = comment_by_body(session, text)
    assert response.status_code == 200 and response.headers["HX-Reswap"] == "none"
    assert 'id="discussion"' not in body and f'<ol data-hx-swap-oob="afterbegin:#comment-list"><li>\n<article class="comment" id="comment-{comment.id}"' in body
    assert f'"#comment-{comment.id}"' in response.headers["HX-Trigger-After-Settle"]
    for swapped in ('<h2 id="discussion-heading" data-hx-swap-oob="true">', 'id="chapter-comment-count" data-hx-swap-oob="true"',
                    'data-hx-swap-oob="true" novalidate>', 'id="live-region" data-hx-swap-oob="innerHTML"'):
        assert swapped in body, swapped
    listed = LISTED.search(body).group(1)
    assert listed.startswith(f"{comment.id}:")
    # Where the list's number says the new comment starts a page: the whole discussion, with its pages.
    starts_a_page = post(logged_in, body=unique(), headers=headers, listed=f"{comment.id}:{PAGE_SIZE * 2}")
    assert "HX-Reswap" not in starts_a_page.headers
    assert starts_a_page.get_data(as_text=True).startswith('<section id="discussion"')
    listed = LISTED.search(starts_a_page.get_data(as_text=True)).group(1)

    paragraph = CHAPTER + "/paragraph-1"  # a paragraph's discussion alike
    before_no_page_break(session, logged_in, paragraph, 1)
    listed_there = LISTED.search(logged_in.get(paragraph).get_data(as_text=True)).group(1)
    there = post(logged_in, url=paragraph, body=unique(), headers=headers, listed=listed_there)
    assert there.headers["HX-Reswap"] == "none" and "Kommentare zu diesem Absatz" in there.get_data(as_text=True)

    other = app.test_client()
    login(other, make_user(app))
    post(other, body=unique())  # someone else's comment, not on this reader's screen
    for sent in (listed, f"{comment.id}:999", "1:x", "²:1", "9" * 30 + ":1", ""):
        whole = post(logged_in, body=unique(), headers=headers, listed=sent)
        assert "HX-Reswap" not in whole.headers and whole.get_data(as_text=True).startswith('<section id="discussion"'), sent


def test_htmx_answers_with_the_whole_discussion_where_the_new_comment_is_not_the_newest(app, session, logged_in):
    """A comment dated after the new one (another server's clock ahead): the new one is not the top of the list, so
    it is not put there; the answer is the whole discussion, in its order. The same form sent again gets the comment
    stored first, put in place as before where it is (comments.came_after, read then)."""
    from datetime import timedelta

    from webapp.clock import utcnow

    headers = {"HX-Request": "true", "HX-Target": "discussion"}
    before_no_page_break(session, logged_in)
    ahead = CommentFactory(session=session, chapter="nachhaltig", body=unique(), created_at=utcnow() + timedelta(hours=1))
    page = logged_in.get(CHAPTER).get_data(as_text=True)
    listed = LISTED.search(page).group(1)
    assert listed.startswith(f"{ahead.id}:")
    text = unique()
    whole = post(logged_in, body=text, headers=headers, listed=listed)
    assert "HX-Reswap" not in whole.headers
    shown = whole.get_data(as_text=True)
    assert shown.startswith('<section id="discussion"')
    assert shown.index(f'id="comment-{ahead.id}"') < shown.index(f'id="comment-{comment_by_body(session, text).id}"')
    session.delete(session.get(Comment, ahead.id))
    session.commit()

    before_no_page_break(session, logged_in)  # the comments before it may have left the next one at a page break
    listed = LISTED.search(logged_in.get(CHAPTER).get_data(as_text=True)).group(1)
    form = {"csrf_token": csrf_token(logged_in.get(CHAPTER)), "body": unique(), "submission_key": secrets.token_hex(16)}
    first = logged_in.post(CHAPTER + "/comments", headers=headers, data={**form, "listed": listed})
    again = logged_in.post(CHAPTER + "/comments", headers=headers, data={**form, "listed": listed})
    assert first.headers["HX-Reswap"] == again.headers["HX-Reswap"] == "none"
    stored = comment_by_body(session, form["body"])
    assert f'id="comment-{stored.id}"' in again.get_data(as_text=True)
    assert session.exec(select(Comment).where(Comment.body == form["body"])).all() == [stored], "stored once"


def test_htmx_rating_swaps_only_the_buttons(app, session, logged_in):
    other = app.test_client()
    login(other, make_user(app))
    text = unique()
    post(other, body=text)
    comment = comment_by_body(session, text)
    response = logged_in.post(f"/de/projects/smart-city/comments/{comment.id}/rating",
                              data={"csrf_token": csrf_token(logged_in.get(CHAPTER)), "value": "agree"},
                              headers={"HX-Request": "true", "HX-Target": f"rating-{comment.id}"})
    body = response.get_data(as_text=True)
    assert body.startswith(f'<form class="rating" id="rating-{comment.id}"') and 'aria-pressed="true"' in body
    assert f"#rate-{comment.id}-agree" in response.headers["HX-Trigger-After-Settle"]


def test_more_comments_are_appended_by_htmx(app, logged_in):
    url = "/de/projects/smart-city/chapters/zukunftsfaehig"
    response = logged_in.get(url + "?page=2", headers={"HX-Request": "true", "HX-Target": "comment-list"})
    body = response.get_data(as_text=True)
    if "<li>" in body:
        assert body.lstrip().startswith("<li>") and 'data-hx-swap-oob="true"' in body


def test_comment_pages_need_no_query_per_comment(app, session, client, monkeypatch):
    """A chapter with 30 comments, replies and ratings costs the queries of one with a single comment (each
    rendered: not a page kept for the reader, webapp.readercache)."""
    monkeypatch.setitem(app.config, "READER_PAGE_SECONDS", 0)
    reader = make_user(app)
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    few, many = (next(c for c in project.document.chapters if c.slug == slug) for slug in ("teilhabe", "mobil"))
    writers = [make_user(app) for _ in range(3)]
    single = CommentFactory(session=session, chapter=few, author=writers[0], body="Einer")
    CommentFactory(session=session, parent=single, author=writers[1], body="Eine Antwort")
    for index in range(30):
        top = CommentFactory(session=session, chapter=many, author=writers[index % 3], body=f"Viele {index}")
        CommentFactory(session=session, parent=top, author=writers[(index + 1) % 3], body=f"Antwort {index}")
        RatingFactory(session=session, comment=top, user=reader, value=1)
    login(client, reader)
    counts = []
    for chapter in (few, many):
        with QueryCounter(app) as queries:
            assert client.get(f"/de/projects/smart-city/chapters/{chapter.slug}").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]


def test_after_publishing_with_htmx_the_form_is_empty_again(logged_in):
    text = unique()
    response = post(logged_in, body=text, headers={"HX-Request": "true", "HX-Target": "discussion"})
    form = soup(response).find("form", id="comment-form")
    assert form.find("textarea").get_text().strip() == ""
    assert text in soup(response).find(id="comment-list").get_text()


def test_reply_errors_with_htmx_stay_in_the_reply_form(session, logged_in):
    text = unique()
    post(logged_in, body=text)
    parent = comment_by_body(session, text)
    url = f"/de/projects/smart-city/comments/{parent.id}/reply"
    inline = logged_in.get(url, headers={"HX-Request": "true", "HX-Target": f"reply-slot-{parent.id}"})
    assert 'hx-post="' in inline.get_data(as_text=True)
    assert 'hx-post="' not in soup(logged_in.get(url)).find("main").decode()  # its own page posts plainly
    response = logged_in.post(url, data={"csrf_token": csrf_token(inline), f"reply-{parent.id}-body": ""},
                              headers={"HX-Request": "true", "HX-Target": "discussion"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#reply-form-{parent.id}"
    # The reply form's ids are its own: the page's comment form keeps "body" and "error-summary".
    assert f"#reply-{parent.id}-error-summary" in response.headers["HX-Trigger-After-Settle"]
    errors = soup(response)
    assert errors.find(id=f"reply-{parent.id}-body") and not errors.find(id="body")


def test_after_a_refused_post_the_language_links_lead_to_the_page_of_the_form(app, session, logged_in):
    """Without JavaScript the address is the POST-only one: the switcher must not lead to a 405."""
    from webapp.i18n import MODES

    for url in (CHAPTER, f"{CHAPTER}/paragraph-1"):
        refused = post(logged_in, url, body="")
        assert refused.status_code == 422
        links = [a["href"] for a in soup(refused).select("nav.languages a")]
        assert len(links) == len(MODES)
        for href in links:
            assert href.endswith(url.removeprefix("/de")) and logged_in.get(href).status_code == 200, href
    # A page of comments in another order stays that page and order in the other modes.
    for href in (a["href"] for a in soup(logged_in.get(CHAPTER + "?sort=oldest&page=1")).select("nav.languages a")):
        assert "sort=oldest" in href


def test_ratings_say_what_they_mean_and_ones_own_comment_is_not_rated(app, session, logged_in, user):
    """"I agree"/"I disagree" (not "reject"), explained once; pressed in words; one's own only counted."""
    own_text = unique()
    post(logged_in, body=own_text)
    own = comment_by_body(session, own_text)
    other = app.test_client()
    login(other, make_user(app))
    post(other, body=(their_text := unique()))
    theirs = comment_by_body(session, their_text)
    html = soup(logged_in.get(CHAPTER))
    assert "niemand sieht, wer" in html.find(class_="ratings-hint").get_text()
    assert not html.find("article", id=f"comment-{own.id}").find("button")  # no rating of one's own
    assert "0 Personen stimmen zu" in html.find("article", id=f"comment-{own.id}").get_text()
    token = csrf_token(logged_in.get(CHAPTER))
    rate = "/de/projects/smart-city/comments/{}/rating"
    assert logged_in.post(rate.format(own.id), data={"csrf_token": token, "agree": "Stimme zu"}).status_code == 403
    # The button sends its label as value (text browsers show values); its name says which.
    assert logged_in.post(rate.format(theirs.id), data={"csrf_token": token, "agree": "Stimme zu"}).status_code == 303
    button = soup(logged_in.get(CHAPTER)).find(id=f"rate-{theirs.id}-agree")
    assert button["value"] == "Stimme zu" and button["aria-pressed"] == "true"
    assert "(Ihre Bewertung)" in button.get_text()
    english = soup(logged_in.get(CHAPTER.replace("/de/", "/en/"))).find(id=f"rate-{theirs.id}-disagree")
    assert english["value"] == "I disagree"


def test_counts_elsewhere_on_the_page_follow_a_comment_published_with_htmx(session, logged_in):
    """The heading, the line under the title and the table of contents must never disagree."""
    before = soup(logged_in.get(CHAPTER))
    count = int(re.search(r"\d+", before.find(id="chapter-comment-count").get_text()).group(0))
    fragment = post(logged_in, body=unique(), headers={"HX-Request": "true", "HX-Target": "discussion"})
    assert fragment.status_code == 200
    html = soup(fragment)
    for element_id in ("chapter-comment-count", "toc-current-count"):
        swapped = html.find(id=element_id)
        assert swapped["data-hx-swap-oob"] == "true" and str(count + 1) in swapped.get_text(), element_id
