"""The matrix covers the app: every state-changing route and every staff page (GET) is in some module's table,
read from ``app.url_map``; and POST-only routes refuse GET.

Each test module of this package owns its rows: ``ACTIONS``/``STAFF_ACTIONS`` and the part of the endpoint
table, ``ENDPOINTS``, that names them; its page matrices are its dicts named ``*_PAGES`` keyed by
(url, heading). The tests below gather them from every module here, so a new module needs no entry in this one.
"""

import importlib
import pkgutil

import pytest

import tests.authorization
from tests.authorization.support import SAMPLE_NAMES, world


def matrix_modules():
    """Every test module of this package, imported (pytest imports them under the same names)."""
    return [importlib.import_module(f"{tests.authorization.__name__}.{info.name}")
            for info in pkgutil.iter_modules(tests.authorization.__path__) if info.name.startswith("test_")]


@pytest.mark.parametrize("path", ["{chapter}/comments", "{paragraph}/comments", "{comment}", "/de/account/logout"])
def test_post_only_routes_refuse_get(app, client, session, path):
    """(``/de/account/confirm/resend`` is POST-only too, but its GET is the confirm page of the token "resend".)"""
    w = world(app, client, session, "author")
    response = client.get(path.format(chapter=w.chapter_url, paragraph=w.paragraph_url, comment=w.on_comment("rating")))
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_every_state_changing_route_is_in_the_matrix(app):
    """A new POST route fails here until a module adds it to its ENDPOINTS with its rows."""
    endpoints, unknown = {}, []
    for module in matrix_modules():
        rows = set(getattr(module, "ACTIONS", {})) | set(getattr(module, "STAFF_ACTIONS", {}))
        for endpoint, named in getattr(module, "ENDPOINTS", {}).items():
            endpoints.setdefault(endpoint, []).extend(named)
            unknown += [f"{module.__name__}: {row}" for row in named if row not in rows]
    missing = [f"{rule.endpoint} {rule.rule}" for rule in app.url_map.iter_rules()
               if rule.methods & {"POST", "PUT", "PATCH", "DELETE"} and rule.endpoint not in endpoints]
    assert not missing, "state-changing routes missing from the authorization matrix:\n" + "\n".join(missing)
    assert not unknown, f"ENDPOINTS names rows that its module's matrix does not have: {unknown}"


#: Staff pages (GET) deliberately in no page matrix, each with the reason. Every staff page that answers GET
#: has a row at present; add one here only with a reason (covered by another test, only redirects, ...).
NOT_IN_A_PAGE_MATRIX: dict[str, str] = {}


def _page_endpoints(app):
    """The endpoint of each page in the page matrices (``*_PAGES``) of this package's modules."""
    adapter = app.url_map.bind("localhost")
    found = {}
    with app.app_context():
        for module in matrix_modules():
            for name, table in vars(module).items():
                if name.endswith("_PAGES") and isinstance(table, dict):
                    for url, _heading in table:
                        path = url.format(**SAMPLE_NAMES)
                        endpoint, _values = adapter.match(path, method="GET")
                        found.setdefault(endpoint, []).append(f"{module.__name__}.{name}: {url}")
    return found


def test_every_staff_page_is_in_the_page_matrix(app):
    """A new staff page (a GET route under /staff/) fails here until a page matrix has a row for it."""
    pages = _page_endpoints(app)
    staff = [rule for rule in app.url_map.iter_rules() if "/staff/" in rule.rule and "GET" in rule.methods]
    missing = [f"{rule.endpoint} {rule.rule}" for rule in staff
               if rule.endpoint not in pages and rule.endpoint not in NOT_IN_A_PAGE_MATRIX]
    assert not missing, "staff pages (GET) missing from the page matrices:\n" + "\n".join(missing)
    stale = [endpoint for endpoint in NOT_IN_A_PAGE_MATRIX if endpoint not in {rule.endpoint for rule in staff} or endpoint in pages]
    assert not stale, f"NOT_IN_A_PAGE_MATRIX names endpoints that are no staff page or have a row after all: {stale}"
