"""The layers of the house (issue 15, part 3): imports run down, never back up, and form no circle.

Each room (a package of ``webapp/`` or a module beside them) stands on one floor of :data:`LAYERS`.
An import may reach its own floor or one below; one that reaches a floor above is an arrow back up.
The arrows back up that are still there are listed in :data:`ARROWS_BACK_UP`, each with its reason
and where it goes: the list only shrinks. A new arrow back up fails, and so does an entry whose
arrow is gone (take it off the list). Imports under ``if TYPE_CHECKING:`` (the model relationships)
are not arrows: nothing runs them.

The test reads the source (``ast``): every ``import``/``from ... import`` of a ``webapp`` module, at the
top of a module or inside a function alike.

An import inside a function is there only where a comment says why (a circle at import time, a start-up cost,
routes that register on import): on its own line, or on the line directly above it or above the first import
of its run of consecutive imports (:func:`unexplained_imports`). Every other import stands at the top.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import defaultdict
from pathlib import Path

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"

#: The floors, bottom first, and their rooms. ``webapp`` is the app factory (``webapp/__init__.py``).
LAYERS = {
    "infrastructure": {"db", "config", "i18n", "clock", "security", "assets", "pagecache", "fragmentcache", "contentversion", "ownconnection", "readercache", "markdown", "forms",
                       "htmx", "extensions", "ratelimits", "localized", "errors", "templating", "backup", "hook"},
    "kernel": {"accounts", "permissions", "audit", "mail", "jobs"},
    "content": {"projects", "phases", "documents", "pages"},
    "participation": {"comments"},
    "staff": {"moderation", "conduct", "roles", "auditlog"},
    "top": {"webapp", "models", "privacy", "staffhome", "authoring", "cli", "demo", "health", "serving", "gunicorn_conf"},
}
FLOOR = {room: floor for floor, rooms in enumerate(LAYERS.values()) for room in rooms}

#: The arrows back up that are still there (``(from room, to room)``: why, and where they go). Only shrinks.
ARROWS_BACK_UP = {
    ("permissions", "projects"): "the organisation of a project: to be asked of the project instead",
    ("permissions", "roles"): "permissions read the role tables (models only, a leaf)",
    ("documents", "comments"): "the chapter and paragraph pages show the discussion",
    ("jobs", "webapp"): "a worker process without an app makes one (the factory) and finds every package's jobs",
}

#: Arrows within a floor that close a circle (``(from, to)``: why). Only shrinks.
ARROWS_IN_A_CIRCLE: dict[tuple[str, str], str] = {}


def room_of(module: str) -> str:
    """``webapp.comments.views`` -> ``comments``; ``webapp`` -> ``webapp``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "webapp"


def module_of(path: Path) -> tuple[str, str]:
    """The module's dotted name and the package its relative imports start from."""
    parts = list(path.relative_to(WEBAPP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def imported(node: ast.AST, package: str) -> list[str]:
    """The ``webapp`` modules an import statement names (``from . import x`` names ``package.x``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "webapp"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level == 0:
        return [node.module] if node.module and node.module.split(".")[0] == "webapp" else []
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    if node.module:
        return [".".join([*base, node.module])]
    # ``from . import create_app`` names the package itself; ``from . import views`` a module in it.
    return [".".join([*base, alias.name]) if _is_module([*base, alias.name]) else ".".join(base)
            for alias in node.names]


def _is_module(parts: list[str]) -> bool:
    path = WEBAPP.parent.joinpath(*parts)
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


@functools.cache
def arrows() -> dict[tuple[str, str], list[str]]:
    """Every import from one room to another, as ``(from, to) -> ["path:line", ...]`` (``TYPE_CHECKING`` aside)."""
    found = defaultdict(list)
    for path in sorted(WEBAPP.rglob("*.py")):
        module, package = module_of(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        unchecked = {id(sub) for node in ast.walk(tree)
                     if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                     for sub in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in unchecked:
                continue
            for target in imported(node, package):
                if room_of(target) != room_of(module):
                    found[(room_of(module), room_of(target))].append(f"{path.relative_to(WEBAPP.parent)}:{node.lineno}")
    return found


#: Linters' directives (noqa with its codes, type: ignore), which say nothing about why: alone they are no reason.
DIRECTIVE = re.compile(r"^(noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?|type:\s*ignore(\[[^\]]*\])?)\s*")


def _says_why(line: str) -> bool:
    """Whether a source line carries a comment with words beyond a linter's directive."""
    if "#" not in line:  # an import statement holds no string, so "#" starts a comment
        return False
    text = line.split("#", 1)[1].strip()
    return bool(DIRECTIVE.sub("", text).strip(" -()"))


def unexplained_imports(source: str) -> list[int]:
    """The lines of imports inside a function (at any depth) that no comment explains.

    A comment counts on the import's own lines, or on a comment line directly above the import or directly above
    the first import of its run (imports that follow one another in the same block, blank lines allowed): a comment
    line explains the imports below it in the run.
    """
    lines = source.splitlines()
    found = []

    def comment_above(lineno: int) -> bool:
        above = lines[lineno - 2].strip() if lineno >= 2 else ""
        return above.startswith("#") and _says_why(above)

    def visit(node: ast.AST, in_function: bool) -> None:
        for _field, value in ast.iter_fields(node):
            if not isinstance(value, list):
                continue
            run_explained = False  # a comment line above an import explains the rest of its run too
            for child in value:
                if not isinstance(child, ast.AST):
                    continue
                if not isinstance(child, (ast.Import, ast.ImportFrom)):
                    run_explained = False
                    visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
                    continue
                run_explained = run_explained or comment_above(child.lineno)
                if in_function and not (run_explained or any(_says_why(line)
                                                             for line in lines[child.lineno - 1:child.end_lineno])):
                    found.append(child.lineno)

    visit(ast.parse(source), False)
    return found


def test_every_room_stands_on_a_floor():
    rooms = {room_of(module_of(path)[0]) for path in WEBAPP.rglob("*.py")}
    assert rooms - set(FLOOR) == set(), "rooms without a floor in LAYERS"
    assert set(FLOOR) - rooms == set(), "LAYERS names rooms that are gone"


def test_no_new_arrow_runs_back_up_and_the_list_of_old_ones_only_shrinks():
    back_up = {pair: places for pair, places in arrows().items() if FLOOR[pair[1]] > FLOOR[pair[0]]}
    new = {f"{a} -> {b}": places for (a, b), places in back_up.items() if (a, b) not in ARROWS_BACK_UP}
    assert not new, f"imports that run back up a floor (LAYERS): {new}"
    gone = sorted(f"{a} -> {b}" for a, b in ARROWS_BACK_UP if (a, b) not in back_up)
    assert not gone, f"these arrows are gone: take them off ARROWS_BACK_UP: {gone}"
    gone = sorted(f"{a} -> {b}" for a, b in ARROWS_IN_A_CIRCLE if (a, b) not in arrows())
    assert not gone, f"these arrows are gone: take them off ARROWS_IN_A_CIRCLE: {gone}"


def test_no_circle_outside_the_arrows_back_up():
    """Between rooms, only the listed arrows close a circle; without them the graph has none."""
    graph = defaultdict(set)
    for a, b in arrows():
        if (a, b) not in ARROWS_BACK_UP and (a, b) not in ARROWS_IN_A_CIRCLE:
            graph[a].add(b)
    state: dict[str, int] = {}
    circle: list[str] = []

    def visit(room: str, path: list[str]) -> bool:
        state[room] = 1
        for nxt in sorted(graph[room]):
            if state.get(nxt) == 1:
                circle.extend([*path[path.index(nxt):], nxt] if nxt in path else [room, nxt])
                return True
            if nxt not in state and visit(nxt, [*path, nxt]):
                return True
        state[room] = 2
        return False

    for room in sorted(graph):
        if room not in state and visit(room, [room]):
            break
    assert not circle, " -> ".join(circle)


def test_the_checker_sees_an_arrow_back_up():
    """A guard: the reader of imports finds a relative import from a low room to a high one."""
    assert module_of(WEBAPP / "templating.py") == ("webapp.templating", "webapp")
    assert module_of(WEBAPP / "comments" / "__init__.py") == ("webapp.comments", "webapp.comments")
    from_templating = ast.parse("from .comments.models import Comment\nimport webapp.db")
    assert [t for node in from_templating.body for t in imported(node, "webapp")] == ["webapp.comments.models", "webapp.db"]
    from_views = ast.parse("from ..db import x\nfrom . import rules")
    assert [t for node in from_views.body for t in imported(node, "webapp.comments")] == ["webapp.db",
                                                                                          "webapp.comments.rules"]
    assert FLOOR[room_of("webapp.comments.models")] > FLOOR[room_of("webapp.templating")]


def test_accounts_hooks_are_connected_by_the_factory_and_refuse_when_not(app, monkeypatch):
    """accounts asks the floors above through hooks (webapp/accounts/hooks.py); unconnected, they refuse rather
    than answer "no name is held"."""
    from webapp.accounts import hooks
    from webapp.conduct import blocks

    assert hooks.hooks().name_held is blocks.name_is_held
    assert hooks.hooks().address_refused is blocks.site_block_of_address
    monkeypatch.setattr(hooks, "_connected", None)
    try:
        hooks.hooks()
    except RuntimeError as error:
        assert "create_app" in str(error)
    else:
        raise AssertionError("unconnected hooks answered")


def test_the_projects_loader_hook_is_connected_by_the_factory_and_refuses_when_not(app, monkeypatch):
    """projects' loaders bring a project's table of contents along with the loader options documents gives,
    through a hook the factory connects (documents uses projects, never the other way); unconnected, they refuse
    rather than load every chapter's title one query at a time."""
    # Imported here, as in the other hook tests: the rest of this module only reads the source.
    from webapp.documents import services as document_services
    from webapp.projects import services as project_services

    assert project_services._options_along.function is document_services.table_of_contents
    monkeypatch.setattr(project_services._options_along, "function", None)
    with app.app_context():
        try:
            project_services.get_published("smart-city")
        except RuntimeError as error:
            assert "create_app" in str(error)
        else:
            raise AssertionError("the unconnected loader hook answered")


def test_participation_and_conduct_hooks_are_connected_by_the_factory_and_refuse_when_not(app, monkeypatch):
    """comments asks conduct whether a person is blocked, and conduct asks moderation what a new threshold for
    automatic hiding does, each through a hook the factory connects (no arrow back up, no circle); unconnected,
    they refuse rather than answer "not blocked" or "nothing to hide"."""
    from webapp.comments import rules as comment_rules
    from webapp.conduct import blocks
    from webapp.conduct import rules as conduct_rules
    from webapp.moderation import autohide

    assert comment_rules.restriction_for.function is blocks.block_for
    assert conduct_rules.apply_new_threshold.function is autohide.hide_what_reached
    monkeypatch.setattr(comment_rules.restriction_for, "function", None)
    monkeypatch.setattr(conduct_rules.apply_new_threshold, "function", None)
    for ask in (lambda: comment_rules.restriction_for(None, 1), lambda: conduct_rules.apply_new_threshold(None)):
        try:
            ask()
        except RuntimeError as error:
            assert "create_app" in str(error)
        else:
            raise AssertionError("an unconnected hook answered")


def test_every_import_inside_a_function_says_why():
    """An import inside a function stays there only with a comment that says why; every other one goes to the top."""
    unexplained = [f"{path.relative_to(WEBAPP.parent)}:{line}" for path in sorted(WEBAPP.rglob("*.py"))
                   for line in unexplained_imports(path.read_text(encoding="utf-8"))]
    assert not unexplained, f"imports inside a function without a comment that says why (move them to the top): {unexplained}"
    # A guard: the checker sees an unexplained one, in a nested block or in a run, and accepts the explained ones.
    sample = (
        "import json\n"
        "def f():\n"
        "    import math\n"                                                 # 3: no comment
        "    # Here, not at the top: a circle.\n"
        "    from . import a\n"
        "\n"
        "    from . import b\n"                                             # 7: the comment above a explains b too
        "    x = 1\n"
        "    from . import c  # noqa: F401\n"                               # 9: a directive alone says nothing
        "    from . import d  # noqa: F401  (routes register on import)\n"
        "    if x:\n"
        "        from . import e\n"                                         # 12: nested, no comment
        "    class C:\n"
        "        def g(self):\n"
        "            # psycopg only where PostgreSQL is used\n"
        "            import psycopg\n"
        "            from .x import (\n"
        "                y,\n"
        "            )\n"
    )
    assert unexplained_imports(sample) == [3, 9, 12]
