"""Valid HTML on every page and state: the Nu Html Checker (vnu.jar from npm) reads them all."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from a11y.pages import MAIN_FORM, all_urls, logged_in_pages
from tests.support import login
from webapp.i18n import MODES

VNU = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def sent_empty(client, url: str, selector: str = "") -> bytes:
    """The page after sending its main form (or ``selector``'s) as it is (empty): its error state."""
    form = BeautifulSoup(client.get(url).data, "html.parser").select_one(selector or MAIN_FORM)
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden][name]")}
    response = client.post(form.get("action") or url, data=data)
    assert b'class="error-summary"' in response.data, url
    return response.data


def states(app, client, session) -> list[tuple[str, bytes]]:
    """Every page in every mode as an anonymous reader sees it, then the participant's and the staff's
    pages, forms in error included."""
    from webapp.accounts.models import User
    from webapp.accounts.services import DEMO_PASSWORD

    found = []
    for url, page in all_urls(session):
        found.append((url, sent_empty(client, url) if page.submit else client.get(url).data))
    clients = {}
    for page in logged_in_pages(session):
        if page.account not in clients:
            clients[page.account] = app.test_client()
            login(clients[page.account], session.exec(select(User).where(User.email_key == page.account)).one(),
                  DEMO_PASSWORD)
        user = clients[page.account]
        for mode in MODES.values():
            url = page.url(mode.prefix)
            found.append((f"{url} (as {page.account})",
                          sent_empty(user, url, page.form) if page.submit else user.get(url).data))
    return found


def glued_headings(html: bytes) -> list[str]:
    """Headings whose subtitle follows the title with nothing between: a text browser, speech without
    styles and a search engine read "Moderation queueSmart City" as one word."""
    found = []
    for subtitle in BeautifulSoup(html, "html.parser").select("h1 > .subtitle"):
        before = subtitle.previous_sibling
        text = before.get_text() if hasattr(before, "get_text") else str(before or "")
        if not text[-1:].isspace():
            found.append(subtitle.parent.get_text())
    return found


@pytest.mark.slow
def test_every_page_is_valid_html(app, client, session, tmp_path):
    java = shutil.which("java")
    assert java, "apt-get install default-jre-headless (HTML validation needs Java)"
    files = {}
    glued = []
    for index, (url, html) in enumerate(states(app, client, session)):
        glued += [f"{url}: {text!r}" for text in glued_headings(html)]
        path = tmp_path / f"page{index:03d}.html"
        path.write_bytes(html)
        files[path.name] = url
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--also-check-css", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    # Errors and warnings both fail; plain notes ("info" without a warning subtype) do not.
    problems = [f"{files.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: {m['message']}"
                for m in messages if m["type"] == "error" or m.get("subType") == "warning"]
    assert not problems, "\n".join(problems[:40])
    assert not glued, "Put <span class=\"visually-hidden\">: </span> between title and subtitle:\n" + "\n".join(glued)


def test_a_glued_heading_is_caught():
    assert glued_headings(b'<h1>Moderation<span class="subtitle">Smart City</span></h1>') == ["ModerationSmart City"]
    assert not glued_headings(b'<h1>Moderation<span class="visually-hidden">: </span><span class="subtitle">S</span></h1>')
