"""Static files under content-hashed addresses, cached for a year; text compressed;
reading pages with ETags so that a revisit costs a 304.

``asset("css/site.css")`` in a template gives ``/assets/<hash>/css/site.css``: the hash
changes with the content, so browsers may keep each address forever. Compression
(Flask-Compress: brotli or gzip) is skipped for any response that carries a CSRF token,
so that no secret is ever compressed next to text an attacker controls (BREACH).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, g, request, send_from_directory, url_for
from flask_compress import Compress

YEAR = 365 * 24 * 3600
bp = Blueprint("assets", __name__)


class TokenSafeCompress(Compress):
    """Flask-Compress, except for responses that carry a CSRF token."""

    def after_request(self, response: Response) -> Response:
        if "csrf_token" in g:
            response.vary.add("Accept-Encoding")
            return response
        return super().after_request(response)


compress = TokenSafeCompress()


def _hashes(static_folder: str) -> dict[str, str]:
    root = Path(static_folder)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in root.rglob("*") if path.is_file()
    }


def asset(filename: str) -> str:
    """The long-lived address of a static file."""
    hashes = current_app.extensions["asset_hashes"]
    if current_app.debug or filename not in hashes:  # files change while developing; uploads appear
        hashes.update(_hashes(current_app.static_folder))
    if filename not in hashes:
        return url_for("static", filename=filename)
    return url_for("assets.file", version=hashes[filename], filename=filename)


@bp.get("/assets/<version>/<path:filename>")
def file(version: str, filename: str):
    """A static file at its hashed address; an outdated hash is a 404, not stale content."""
    if current_app.extensions["asset_hashes"].get(filename) != version:
        abort(404)
    response = send_from_directory(current_app.static_folder, filename, max_age=YEAR)
    # Small files: send them as a body, not a stream, so they can be compressed (gzip too).
    response.direct_passthrough = False
    response.set_data(response.get_data())
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response


def init_app(app: Flask) -> None:
    """Hash the static files once at start-up; compress; add ETags to reading pages."""
    app.extensions["asset_hashes"] = _hashes(app.static_folder)
    app.jinja_env.globals["asset"] = asset
    app.register_blueprint(bp)
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/css", "text/javascript", "application/javascript",
                                                  "application/json", "image/svg+xml", "text/plain"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)

    # Registered after Compress, so it runs before it (Flask runs after_request hooks in reverse).
    @app.after_request
    def _conditional_pages(response: Response) -> Response:
        if request.method in ("GET", "HEAD") and response.status_code == 200 and response.mimetype == "text/html":
            if not response.cache_control.public:  # public: shared caches may keep it (webapp.pagecache._mark)
                # Pages change when comments do: always revalidate, cheaply, by ETag.
                response.cache_control.no_cache = True
                response.cache_control.private = "session" in request.cookies or None
            response.add_etag()
            response.make_conditional(request)
        return response
