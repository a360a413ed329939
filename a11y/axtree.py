"""What a screen reader gets: checks on Chromium's accessibility tree and the live DOM.

axe judges rules one element at a time. These checks look at the page as a whole, the
way a screen-reader user meets it after every load and every htmx swap:

- no id is used twice (labels, hints and error links would point at the wrong element);
- every form control has a non-empty accessible name;
- links and buttons that do different things have different names (WCAG 2.4.9: a list of
  links or buttons read out of context must still tell them apart);
- no two articles (comments) share a name, so moving by article tells them apart;
- no navigation landmark repeats its role in its name ("Brotkrumen-Navigation Navigation"),
  and none is empty (a pager with one page);
- nothing is left ``aria-busy`` (a region stays hidden from some screen readers, and faded);
- no text shows markup meant as markup (an escaped ``<a href=...>`` where a link belongs);
  what people wrote (comment bodies, quotes, fields) may contain anything and is left out.

Everything comes through the DevTools protocol, so it works the same whether the page's
own scripts run or not.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

#: Roles of controls that must have a name.
CONTROL_ROLES = {"textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "button", "spinbutton",
                 "slider", "switch", "menuitem", "tab", "link"}
#: Query parameters that do not change what a link means (where to come back to).
NEUTRAL_PARAMETERS = {"next"}
#: A tag shown as text.
ESCAPED_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
#: Elements whose text people wrote or that is not shown as text.
USER_TEXT = {"textarea", "script", "style", "blockquote", "input", "title"}
USER_TEXT_CLASSES = {"comment__body"}


@dataclass
class DomNode:
    """The parts of a DOM element these checks need."""

    name: str
    attributes: dict[str, str]
    form: "DomNode | None" = None
    children: list["DomNode"] = field(default_factory=list)


def _dom(browser, texts: list[str] | None = None) -> dict[int, DomNode]:
    """Every element of the document by backend node id, each knowing its form.

    ``texts`` collects the page's own text nodes (not what people wrote).
    """
    root = browser.execute_cdp_cmd("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    found: dict[int, DomNode] = {}

    def walk(node: dict, form: DomNode | None, written: bool, nav: DomNode | None = None) -> None:
        if node.get("nodeType") == 1:
            raw = node.get("attributes", [])
            element = DomNode(node["nodeName"].lower(), dict(zip(raw[::2], raw[1::2], strict=True)), form)
            found[node["backendNodeId"]] = element
            if element.name == "nav" and "hidden" not in element.attributes:
                nav = element
            elif element.name in ("a", "button") and nav is not None:
                nav.children.append(element)
            if element.name == "form":
                form = element
            written = written or element.name in USER_TEXT or bool(
                USER_TEXT_CLASSES & set(element.attributes.get("class", "").split()))
        elif node.get("nodeType") == 3 and texts is not None and not written:
            texts.append(node.get("nodeValue", ""))
        for child in node.get("children", []) + ([node["contentDocument"]] if "contentDocument" in node else []):
            walk(child, form, written, nav)

    walk(root, None, False)
    return found


def _ax_nodes(browser) -> list[dict]:
    browser.execute_cdp_cmd("Accessibility.enable", {})
    return [n for n in browser.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"] if not n.get("ignored")]


def focused(browser) -> tuple[str, str]:
    """The role of the element that has focus, as the accessibility tree gives it, and its text."""
    focused_nodes = [node for node in _ax_nodes(browser)  # the document is focused too: the last one is deepest
                     if any(p.get("name") == "focused" and (p.get("value") or {}).get("value")
                            for p in node.get("properties", []))]
    if not focused_nodes:
        return "", ""
    return _value(focused_nodes[-1], "role"), browser.switch_to.active_element.text


def _value(node: dict, key: str) -> str:
    return str((node.get(key) or {}).get("value") or "").strip()


def _link_meaning(href: str) -> str:
    parts = urlsplit(href)
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k not in NEUTRAL_PARAMETERS))
    return f"{parts.path}?{query}"


def _meaning(role: str, element: DomNode | None) -> str:
    """What activating a link or button does, to tell same-named controls apart."""
    if element is None:
        return "?"
    if role == "link":
        return "link " + _link_meaning(element.attributes.get("href", ""))
    form = element.form.attributes if element.form else {}
    return " ".join(["button", form.get("action", ""), form.get("data-hx-post", ""),
                     element.attributes.get("name", ""), element.attributes.get("value", ""),
                     element.attributes.get("data-hx-get", ""), element.attributes.get("form", "")])


def problems(browser) -> list[str]:
    """Everything the checks above find on the page as it is now, as readable lines."""
    found: list[str] = []
    texts: list[str] = []
    dom = _dom(browser, texts)
    found += [f"markup shown as text: {match.group(0)!r}" for text in texts for match in [ESCAPED_TAG.search(text)]
              if match]
    ids: dict[str, int] = defaultdict(int)
    for element in dom.values():
        if element.attributes.get("id"):
            ids[element.attributes["id"]] += 1
        if "aria-busy" in element.attributes and element.attributes["aria-busy"] != "false":
            found.append(f"left aria-busy: <{element.name} id={element.attributes.get('id')!r}>")
    found += [f"id used {count} times: {name!r}" for name, count in ids.items() if count > 1]
    found += [f"navigation with nothing in it: <nav aria-label={e.attributes.get('aria-label')!r}>"
              for e in dom.values() if e.name == "nav" and "hidden" not in e.attributes and not e.children]

    by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    articles: dict[str, int] = defaultdict(int)
    for node in _ax_nodes(browser):
        role, name = _value(node, "role"), _value(node, "name")
        element = dom.get(node.get("backendDOMNodeId"))
        if role in CONTROL_ROLES and not name:
            described = f"<{element.name} id={element.attributes.get('id')!r}>" if element else role
            found.append(f"{role} without an accessible name: {described}")
        here = element is not None and element.attributes.get("aria-current") in ("page", "true")
        if role in ("link", "button") and name and not here:  # a link to this very page is no action
            kind = "link or button"
            by_name[(kind, name)].add(_meaning(role, element))
        if role == "article":
            articles[name] += 1
        if role == "navigation" and "navigation" in name.lower():
            found.append(f"navigation named {name!r}: its role is announced too (\"... Navigation Navigation\")")
    for (kind, name), meanings in by_name.items():
        if len(meanings) > 1:
            found.append(f"{len(meanings)} different {kind}s named {name!r}")
    found += [f"{count} articles named {name!r}" for name, count in articles.items() if count > 1]
    return found


def assert_understandable(browser, where: str = "") -> None:
    """Fail with every problem found on the page as it is now."""
    found = problems(browser)
    assert not found, f"{where or browser.current_url}:\n  " + "\n  ".join(found)
