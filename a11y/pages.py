"""Every page and state the accessibility suite scans, in every language mode.

New pages and states are added here; all a11y tests (axe, keyboard, reflow, HTML
validity) and the link crawl in tests/ take their list from this one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from webapp.i18n import MODES
from webapp.pages.content import PAGES
from webapp.projects.models import Project

#: A page's main form, sent empty for its error state (the comment form where there is one).
MAIN_FORM = "#comment-form, .reply-form form, main form.form"


@dataclass(frozen=True)
class Page:
    """A page in one state; ``path`` follows the mode prefix.

    ``user``: seen by the logged-in demo participant. ``submit``: the state after sending
    the page's main form empty (its error state).
    """

    label: str
    path: str
    status: int = 200
    user: bool = False
    submit: bool = False

    def url(self, prefix: str) -> str:
        return f"/{prefix}{self.path}"


def pages(session: Session) -> list[Page]:
    """The pages of the demo content in each state they can be in."""
    found = [Page("home", "/")]
    for project in session.exec(select(Project).order_by(Project.id)).all():
        base = f"/projects/{project.slug}"
        found.append(Page(f"project {project.slug}", base))
        found.append(Page(f"background {project.slug}", f"{base}/background"))
        chapters = project.document.chapters if project.document else []
        # Every chapter of the running project; first and last of the others (prev/next states).
        chosen = chapters if project.slug == "smart-city" else chapters[:1] + chapters[1:][-1:]
        for chapter in chosen:
            found.append(Page(f"chapter {project.slug}/{chapter.slug}", f"{base}/chapters/{chapter.slug}"))
        if chapters:
            chapter = chapters[-1]  # on radverkehr: shown in German inside the simple mode
            paragraph = chapter.paragraphs[0]
            found.append(Page(f"paragraph {project.slug}/{chapter.slug}",
                              f"{base}/chapters/{chapter.slug}/paragraphs/{paragraph.id}"))
    found += [Page(f"page {name}", f"/{name}") for name in PAGES]
    found.append(Page("not found", "/projects/no-such-project", status=404))
    found += invitation_pages(session)
    found += [
        Page("register", "/account/register"),
        Page("register with errors", "/account/register", submit=True),
        Page("login", "/account/login"),
        Page("login with errors", "/account/login", submit=True),
        Page("forgot password", "/account/password/forgot"),
    ]
    return found


def participant_pages(session: Session) -> list[Page]:
    """What the logged-in demo participant sees: forms, their own comments, errors."""
    from webapp.accounts.models import User
    from webapp.comments.models import Comment

    user = session.exec(select(User).where(User.email_key == "participant@example.org")).one()
    own = session.exec(select(Comment).where(Comment.author_id == user.id, Comment.deleted_at.is_(None),
                                             Comment.parent_id.is_(None))
                       .order_by(Comment.id)).first()
    project = session.exec(select(Project).where(Project.id == own.project_id)).one()
    others = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.author_id != user.id,
                                                Comment.deleted_at.is_(None), Comment.parent_id.is_(None))
                          .order_by(Comment.id)).first()
    chapter = next(c for c in project.document.chapters if c.id == own.chapter_id)
    base = f"/projects/{project.slug}"
    return [
        Page("chapter, logged in", f"{base}/chapters/{chapter.slug}", user=True),
        Page("chapter, comment with errors", f"{base}/chapters/{chapter.slug}", user=True, submit=True),
        Page("paragraph, logged in", f"{base}/chapters/{chapter.slug}/paragraphs/{chapter.paragraphs[0].id}", user=True),
        Page("reply", f"{base}/comments/{own.id}/reply", user=True),
        Page("reply with errors", f"{base}/comments/{own.id}/reply", user=True, submit=True),
        Page("edit", f"{base}/comments/{own.id}/edit", user=True),
        Page("delete", f"{base}/comments/{own.id}/delete", user=True),
        Page("report", f"{base}/comments/{others.id}/report", user=True),
        Page("report with errors", f"{base}/comments/{others.id}/report", user=True, submit=True),
        Page("closed phase, logged in", "/projects/radverkehr/chapters/radnetz", user=True),
        Page("many comments, page 2", "/projects/radverkehr/chapters/radnetz?page=2", user=True),
        Page("account", "/account/", user=True),
        Page("change password with errors", "/account/password", user=True, submit=True),
        Page("change email", "/account/email", user=True),
        Page("delete account", "/account/delete", user=True),
    ]


# Roles and audit log (staff pages) -----------------------------------------------------------------
#: What a11y/conftest.py's ``staff_states`` adds: an unpublished draft nobody moderates, an organisation
#: without initiators (their pages' empty states), and an invitation to this address.
DRAFT_PROJECT, EMPTY_ORGANISATION, INVITED = "entwurf", "eichbrunn-kultur", "eingeladen@example.org"


def invitation_pages(session: Session) -> list[Page]:
    """The invitation link as the invited person opens it (nobody logged in), from the mail it came in:
    an invalid link; where ``staff_states`` has invited someone, the registration form, empty and in error."""
    import re
    from email import message_from_bytes, policy

    from webapp.mail.models import OutboxMessage

    found = [Page("invitation link not valid", "/invitation/no-such-invitation", status=404)]
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == INVITED,
                                                    OutboxMessage.template == "invitation")).first()
    if sent is not None:
        text = message_from_bytes(sent.message, policy=policy.default).get_content()
        path = re.search(r"https?://[^/\s]+/[a-z]+(/invitation/\S+)", text).group(1)
        found += [Page("invitation, new account", path), Page("invitation, new account with errors", path, submit=True)]
    return found


def all_urls(session: Session) -> list[tuple[str, Page]]:
    """Every page in every mode, as (url, page)."""
    return [(page.url(mode.prefix), page) for page in pages(session) for mode in MODES.values()]
