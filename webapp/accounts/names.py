"""Usernames that cannot pass for someone else's: staff, the site, or another name made to look alike.

A public username is shown beside every comment. "Moderation  Eichbrunn" (two spaces),
"Mоderation Eichbrunn" (a Cyrillic о) or the name with an invisible Hangul filler rendered
exactly like the moderator's name. So a new name:

- has its runs of white space collapsed to one space (:func:`collapse_spaces`, a form filter);
- may not contain invisible characters (:func:`invisible_characters`): format characters,
  default-ignorable code points, the Hangul fillers, blank Braille, unassigned and private-use
  code points;
- is written in one script (:func:`mixes_scripts`), as Unicode's "highly restrictive" level of
  TS #39 allows: digits and punctuation go with any script, and Japanese, Chinese and Korean
  combinations with Han (and Latin) are allowed;
- does not look like a reserved name (:func:`skeleton`): the site's name, staff's usernames
  and words that claim an office ("Moderation", "Administrator", "Mitreden", "Stadt",
  "Projektteam", "Bürgermeister", ...), also with digits or signs for letters ("M0deration",
  "Adm1n", "5tadt": :func:`loose_skeleton`) or with "team" added ("Moderationsteam").
  "Team" on its own claims an office only with nothing but such words around it ("Team",
  "Das Team", "Team Eichbrunn"): "Lena Team" is someone's name.

Which characters look alike comes from Unicode's confusables data (TS #39) as the
`confusable-homoglyphs` package ships it; we fold its pairs into classes and compare names
character by character through one representative per class. Folding is wider than the
standard skeleton (it is transitive), which errs on the safe side for the few names we
reserve; it is never used to compare two participants' names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables

_WHITESPACE = re.compile(r"\s+")

#: Code points that show nothing (or nothing of their own) in a name. Default_Ignorable_Code_Point
#: (Unicode DerivedCoreProperties) plus blank Braille; the Hangul fillers (U+115F, U+1160, U+3164,
#: U+FFA0) are letters to a regular expression's \w, which is why they slipped through.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
#: Format, private-use, unassigned and line/paragraph separator categories: nothing a name needs.
_INVISIBLE_CATEGORIES = {"Cf", "Co", "Cn", "Zl", "Zp", "Cc", "Cs"}

#: Scripts that are no script of their own: digits, punctuation, combining marks.
_NEUTRAL = {"COMMON", "INHERITED"}
#: Combinations TS #39 calls "highly restrictive" (Japanese, Chinese with Bopomofo, Korean).
_ALLOWED_MIXES = (
    {"LATIN", "HAN", "HIRAGANA", "KATAKANA"},
    {"LATIN", "HAN", "BOPOMOFO"},
    {"LATIN", "HAN", "HANGUL"},
)

#: Words that claim an office, whatever else the name says ("Moderation Team", "Admin Eichbrunn").
STAFF_WORDS = ("moderation", "moderator", "moderatorin", "moderatoren", "admin", "admins",
               "administrator", "administratorin", "administration", "mitreden", "support", "official",
               "stadt", "stadtverwaltung", "verwaltung", "rathaus", "city",
               # The staff badge's and the official answer's word, and the offices of a town hall.
               "projektteam", "projekt-team", "bürgermeister", "bürgermeisterin", "buergermeister",
               "buergermeisterin", "oberbürgermeister", "oberbürgermeisterin", "oberbuergermeister",
               "oberbuergermeisterin", "beteiligung", "bürgerbeteiligung", "buergerbeteiligung")
#: Words that claim an office only with nothing else in the name but office words, the site's
#: words and :data:`FILLER_WORDS` ("Team Eichbrunn", "Das Team"); beside a name they are a name.
WEAK_STAFF_WORDS = ("team",)
#: Little words that say nothing of their own in "Das Team", "Ihr Team", "The Team".
FILLER_WORDS = ("das", "der", "die", "dein", "euer", "ihr", "unser", "the", "your", "our", "official", "offizielles")
#: Digits and signs that stand in for letters ("M0deration", "Adm1n", "5tadt", "@dmin"), read as
#: those letters after :func:`skeleton` has folded "l" and "I" into "1".
_AS_LETTERS = str.maketrans({"0": "o", "1": "i", "l": "i", "|": "i", "!": "i", "3": "e", "4": "a", "@": "a",
                             "5": "s", "$": "s", "7": "t", "8": "b"})
#: Names reserved as a whole (besides the site's name and each of its words, and staff's names).
RESERVED_NAMES = ("System", "Root")
#: What separates words in a name; a skeleton ignores them ("Moderation.Eichbrunn").
_SEPARATORS = re.compile(r"[\s._\-]+")


def collapse_spaces(value):
    """Runs of any white space become one space; the ends are trimmed."""
    return _WHITESPACE.sub(" ", value).strip() if isinstance(value, str) else value


def invisible_characters(value: str) -> bool:
    """Whether ``value`` holds a character that shows nothing of its own."""
    return bool(_INVISIBLE.search(value)) or any(unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in value)


def scripts(value: str) -> set[str]:
    """The scripts of ``value``'s letters (digits, punctuation and marks have none)."""
    return {categories.alias(c) for c in value} - _NEUTRAL


def mixes_scripts(value: str) -> bool:
    """Letters of more than one script, other than the combinations East Asian writing needs."""
    found = scripts(value)
    return len(found) > 1 and not any(found <= allowed for allowed in _ALLOWED_MIXES)


@lru_cache(maxsize=1)
def _classes() -> tuple[dict[str, str], dict[str, str]]:
    """(representative of each confusable character, expansion of a character into several)."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.get(c, c) != c:
            parent[c] = parent.get(parent[c], parent[c])
            c = parent[c]
        return c

    def better(a: str, b: str) -> str:  # prefer ASCII, then the lower code point: deterministic
        return min(a, b, key=lambda c: (not c.isascii(), ord(c)))

    expansions: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        char = char.replace("\u200e", "").replace("\u200f", "")  # the data wraps right-to-left letters in marks
        if len(char) != 1:
            continue
        for entry in homoglyphs:
            glyph = entry["c"].replace("\u200e", "").replace("\u200f", "")
            if len(glyph) == 1:
                a, b = find(char), find(glyph)
                if a != b:
                    keep = better(a, b)
                    parent[a] = parent[b] = keep
                    parent.setdefault(keep, keep)
            elif glyph:
                expansions.setdefault(char, glyph)  # "m" looks like "rn"
    representative = {c: find(c) for c in list(parent)}
    return representative, expansions


def _fold(text: str) -> str:
    representative, expansions = _classes()
    out = []
    for c in unicodedata.normalize("NFD", text):
        r = representative.get(c, c)
        out.append(r)
    text = "".join(out)
    # Expand the characters that look like two ("m" and "rn") into their representatives.
    return "".join("".join(representative.get(x, x) for x in expansions.get(c, c)) if c in expansions else c
                   for c in text)


def skeleton(name: str, casefold: bool = True) -> str:
    """What ``name`` looks like: look-alike characters and word separators folded away.

    Two comparisons catch different tricks: with case folded ("MODERATION" is "Moderation"),
    and with case kept, since folding case first would separate "I" from its twin "l".
    """
    text = unicodedata.normalize("NFKC", name)
    folded = _fold(text.casefold()) if casefold else _fold(text)
    return _SEPARATORS.sub("", unicodedata.normalize("NFC", folded))


def loose_skeleton(name: str) -> str:
    """:func:`skeleton` with accents dropped and digits or signs read as letters: "Adm1n", "@dmin"
    and "Ädmin" all read "admin". Only for comparing with reserved names (it is much too wide to
    compare two participants' names)."""
    folded = unicodedata.normalize("NFD", skeleton(name))
    return "".join(c for c in folded if unicodedata.category(c) != "Mn").translate(_AS_LETTERS)


def _words(name: str) -> list[str]:
    return [word for word in _SEPARATORS.split(unicodedata.normalize("NFKC", name)) if word]


@lru_cache(maxsize=1)
def _staff_words() -> tuple[frozenset[str], frozenset[str]]:
    return (frozenset(skeleton(word) for word in STAFF_WORDS),
            frozenset(skeleton(word, casefold=False) for variant in (str.lower, str.title, str.upper)
                      for word in map(variant, STAFF_WORDS)))


@lru_cache(maxsize=1)
def _loose_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(office words, weak office words, filler words), each as :func:`loose_skeleton`."""
    return (frozenset(map(loose_skeleton, STAFF_WORDS)), frozenset(map(loose_skeleton, WEAK_STAFF_WORDS)),
            frozenset(map(loose_skeleton, FILLER_WORDS)))


def _claims_office(word: str, office: frozenset[str]) -> bool:
    """An office word, also with "team" added: "Moderationsteam", "Adminteam" (``word`` is loose)."""
    if word in office:
        return True
    rest = word.removesuffix(loose_skeleton("team"))
    return rest != word and (rest in office or (rest.endswith("s") and rest[:-1] in office))


def reserved(name: str, site_name: str = "", staff_names: tuple[str, ...] = ()) -> bool:
    """Whether ``name`` looks like the site, a staff member's name, or claims an office."""
    whole = [n for n in (*RESERVED_NAMES, site_name, *staff_names) if n]
    site_words = [word for word in _words(site_name) if len(word) > 2] if site_name else []
    whole += site_words
    folded, cased = _staff_words()
    for casefold, words in ((True, folded), (False, cased)):
        if skeleton(name, casefold) in {skeleton(n, casefold) for n in whole}:
            return True
        if any(skeleton(word, casefold) in words for word in _words(name)):
            return True
    # Digits and signs for letters ("M0deration", "Adm1n Eichbrunn"), and the office words' company.
    office, weak, fillers = _loose_words()
    site = {loose_skeleton(word) for word in site_words}
    loose = loose_skeleton(name)
    if loose in {loose_skeleton(n) for n in whole} or _claims_office(loose, office | site):
        return True  # also written apart: "Projekt Team", "Ober Bürgermeister"
    words = [loose_skeleton(word) for word in _words(name)]
    if any(_claims_office(word, office) or (word.endswith(loose_skeleton("team")) and _claims_office(word, site))
           for word in words):
        return True
    return any(word in weak for word in words) and all(word in office | weak | fillers | site for word in words)
