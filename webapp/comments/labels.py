"""The words every comment repeats, translated once per page.

A translation looked up in a template costs about 10 µs, and a discussion page shows up
to 120 comments with eight such words each: the discussion looks them up once.
"""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup, escape

from ..i18n import current_mode
from ..i18n import gettext as _


def comment_labels() -> SimpleNamespace:
    """The labels of a comment's actions in the reader's language.

    Those with ``%(...)s`` are templates, filled per comment by :func:`names`.
    """
    return SimpleNamespace(
        reply=_("Reply"), edit=_("Edit"), delete=_("Delete"), link=_("Link to share"), report=_("Report"),
        agree=_("I agree"), disagree=_("I disagree"), your_rating=_("your rating"),
        deleted_account=_("Deleted account"), deleted_comment=_("Deleted comment"),
        comment_by=_("comment by %(name)s from %(date)s"), reply_by=_("reply by %(name)s from %(date)s"),
        comment_by_title=_("Comment by %(name)s from %(date)s"), reply_by_title=_("Reply by %(name)s from %(date)s"),
        # A deleted comment shows neither author nor text: its number tells two of the same minute apart.
        deleted_from=_("deleted comment no. %(number)s from %(date)s"),
        deleted_title=_("Deleted comment no. %(number)s, %(date)s"),
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

    ``title`` names the article, ``about`` follows an action's visible word in text ("Melden: ...", for pages
    that spell it out). ``markup`` is ``title`` as HTML, its excerpt marked with the comment's language where
    that is not the page's: the discussion shows it once per comment, hidden, and the article and every
    action refer to it (``aria-labelledby``), so a screen reader reads the excerpt in its own language and a
    text browser prints it once, not after every button. ``when``: the comment's date and time as text.
    """
    if comment.is_deleted:
        values = {"date": when, "number": comment.id}
        title = t.deleted_title % values
        about = t.deleted_from % values
        return SimpleNamespace(about=about, yours=about, title=title, markup=Markup("{}").format(title))
    name = comment.author.username if comment.author else t.deleted_account
    values = {"name": name, "date": when}
    reply = comment.parent_id is not None
    what, title_what = (t.reply_by, t.reply_by_title) if reply else (t.comment_by, t.comment_by_title)
    if getattr(comment, "is_hidden", False):  # removed by the moderators: its words are quoted nowhere
        title = title_what % values
        return SimpleNamespace(about=what % values, yours=what % values, title=title,
                               markup=Markup("{}").format(title))
    words = excerpt(comment.body)

    def quoted(who: str) -> str:
        return t.quoted % {"what": who, "excerpt": words}

    language = getattr(comment, "language", None)
    # The person's name and words isolated (<bdi>: a name or text written right to left keeps the sentence
    # around it in order), the words marked with their language where it is not the page's.
    marked = Markup('<bdi lang="{}">{}</bdi>').format(language, words) \
        if language and language != current_mode().html_lang else Markup("<bdi>{}</bdi>").format(words)
    title_markup = Markup(escape(title_what)) % {"name": Markup("<bdi>{}</bdi>").format(name), "date": when}
    return SimpleNamespace(
        about=quoted(what % values),
        yours=quoted(what % values),
        title=quoted(title_what % values),
        markup=Markup(escape(t.quoted)) % {"what": title_markup, "excerpt": marked},
    )
