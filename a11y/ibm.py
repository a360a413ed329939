"""IBM Equal Access (accessibility-checker-engine from npm), run over whatever the browser shows now.

A second engine beside axe (a11y/axe.py): its rules are IBM's reading of WCAG 2.2 and of the
ARIA practices, and some catch what axe does not (related checkboxes not grouped, several forms
with the same name, content outside every landmark). The engine's own ``ace.js`` is injected
into the page as axe's script is, and runs offline.

We run IBM's default policy, ``IBM_Accessibility`` (WCAG 2.0, 2.1 and 2.2 A and AA plus IBM's
supplement), and fail on every *violation*. A *potential violation* is the engine asking a
person to look ("verify that colour is not the only means ..."): :data:`REVIEWED` names each
kind we have looked at and why it holds here; a potential violation of any other kind fails
too, so that a new kind is looked at once and then either fixed or added there with its reason.
Recommendations and manual checks are not failures.
"""

from __future__ import annotations

from pathlib import Path

from a11y.engines import scripts_for_the_checks

ACE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "accessibility-checker-engine" / "ace.js"
#: The engine's default rule set: WCAG 2.0-2.2 A and AA and IBM's own requirements.
POLICY = "IBM_Accessibility"

#: Potential violations we have looked at (engine 4.0.34, December 2026), by (rule, reason), with what
#: makes them hold on our pages. A kind not listed here fails the suite until someone has looked at it.
REVIEWED: dict[tuple[str, str], str] = {
    ("style_color_misuse", "Potential_1"):
        "Asked of every stylesheet. Every state is also said in words: badges, 'Fehler:', 'your rating' beside "
        "aria-pressed, underlined links; axe checks link distinction and contrast.",
    ("style_focus_visible", "potential_focus_not_visible"):
        "Asked of every control styled with outline or border. Every focusable element gets a 3 px outline on "
        "focus; a11y/test_keyboard.py tabs through the pages and checks each stop's focus style.",
    ("element_tabbable_visible", "potential_visible"):
        "The skip link, off-screen until focused; a11y/test_keyboard.py checks it shows on focus.",
    ("element_tabbable_unobscured", "potential_obscured"):
        "A link that wraps onto two lines has a box that covers the next link on its line; nothing covers it on "
        "screen (no sticky or fixed elements on our pages).",
    ("input_label_visible", "potential_no_label"):
        "The engine accepts a <label for> as visible only on input and button; our selects and textareas have "
        "visible labels too (axe's label rules and a11y/axtree.py check every control's name).",
    ("text_block_heading", "potential_heading"):
        "Short bold lines: form labels and the site name, which are not headings.",
    ("blockquote_cite_exists", "Potential_1"):
        "Our blockquotes quote comments and paragraphs; who wrote them and when is said beside them in words, "
        "and there is no address to cite.",
    ("text_sensory_misuse", "potential_position"):
        "'At the top', 'below', 'above' in the pages' texts name the thing too ('Log in in the menu at the top'), "
        "and 'left' is 'characters left'.",
    ("text_sensory_misuse", "potential_other"):
        "'small', 'large', 'size' in the drafts' texts describe the city, not the page.",
    ("text_quoted_correctly", "Potential_1"):
        "Apostrophes in an author's text ('the citizens' office'), not quotations.",
}


#: The policy's results that are not passes; ``null`` when the page has no engine yet.
CHECK = """
const done = arguments[arguments.length - 1];
if (!(window.ace && window.ace.Checker)) { done(null); return; }
new window.ace.Checker().check(document, [arguments[0]]).then(report => done(report.results
    .filter(r => r.value[1] !== "PASS")
    .map(r => ({rule: r.ruleId, reason: r.reasonId, level: r.value.join(" "), path: r.path.dom,
                message: r.message, snippet: r.snippet}))),
  error => done({error: String(error)}));
"""


def _check(browser) -> list[dict]:
    """Every result of the policy that is not a pass: rule, reason, level, element, message.

    The engine is injected once per document, and not at all where a11y/engines.py's
    :func:`~a11y.engines.in_every_document` has put it there already.
    """
    found = browser.execute_async_script(CHECK, POLICY)
    if found is None:
        # ace.js declares a global ``var ace``; execute_script wraps code in a function, so hand it over.
        browser.execute_script(ACE_SCRIPT.read_text(encoding="utf-8") + "\n;window.ace = ace;")
        found = browser.execute_async_script(CHECK, POLICY)
    if isinstance(found, dict):
        raise RuntimeError(f"IBM Equal Access did not run: {found['error']}")
    return found


def results(browser) -> list[dict]:
    """All of the engine's findings on the current state of the page (passes left out).

    In a browser whose page scripts are off (``browser.javascript`` is False), scripting is
    allowed only while the engine runs, as for axe: the page itself was rendered without JavaScript.
    """
    with scripts_for_the_checks(browser):
        return _check(browser)


def failing(found: list[dict]) -> list[dict]:
    """What fails a page: violations, and potential violations of a kind not in :data:`REVIEWED`."""
    return [r for r in found if r["level"] == "VIOLATION FAIL"
            or (r["level"] == "VIOLATION POTENTIAL" and (r["rule"], r["reason"]) not in REVIEWED)]


def violations(browser) -> list[dict]:
    """What fails the current state of the page (see :func:`failing`)."""
    return failing(results(browser))


def describe(found: list[dict]) -> str:
    """A short, readable report: rule, level, element and message, at most five per rule."""
    lines, shown = [], {}
    for result in found:
        shown[result["rule"]] = shown.get(result["rule"], 0) + 1
        if shown[result["rule"]] <= 5:
            lines.append(f"IBM {result['rule']} ({result['level'].lower()}): {result['message']}\n"
                         f"    {result['path']}: {result['snippet'][:160]}")
    return "\n".join(lines)
