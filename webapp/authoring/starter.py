"""What a new project starts with: the "text review" starter.

A draft with three phases (information, commenting, results) at sensible dates from the day it is
created, titled and described in the three language modes, and an empty document. Authors change all of it
before they publish; the dates are whole Europe/Berlin days, as the public timeline shows them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..clock import berlin_moment

#: (kind, first day, last day as offsets from the day of creation, title and description per mode key).
TEXT_REVIEW = (
    ("information", 0, 13, {
        "de": ("Information", "Wir stellen den Entwurf vor und sagen, wie Sie mitmachen können."),
        "en": ("Information", "We present the draft and explain how you can take part."),
        "simple": ("Informationen", "Wir zeigen Ihnen den Plan. Und wir sagen Ihnen, wie Sie mitmachen können."),
    }),
    ("commenting", 14, 41, {
        "de": ("Kommentierung", "Alle können den Entwurf Kapitel für Kapitel lesen und kommentieren."),
        "en": ("Commenting", "Anyone can read the draft chapter by chapter and comment on it."),
        "simple": ("Ihre Meinung ist gefragt", "Lesen Sie den Plan. Schreiben Sie Ihre Meinung dazu."),
    }),
    ("results", 42, 97, {
        "de": ("Auswertung und Ergebnisse", "Wir werten alle Kommentare aus und veröffentlichen hier die Ergebnisse."),
        "en": ("Evaluation and results", "We evaluate all comments and publish the results here."),
        "simple": ("Die Ergebnisse", "Wir lesen alle Kommentare. Dann schreiben wir hier auf, was herausgekommen ist."),
    }),
)


def phases_from(today: date) -> list[tuple[str, datetime, datetime, dict[str, tuple[str, str]]]]:
    """The starter's phases placed from ``today`` (a Berlin day): kind, start, end (UTC), texts by mode key."""
    return [(kind, berlin_moment(today + timedelta(days=first), time(0, 0)),
             berlin_moment(today + timedelta(days=last), time(23, 59, 59)), texts)
            for kind, first, last, texts in TEXT_REVIEW]
