"""Factories (factory-boy) for the rows tests need: people and their roles, comments, ratings, reports, blocks.

Each factory writes its row and commits it, so the HTTP client sees it at once. Where: give either

* ``app=``: the row is written in a session of its own (``Session(db.engine())`` inside ``app.app_context()``),
  committed, refreshed and expunged, as :func:`tests.support.make_user` always did: a detached row whose
  columns can be read (not its relationships); or
* ``session=``: the row is added to that session (a test's ``session`` fixture) and committed there; it stays
  in it, so the test can change it, ``session.refresh`` it and follow its relationships.

Without either, the app of a pushed app context is used. Rows a factory makes on the way (a comment's
author, a report's comment) are written the same way as the row itself.

Projects, organisations and chapters are named by slug or given as rows (from any session): ``project=``
"smart-city" (the demo's project, the default) or a :class:`~webapp.models.Project`. Counters are left as
given: a reply does not raise its parent's ``reply_count``, a rating or a report no count on its comment
(set them as the services would, where the test needs them).

    author = UserFactory(app=app)                              # confirmed participant
    moderator = UserFactory(app=app, moderator=True, project="radverkehr")
    comment = CommentFactory(session=session, author=author)  # on smart-city's first chapter
    reply = CommentFactory(session=session, parent=comment)
    ReportFactory(session=session, comment=comment, reason="insult")
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager

import factory
from flask import current_app, has_app_context
from sqlmodel import Session, select

from tests.support import PASSWORD, _hash_once
from webapp import db
from webapp.accounts.models import normalise_key
from webapp.clock import utcnow
from webapp.models import (
    Chapter,
    Comment,
    Document,
    Organisation,
    OrganisationMember,
    PersonBlock,
    Project,
    ProjectModerator,
    Rating,
    Report,
    User,
)

__all__ = ["CommentFactory", "OrganisationMemberFactory", "PersonBlockFactory", "ProjectModeratorFactory",
           "RatingFactory", "ReportFactory", "UserFactory"]


@contextmanager
def _writing(app, session):
    """The session to write in, and whether it is the factory's own (then the row is expunged after the commit)."""
    if session is not None:
        yield session, False
        return
    if app is None:
        if not has_app_context():
            raise TypeError("a factory needs app= or session= (or a pushed app context) to write its row")
        app = current_app._get_current_object()
    with app.app_context(), Session(db.engine()) as own:
        yield own, True


def _project(work, project) -> Project:
    """``project``: a slug or a Project row."""
    if isinstance(project, str):
        return work.exec(select(Project).where(Project.slug == project)).one()
    return project


def _organisation_id(work, organisation, project) -> int:
    """``organisation``: a slug or an Organisation row; none: ``project``'s organisation."""
    if organisation is None:
        return _project(work, project).organisation_id
    if isinstance(organisation, str):
        return work.exec(select(Organisation).where(Organisation.slug == organisation)).one().id
    return organisation.id


def _chapter(work, project, chapter) -> tuple[int, int]:
    """(project id, chapter id) of ``chapter`` (a Chapter row, or a slug in ``project``; none: its first chapter)."""
    if isinstance(chapter, Chapter):
        return work.exec(select(Document.project_id).where(Document.id == chapter.document_id)).one(), chapter.id
    place = _project(work, project)
    query = select(Chapter).join(Document, Document.id == Chapter.document_id).where(Document.project_id == place.id)
    query = query.where(Chapter.slug == chapter) if chapter is not None else query.order_by(Chapter.position)
    return place.id, work.exec(query.limit(1)).one().id


def _in_same_place(factory_class, **kwargs):
    """A SubFactory that writes where the row being made is written (its ``app`` or ``session``)."""
    return factory.SubFactory(factory_class, app=factory.SelfAttribute("..app"),
                              session=factory.SelfAttribute("..session"), **kwargs)


class _RowFactory(factory.Factory):
    """Writes its model's row (see the module's docstring); subclasses name the extra arguments they read."""

    class Meta:
        abstract = True

    app = None
    session = None

    #: Arguments of the factory that are no columns: handed to :meth:`_complete` and :meth:`_after_flush`.
    _extras: tuple[str, ...] = ()
    #: A column given outright stands for the row it would come from: {"author_id": "author"} makes no author.
    _given_by: dict[str, str] = {}

    @classmethod
    def _generate(cls, strategy, params):
        for column, source in cls._given_by.items():
            if column in params:
                params.setdefault(source, None)
        return super()._generate(strategy, params)

    @classmethod
    def _complete(cls, work, columns: dict, **extras) -> None:
        """Fill in ``columns`` from ``extras`` (slugs, rows) with what it takes the database to know."""

    @classmethod
    def _after_flush(cls, work, row, **extras) -> None:
        """Add rows that need ``row``'s id, in the same transaction."""

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError(f"{cls.__name__} writes its rows: call it (create), do not build")

    @classmethod
    def _create(cls, model_class, *args, app=None, session=None, **columns):
        extras = {name: columns.pop(name) for name in cls._extras}
        with _writing(app, session) as (work, own):
            cls._complete(work, columns, **extras)
            row = model_class(*args, **columns)
            work.add(row)
            work.flush()
            cls._after_flush(work, row, **extras)
            work.commit()
            work.refresh(row)
            if own:
                work.expunge(row)
        return row


class UserFactory(_RowFactory):
    """A confirmed participant: "Tester <hex>", a random address at example.org, the password
    :data:`tests.support.PASSWORD` (an argon2 hash made once per run), German mails.

    ``unconfirmed=True``: the address is not confirmed. ``admin=True``: a site administrator.
    ``moderator=True``: moderator of ``project`` (default "smart-city"); ``initiator=True``: initiator of
    ``project``'s organisation (the role row is written in the same transaction). ``role=`` names one of these
    ("participant", "admin", "moderator", "initiator") as :func:`tests.support.make_user` does;
    ``password=`` another password.
    """

    class Meta:
        model = User

    class Params:
        password = PASSWORD
        confirmed = True
        unconfirmed = factory.Trait(confirmed=False)
        admin = factory.Trait(role="admin")
        moderator = factory.Trait(role="moderator")
        initiator = factory.Trait(role="initiator")

    _extras = ("role", "project")

    role = "participant"
    project = "smart-city"
    username = factory.LazyFunction(lambda: f"Tester {secrets.token_hex(4)}")
    username_key = factory.LazyAttribute(lambda o: normalise_key(o.username))
    email = factory.LazyFunction(lambda: f"{secrets.token_hex(6)}@example.org")
    email_key = factory.LazyAttribute(lambda o: normalise_key(o.email))
    password_hash = factory.LazyAttribute(lambda o: _hash_once(o.password))
    is_admin = factory.LazyAttribute(lambda o: o.role == "admin")
    language = "de"
    email_confirmed_at = factory.LazyAttribute(lambda o: utcnow() if o.confirmed else None)

    @classmethod
    def _after_flush(cls, work, row, *, role, project):
        if role == "moderator":
            work.add(ProjectModerator(user_id=row.id, project_id=_project(work, project).id))
        elif role == "initiator":
            work.add(OrganisationMember(user_id=row.id, organisation_id=_project(work, project).organisation_id,
                                        role="initiator"))


class ProjectModeratorFactory(_RowFactory):
    """A new confirmed participant (``user=``: another account) made moderator of ``project`` (default "smart-city")."""

    class Meta:
        model = ProjectModerator

    class Params:
        user = _in_same_place(UserFactory)

    _extras = ("project",)
    _given_by = {"user_id": "user"}

    project = "smart-city"
    user_id = factory.LazyAttribute(lambda o: o.user.id)

    @classmethod
    def _complete(cls, work, columns, *, project):
        columns.setdefault("project_id", _project(work, project).id)


class OrganisationMemberFactory(_RowFactory):
    """A new confirmed participant (``user=``: another account) made initiator of ``organisation`` (a slug or row;
    default: the organisation of ``project``, "smart-city"'s)."""

    class Meta:
        model = OrganisationMember

    class Params:
        user = _in_same_place(UserFactory)

    _extras = ("organisation", "project")
    _given_by = {"user_id": "user"}

    organisation = None
    project = "smart-city"
    user_id = factory.LazyAttribute(lambda o: o.user.id)
    role = "initiator"

    @classmethod
    def _complete(cls, work, columns, *, organisation, project):
        columns.setdefault("organisation_id", _organisation_id(work, organisation, project))


class CommentFactory(_RowFactory):
    """A German comment "Kommentar <hex>" on the whole first chapter of the demo project "smart-city", by a new
    confirmed participant, written now.

    ``author=``: another account (``None``: a deleted account's comment). ``project=``: another project (slug or
    row); ``chapter=``: a chapter (row, or slug in the project); ``paragraph=``: a paragraph row (the comment is on
    it, in its chapter). ``parent=``: a reply to that comment (its chapter and paragraph). Any column may be given
    as well (``body``, ``created_at``, ``deleted_at``, ``report_count``, ...).
    """

    class Meta:
        model = Comment

    class Params:
        author = _in_same_place(UserFactory)

    _extras = ("project", "chapter", "paragraph", "parent")
    _given_by = {"author_id": "author"}

    project = "smart-city"
    chapter = None
    paragraph = None
    parent = None
    author_id = factory.LazyAttribute(lambda o: o.author.id if o.author is not None else None)
    body = factory.LazyFunction(lambda: f"Kommentar {secrets.token_hex(4)}")

    @classmethod
    def _complete(cls, work, columns, *, project, chapter, paragraph, parent):
        if parent is not None:
            place = {"project_id": parent.project_id, "chapter_id": parent.chapter_id,
                     "paragraph_id": parent.paragraph_id, "parent_id": parent.id}
        elif paragraph is not None:
            chapter_row = work.get(Chapter, paragraph.chapter_id)
            project_id, chapter_id = _chapter(work, project, chapter_row)
            place = {"project_id": project_id, "chapter_id": chapter_id, "paragraph_id": paragraph.id}
        else:
            project_id, chapter_id = _chapter(work, project, chapter)
            place = {"project_id": project_id, "chapter_id": chapter_id}
        for column, value in place.items():
            columns.setdefault(column, value)


class RatingFactory(_RowFactory):
    """An agree (+1; ``value=-1``: disagree) on a new comment (``comment=``) by a new confirmed participant
    (``user=``). The comment's counts are left as they are."""

    class Meta:
        model = Rating

    class Params:
        comment = _in_same_place(CommentFactory)
        user = _in_same_place(UserFactory)

    _given_by = {"comment_id": "comment", "user_id": "user"}

    comment_id = factory.LazyAttribute(lambda o: o.comment.id)
    user_id = factory.LazyAttribute(lambda o: o.user.id)
    value = 1


class ReportFactory(_RowFactory):
    """An open report ("spam", no explanation) of a new comment (``comment=``) by a new confirmed participant
    (``reporter=``; ``None``: a deleted account's), keeping the comment's text as it reads. The comment's
    counts are left as they are."""

    class Meta:
        model = Report

    class Params:
        comment = _in_same_place(CommentFactory)
        reporter = _in_same_place(UserFactory)

    _given_by = {"comment_id": "comment", "reporter_id": "reporter"}

    comment_id = factory.LazyAttribute(lambda o: o.comment.id)
    reporter_id = factory.LazyAttribute(lambda o: o.reporter.id if o.reporter is not None else None)
    reason = "spam"
    comment_text = factory.LazyAttribute(lambda o: o.comment.body if o.comment is not None else "")


class PersonBlockFactory(_RowFactory):
    """A block of a new confirmed participant (``user=``) from the demo project "smart-city" (``project=``: another
    one; ``site_wide=True``: from the whole site), made now by nobody in particular, without end, reason "Grund"."""

    class Meta:
        model = PersonBlock

    class Params:
        user = _in_same_place(UserFactory)
        site_wide = factory.Trait(project=None)

    _extras = ("project",)
    _given_by = {"user_id": "user", "project_id": "project"}

    project = "smart-city"
    user_id = factory.LazyAttribute(lambda o: o.user.id if o.user is not None else None)
    reason = "Grund"

    @classmethod
    def _complete(cls, work, columns, *, project):
        if project is not None:
            columns.setdefault("project_id", _project(work, project).id)
