"""Mitreden: an accessible participation platform for public bodies.

``create_app`` is the app factory: configuration comes from the environment
(see :mod:`webapp.config`) and tests pass overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import Flask, redirect, url_for
from werkzeug.exceptions import SecurityError

from . import assets, db, errors, fragmentcache, health, htmx, i18n, pagecache, permissions, readercache, security, templating
from . import config as config_module
from .extensions import csrf, limiter, login_manager

ROOT = Path(__file__).resolve().parent.parent


class Mitreden(Flask):
    """Flask, answering requests for a host that is not ours with the localized 400 page.

    Flask checks ``TRUSTED_HOSTS`` while it builds the request's URL adapter; when the host is
    refused it has none, and the error page could not build a single link. Here the refused
    request gets an adapter bound to ``PUBLIC_BASE_URL``'s host that builds links but matches
    nothing: routing fails with the 400, before any view (or its form) runs.
    """

    def create_url_adapter(self, request):
        try:
            return super().create_url_adapter(request)
        except SecurityError as error:
            refusal = error  # the name "error" is gone once the except block ends
            if request is None:  # pragma: no cover - only requests carry a host
                raise
            self.logger.info("Request for a host that is not ours refused: %r", request.environ.get("HTTP_HOST", "")[:100])
            base = urlsplit(self.config["PUBLIC_BASE_URL"])
            request.host = base.netloc  # whatever asks for the host from now on gets ours
            adapter = self.url_map.bind(base.netloc, script_name=request.root_path or "/", url_scheme=request.scheme,
                                        subdomain=self.url_map.default_subdomain or "")

            def refuse(*_args, **_kwargs):
                raise refusal

            adapter.match = refuse  # type: ignore[method-assign]
            return adapter


def create_app(overrides: Optional[dict[str, Any]] = None) -> Flask:
    """Build the app.

    Args:
        overrides: configuration values that win over the environment (tests use this).

    Raises:
        config.ConfigError: in production mode without a real ``SECRET_KEY`` or ``PUBLIC_BASE_URL``.
    """
    app = Mitreden(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(config_module.instance_dir()),
    )
    app.config.update(config_module.load())
    app.config.update(overrides or {})
    if "PUBLIC_BASE_URL" in (overrides or {}):
        app.config["PUBLIC_BASE_URL_GIVEN"] = (overrides or {}).get("PUBLIC_BASE_URL_GIVEN", True)
        if "TRUSTED_HOSTS" not in (overrides or {}):
            app.config["TRUSTED_HOSTS"] = config_module.trusted_hosts(app.config["PUBLIC_BASE_URL"])

    security.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    htmx.init_app(app)
    templating.init_app(app)
    permissions.init_app(app)
    assets.init_app(app)
    pagecache.init_app(app)
    fragmentcache.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    # Here, not at the top: a bare ``import webapp`` (gunicorn's master, alembic's env.py) stays light, and the
    # pages that join another room's blueprint are added before that blueprint is registered below.
    from . import accounts, auditlog, authoring, comments, conduct, documents, moderation, pages, projects, roles
    from .privacy import views as privacy_views  # noqa: F401  (the account's data pages join its blueprint)
    from .staffhome import views as staffhome_views  # noqa: F401  (the staff overview joins the roles blueprint)

    accounts.init_app(app)
    _connect_hooks()
    for package in (projects, documents, comments, moderation, conduct, roles, auditlog, authoring, accounts, pages):
        app.register_blueprint(package.blueprint())

    @app.get("/")
    def root():
        """The bare address: the home page in the browser's preferred mode."""
        response = redirect(url_for("projects.index", mode=i18n.current_mode()), code=302)
        response.vary.add("Accept-Language")
        return response

    # Here, not at the top: the CLI brings the demo, the job queue, argon2 and alembic along (about 230 ms), which
    # a bare ``import webapp`` (gunicorn's master, alembic's migrations/env.py, ``python -m webapp.serving``)
    # does not need; an app made for serving or the CLI loads it here.
    from . import cli

    cli.init_app(app)
    security.trust_proxies(app)
    readercache.init_app(app)  # last: its hooks run before every other one (see there)
    return app


def _connect_hooks() -> None:
    """Fill the hooks a room offers for what another one knows, so that the room asked imports none of them:

    - accounts (kernel): staff names (roles), names and addresses held by blocks, one's blocks and whether one
      holds now (conduct), ratings (participation) (``webapp/accounts/hooks.py``);
    - comments (participation): what keeps a person from taking part, conduct's person blocks
      (``comments.rules.restrict_with``);
    - conduct (staff): what a new threshold for automatic hiding does to the comments reported already, the
      reports' work (moderation; ``conduct.rules.on_new_threshold``): moderation uses conduct, never the other way;
    - projects (content): the table of contents its loaders bring along, the documents' loader options
      (``projects.services.load_along``): documents uses projects, never the other way.
    """
    # Here, as in create_app: the rooms are loaded when an app is made, not by a bare ``import webapp``.
    from .accounts import hooks
    from .comments import rules as comment_rules
    from .comments.services import rated_by_accounts, recount_ratings
    from .conduct import blocks
    from .conduct import rules as conduct_rules
    from .documents.services import table_of_contents
    from .moderation import autohide
    from .projects import services as project_services
    from .roles.services import staff_usernames

    hooks.connect(hooks.Hooks(
        staff_names=staff_usernames, name_held=blocks.name_is_held, address_refused=blocks.site_block_of_address,
        address_claimed=blocks.claim_blocks, blocks=blocks.blocks_with_places, rated_by=rated_by_accounts,
        recount=recount_ratings, loaded_with=blocks.loaded_with))
    comment_rules.restrict_with(blocks.block_for)
    conduct_rules.on_new_threshold(autohide.hide_what_reached)
    project_services.load_along(table_of_contents)
