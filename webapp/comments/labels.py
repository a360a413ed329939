"""The words every comment repeats, translated once per page.

A translation looked up in a template costs about 10 µs, and a discussion page shows up
to 120 comments with eight such words each: the discussion looks them up once.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import gettext as _


def comment_labels() -> SimpleNamespace:
    """The labels of a comment's actions in the reader's language.

    Those with ``%(...)s`` are templates, filled per comment by :func:`names`.
    """
    return SimpleNamespace(
        reply=_("Reply"), edit=_("Edit"), delete=_("Delete"), link=_("Link"), report=_("Report"),
        agree=_("I agree"), disagree=_("I disagree"), your_rating=_("your rating"),
        deleted_account=_("Deleted account"), deleted_comment=_("Deleted comment"),
        comment_by=_("comment by %(name)s from %(date)s"), reply_by=_("reply by %(name)s from %(date)s"),
        comment_by_title=_("Comment by %(name)s from %(date)s"), reply_by_title=_("Reply by %(name)s from %(date)s"),
        deleted_from=_("deleted comment from %(date)s"), your_comment_from=_("your comment from %(date)s"),
        quoted=_("%(what)s: “%(excerpt)s”"),
    )


#: Words of a comment quoted in the names of its actions.
EXCERPT_WORDS = 6


def excerpt(body: str) -> str:
    """The first words of a comment, "…" where it goes on."""
    words = body.split(maxsplit=EXCERPT_WORDS)
    if len(words) <= EXCERPT_WORDS:
        return " ".join(words)
    return " ".join(words[:EXCERPT_WORDS]).rstrip(".,;:!?") + "…"


def names(comment, t: SimpleNamespace, when: str) -> SimpleNamespace:
    """What a comment's article and actions are called, e.g. "Kommentar von Paula Beispiel vom 25. November
    2026, 14:03 Uhr: „Die Radwege an der …“": author, time and first words tell any two comments apart,
    so each link and button on the page says which comment it acts on (WCAG 2.4.9).

    ``about`` follows an action's visible word ("Melden: ..."), ``yours`` the author's own actions,
    ``title`` names the article. ``when``: the comment's date and time as text.
    """
    if comment.is_deleted:
        about = t.deleted_from % {"date": when}
        return SimpleNamespace(about=about, yours=about, title=t.deleted_comment + ", " + when)
    name = comment.author.username if comment.author else t.deleted_account
    values = {"name": name, "date": when}
    reply = comment.parent_id is not None
    if getattr(comment, "is_hidden", False):  # removed by the moderators: its words are quoted nowhere
        about = (t.reply_by if reply else t.comment_by) % values
        return SimpleNamespace(about=about, yours=t.your_comment_from % values,
                               title=(t.reply_by_title if reply else t.comment_by_title) % values)
    words = excerpt(comment.body)

    def quoted(what: str) -> str:
        return t.quoted % {"what": what, "excerpt": words}

    return SimpleNamespace(
        about=quoted((t.reply_by if reply else t.comment_by) % values),
        yours=quoted(t.your_comment_from % values),
        title=quoted((t.reply_by_title if reply else t.comment_by_title) % values),
    )
