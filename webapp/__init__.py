"""Mitreden: an accessible participation platform for public bodies.

``create_app`` is the app factory: configuration comes from the environment
(see :mod:`webapp.config`) and tests pass overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from flask import Flask, redirect, url_for

from . import config as config_module
from . import assets, db, errors, health, htmx, i18n, pagecache, security, templating
from .extensions import csrf, limiter, login_manager

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Optional[dict[str, Any]] = None) -> Flask:
    """Build the app.

    Args:
        overrides: configuration values that win over the environment (tests use this).

    Raises:
        config.ConfigError: in production mode without a real ``SECRET_KEY``.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(config_module.instance_dir()),
    )
    app.config.update(config_module.load())
    app.config.update(overrides or {})

    security.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    htmx.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    pagecache.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import accounts, comments, documents, moderation, pages, projects

    accounts.init_app(app)
    for package in (projects, documents, comments, moderation, accounts, pages):
        app.register_blueprint(package.blueprint())

    @app.get("/")
    def root():
        """The bare address: the home page in the browser's preferred mode."""
        response = redirect(url_for("projects.index", mode=i18n.current_mode()), code=302)
        response.vary.add("Accept-Language")
        return response

    from . import cli

    cli.init_app(app)
    security.trust_proxies(app)
    return app
