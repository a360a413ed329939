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

PARTICIPANT = "participant@example.org"
#: The demo's staff accounts (password as the participant's): the role that sees each staff page.
STAFF = {"moderator": "moderator@example.org", "initiator": "initiator@example.org", "admin": "admin@example.org"}
#: A participant blocked from the Smart City project (a11y/conftest.py's ``conduct_states``), password as the others'.
BLOCKED = "gesperrt@example.org"

#: Chapters of the Smart City strategy (the project open for comments) that only one browser test module
#: writes to, each made by a11y/conftest.py's ``own_chapters``: what one module posts, deletes or blocks
#: never shows up on the pages another module checks. They are not demo content: ``pages()`` leaves them out.
OWN_CHAPTERS = {"participation": "browser-participation", "failures": "browser-failures",
                "moderation": "browser-moderation", "csp": "browser-csp", "more": "browser-more",
                "posted": "browser-posted"}


def own_chapter(module: str, prefix: str = "de") -> str:
    """The address of the chapter of ``module`` (a key of OWN_CHAPTERS) in mode ``prefix``."""
    return f"/{prefix}/projects/smart-city/chapters/{OWN_CHAPTERS[module]}"


#: A page's main form, sent empty for its error state (the comment form where there is one).
MAIN_FORM = "#comment-form, .reply-form form, main form.form"


@dataclass(frozen=True)
class Page:
    """A page in one state; ``path`` follows the mode prefix.

    ``user``: seen logged in: ``True`` for the demo participant, or a demo account's address
    (``STAFF["moderator"]`` ...) for the staff's pages. ``submit``: the state after sending the
    page's main form empty (its error state).
    """

    label: str
    path: str
    status: int = 200
    user: bool | str = False
    submit: bool = False
    #: The form sent empty for ``submit``, where it is not the page's first (``MAIN_FORM``).
    form: str = ""

    @property
    def account(self) -> str | None:
        """The demo account that sees this page, or ``None`` for anonymous readers."""
        if not self.user:
            return None
        return PARTICIPANT if self.user is True else str(self.user)

    def url(self, prefix: str) -> str:
        return f"/{prefix}{self.path}"


def pages(session: Session) -> list[Page]:
    """The pages of the demo content in each state they can be in."""
    found = [Page("home", "/")]
    for project in session.exec(select(Project).where(Project.published).order_by(Project.id)).all():
        base = f"/projects/{project.slug}"
        found.append(Page(f"project {project.slug}", base))
        found.append(Page(f"background {project.slug}", f"{base}/background"))
        chapters = [c for c in (project.document.chapters if project.document else [])
                    if c.slug not in OWN_CHAPTERS.values()]
        # Every chapter of the running project; first and last of the others (prev/next states).
        chosen = chapters if project.slug == "smart-city" else chapters[:1] + chapters[1:][-1:]
        for chapter in chosen:
            found.append(Page(f"chapter {project.slug}/{chapter.slug}", f"{base}/chapters/{chapter.slug}"))
        if project.categories and chapters:  # a filter on: said, counted, and the way back to all
            found.append(Page(f"chapter {project.slug}/{chapters[0].slug}, filtered",
                              f"{base}/chapters/{chapters[0].slug}?category={project.categories[0]}"))
        if chapters:
            chapter = chapters[-1]  # on radverkehr: shown in German inside the simple mode
            found.append(Page(f"paragraph {project.slug}/{chapter.slug}",
                              f"{base}/chapters/{chapter.slug}/paragraph-1"))
    found += [Page(f"page {name}", f"/{name}") for name in PAGES]
    found.append(Page("not found", "/projects/no-such-project", status=404))
    found += rules_pages()
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
        Page("paragraph, logged in", f"{base}/chapters/{chapter.slug}/paragraph-1", user=True),
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
        Page("language of one's emails", "/account/mail-language", user=True),
        Page("delete account", "/account/delete", user=True),
    ]


def staff_pages(session: Session) -> list[Page]:
    """What the project's staff see, each as the role that uses it: the moderation queue and its actions."""
    from webapp.comments.models import Comment

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    comment = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.deleted_at.is_(None),
                                                 Comment.parent_id.is_(None)).order_by(Comment.id)).first()
    reply = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.deleted_at.is_(None),
                                               Comment.parent_id.is_not(None)).order_by(Comment.id)).first()
    queue = f"/staff/projects/{project.slug}/moderation"
    moderator = STAFF["moderator"]
    found = [
        Page("moderation queue", queue, user=moderator),
        Page("moderation queue, needs review (empty or not)", f"{queue}?show=needs_review", user=moderator),
        Page("moderation queue, blocked, newest", f"{queue}?show=blocked&sort=newest", user=moderator),
        Page("moderation queue, page 2", f"{queue}?page=2", user=moderator),
        Page("moderation queue, bulk action with errors", queue, user=moderator, submit=True, form="form.mod-bulk-form"),
        Page("moderate a comment", f"{queue}/comments/{comment.id}", user=moderator),
        Page("moderate a comment, block with errors", f"{queue}/comments/{comment.id}", user=moderator, submit=True,
             form="form.mod-block-form"),
        Page("moderate a reply", f"{queue}/comments/{reply.id}", user=moderator),
        Page("chapter, as a moderator", f"/projects/{project.slug}/chapters/"
             f"{next(c.slug for c in project.document.chapters if c.id == comment.chapter_id)}", user=moderator),
        Page("moderation queue, as a participant", queue, status=403, user=True),
        Page("moderated comments (blocked, hidden, highlighted, official), as a moderator",
             f"/projects/spielplaetze/chapters/{_last_chapter(session, 'spielplaetze')}", user=moderator),
        Page("account, as a moderator (mail about reports)", "/account/", user=moderator),
    ]
    # a11y/conftest.py's ``moderated_comments``: a blocked comment with a reply, one with an official answer.
    playgrounds = session.exec(select(Project).where(Project.slug == "spielplaetze")).one()
    moderated = f"/staff/projects/{playgrounds.slug}/moderation/comments"
    blocked = session.exec(select(Comment).where(Comment.project_id == playgrounds.id,
                                                 Comment.blocked_at.is_not(None))).first()
    if blocked is not None:
        reply_to_blocked = session.exec(select(Comment).where(Comment.parent_id == blocked.id)).first()
        answered = session.exec(select(Comment).where(Comment.project_id == playgrounds.id,
                                                      Comment.highlighted_at.is_not(None))).first()
        found += [
            Page("moderate a blocked comment (restore)", f"{moderated}/{blocked.id}", user=moderator),
            Page("moderate a reply to a blocked comment", f"{moderated}/{reply_to_blocked.id}", user=moderator),
            Page("moderate a highlighted comment with an official answer", f"{moderated}/{answered.id}", user=moderator),
        ]
    return found


# Roles and audit log (staff pages) -----------------------------------------------------------------
#: What a11y/conftest.py's ``staff_states`` adds: an unpublished draft nobody moderates, an organisation
#: without initiators (their pages' empty states), and an invitation to this address.
DRAFT_PROJECT, EMPTY_ORGANISATION, INVITED = "entwurf", "eichbrunn-kultur", "eingeladen@example.org"
#: A project just made from the starter whose German teaser is empty (``staff_states``): its checklist names much,
#: publishing it is refused, and its texts form sent as it is comes back in error.
NEW_DRAFT = "unfertig"


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


def role_pages() -> list[Page]:
    """The staff overview, who moderates a project and who runs an organisation, the audit logs (a project's,
    an organisation's, the site's): as the role that sees each, filled, empty and in error."""
    moderators, log = "/staff/projects/smart-city/moderators", "/staff/projects/smart-city/audit"
    initiator, admin = STAFF["initiator"], STAFF["admin"]
    return [
        Page("staff area, moderator", "/staff/", user=STAFF["moderator"]),
        Page("staff area, initiator", "/staff/", user=initiator),
        Page("moderators", moderators, user=initiator),
        Page("moderators with errors", moderators, user=initiator, submit=True),
        Page("audit log", log, user=initiator),
        Page("audit log, filtered, nothing found", f"{log}?action=person.block", user=initiator),
        Page("staff area, administrator", "/staff/", user=admin),
        Page("moderators, none yet", f"/staff/projects/{DRAFT_PROJECT}/moderators", user=admin),
        Page("audit log, empty", f"/staff/projects/{DRAFT_PROJECT}/audit", user=admin),
        Page("organisation's audit log", "/staff/organisations/eichbrunn/audit", user=initiator),
        Page("organisation's audit log, empty", f"/staff/organisations/{EMPTY_ORGANISATION}/audit", user=admin),
        Page("site audit log", "/staff/audit", user=admin),
        Page("initiators", "/staff/organisations/eichbrunn/initiators", user=admin),
        Page("initiators, none yet", f"/staff/organisations/{EMPTY_ORGANISATION}/initiators", user=admin),
        Page("initiators with errors", "/staff/organisations/eichbrunn/initiators", user=admin, submit=True),
        Page("staff area, as a participant", "/staff/", status=403, user=True),
    ]


def authoring_pages(session: Session) -> list[Page]:
    """The authoring dashboard: a published project's and a new draft's, publishing refused, the texts in the three
    modes, a new project, the phases (a new one, a changed one, asking before one is removed), the chapters (a new
    one, a changed one) and a chapter's paragraphs (a new one, a changed one); filled and in error,
    as the initiator (or, for another organisation's draft, an administrator)."""
    from webapp.phases.models import Phase

    initiator, admin = STAFF["initiator"], STAFF["admin"]
    new = "/staff/organisations/eichbrunn/projects/new"
    phases = "/staff/projects/smart-city/edit/phases"
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    phase = session.exec(select(Phase.id).where(Phase.project_id == project.id).order_by(Phase.starts_at)).first()
    chapter, paragraph = project.document.chapters[0].id, project.document.chapters[0].paragraphs[0].id
    draft = session.exec(select(Project).where(Project.slug == NEW_DRAFT)).one()
    draft_chapter = f"/staff/projects/{NEW_DRAFT}/edit/chapters/{draft.document.chapters[0].id}"
    draft_paragraph = draft.document.chapters[0].paragraphs[0].id
    return [
        Page("phases", phases, user=initiator),
        Page("new phase", f"{phases}/new", user=initiator),
        Page("new phase with errors", f"{phases}/new", user=initiator, submit=True),
        Page("change a phase", f"{phases}/{phase}", user=initiator),
        Page("remove a phase, asked first", f"{phases}/{phase}/remove", user=initiator),
        Page("chapters", "/staff/projects/smart-city/edit/chapters", user=initiator),
        Page("new chapter", "/staff/projects/smart-city/edit/chapters/new", user=initiator),
        Page("new chapter with errors", "/staff/projects/smart-city/edit/chapters/new", user=initiator, submit=True),
        Page("change a chapter's titles", f"/staff/projects/smart-city/edit/chapters/{chapter}", user=initiator),
        Page("paragraphs", f"/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs", user=initiator),
        Page("new paragraph", f"/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs/new", user=initiator),
        Page("new paragraph with errors", f"/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs/new",
             user=initiator, submit=True),
        Page("change a paragraph", f"/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs/{paragraph}",
             user=initiator),
        Page("remove a chapter, refused: it has comments", f"/staff/projects/smart-city/edit/chapters/{chapter}/remove",
             user=initiator),
        Page("remove a chapter, asked first", f"{draft_chapter}/remove", user=admin),
        Page("remove a paragraph, asked first", f"{draft_chapter}/paragraphs/{draft_paragraph}/remove", user=admin),
        Page("edit project", "/staff/projects/smart-city/edit", user=initiator),
        Page("project texts", "/staff/projects/smart-city/edit/texts", user=initiator),
        Page("translations", "/staff/projects/smart-city/edit/translations", user=initiator),
        Page("translations, with gaps", "/staff/projects/radverkehr/edit/translations", user=admin),
        Page("new project", new, user=initiator),
        Page("new organisation", "/staff/organisations/new", user=admin),
        Page("new organisation with errors", "/staff/organisations/new", user=admin, submit=True),
        Page("an organisation's name and contact", "/staff/organisations/eichbrunn/edit", user=admin),
        Page("new project with errors", new, user=initiator, submit=True),
        Page("edit project, a new draft", f"/staff/projects/{NEW_DRAFT}/edit", user=admin),
        Page("edit project, publishing refused", f"/staff/projects/{NEW_DRAFT}/edit", user=admin, submit=True),
        Page("project texts with errors", f"/staff/projects/{NEW_DRAFT}/edit/texts", user=admin, submit=True),
    ]


def _last_chapter(session: Session, slug: str) -> str:
    project = session.exec(select(Project).where(Project.slug == slug)).one()
    return project.document.chapters[-1].slug


# Discussion rules, moderation settings, blocking people -------------------------------------------------
def rules_pages() -> list[Page]:
    """The public discussion rules: Smart City's default text; the cycling project's own rules, written in
    German only (the other modes show them with the language notice) and with automatic hiding on."""
    return [Page("discussion rules, default text", "/projects/smart-city/rules"),
            Page("discussion rules, the project's own, automatic hiding", "/projects/radverkehr/rules")]


def conduct_pages(session: Session) -> list[Page]:
    """Blocking a person, the blocked people, the moderation settings (as the staff who use them), and the
    discussion as the blocked participant sees it."""
    from webapp.accounts.models import User
    from webapp.comments.models import Comment

    def account(email):
        return session.exec(select(User).where(User.email_key == email)).one()

    participant, blocked, moderator = account(PARTICIPANT), account(BLOCKED), account(STAFF["moderator"])
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    others = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.author_id == participant.id,
                                                Comment.deleted_at.is_(None), Comment.parent_id.is_(None))
                          .order_by(Comment.id)).first()
    chapter = next(c.slug for c in project.document.chapters if c.id == others.chapter_id)
    own = session.exec(select(Comment).where(Comment.author_id == blocked.id)).first()
    people = "/staff/projects/smart-city/people"
    return [
        Page("block a person", f"{people}/{participant.id}/block", user=STAFF["moderator"]),
        Page("block a person with errors", f"{people}/{participant.id}/block", user=STAFF["moderator"], submit=True),
        Page("blocked people", f"{people}/blocked", user=STAFF["moderator"]),
        Page("moderation settings", "/staff/projects/smart-city/moderation/settings", user=STAFF["initiator"]),
        Page("blocked people, none", "/staff/projects/radverkehr/people/blocked", user=STAFF["initiator"]),
        Page("blocked people, a deleted account's block", "/staff/projects/spielplaetze/people/blocked",
             user=STAFF["moderator"]),
        Page("block a person, already blocked, as an administrator", f"{people}/{blocked.id}/block", user=STAFF["admin"]),
        Page("block a person, refused: the project's staff", f"{people}/{moderator.id}/block", user=STAFF["admin"]),
        Page("chapter, as a blocked participant", f"/projects/smart-city/chapters/{chapter}", user=BLOCKED),
        Page("report, as a blocked participant", f"/projects/smart-city/comments/{others.id}/report", status=403,
             user=BLOCKED),
        Page("edit one's comment, as a blocked participant", f"/projects/smart-city/comments/{own.id}/edit", status=403,
             user=BLOCKED),
        Page("delete one's comment, as a blocked participant", f"/projects/smart-city/comments/{own.id}/delete",
             user=BLOCKED),
        Page("account, as a blocked participant", "/account/", user=BLOCKED),
    ]


def logged_in_pages(session: Session) -> list[Page]:
    """Every page seen logged in, grouped by the account that sees it (so each logs in once)."""
    found = participant_pages(session) + staff_pages(session) + role_pages() + conduct_pages(session) + authoring_pages(session)
    order = {account: index for index, account in enumerate(dict.fromkeys(p.account for p in found))}
    return sorted(found, key=lambda p: order[p.account])


def all_urls(session: Session) -> list[tuple[str, Page]]:
    """Every page in every mode, as (url, page)."""
    return [(page.url(mode.prefix), page) for page in pages(session) for mode in MODES.values()]
