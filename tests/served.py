"""Real servers for tests: gunicorn processes on free ports, and HTTP clients with cookies."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command

from tests.support import alembic_config

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def own_database(kind: str, folder: Path):
    """A fresh, migrated database of the test's own: a SQLite file, or a PostgreSQL database."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'served.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    name = f"mitreden_served_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int = 2, **env):
    """``make serve``'s server (gunicorn with ``webapp.serving``'s options) on a free port; always stopped afterwards."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "MITREDEN_INSTANCE": str(instance),
                   "SECRET_KEY": "served-test-" + "k" * 40, **env}
    from webapp import serving

    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--threads", "4", *serving.options(environment), "webapp:create_app()"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    with _running(process, "gunicorn", base + "/health", seconds=60):  # a busy machine may start slowly
        yield base


@contextmanager
def _running(process: subprocess.Popen, name: str, url: str, seconds: float):
    """Wait until ``url`` answers 200 (``name`` started), then hold; ``process`` always stopped afterwards."""
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if urllib.request.urlopen(url, timeout=5).status == 200:
                    break
            except OSError:  # refused, reset or timed out: not up yet (URLError is an OSError too)
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{name} did not start: {process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


class Browser:
    """A minimal HTTP client with its own cookies that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str, cookies: http.cookiejar.CookieJar | None = None):
        self.base = base
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path: str) -> str:
        _status, html = self.request(path)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    def log_in(self, email: str, password: str) -> int:
        return self.request("/de/account/login", {"email": email, "password": password,
                                                  "csrf_token": self.token("/de/account/login")})[0]


def nginx_config_from_readme(upstream_port: int, port: int, folder: Path, *, cache_status_header: bool = False) -> str:
    """The README's nginx configuration, made to run here: our gunicorn as the upstream, plain HTTP on ``port``,
    every file in ``folder`` (the server block that refuses other names needs a certificate: left out)."""
    readme = (ROOT / "README.md").read_text()
    config = re.search(r"```nginx\n(.*?)```", readme, re.S).group(1)
    config = config[:config.index("server {  # any other name")]
    config = re.sub(r"upstream mitreden \{[^}]*\}", f"upstream mitreden {{ server 127.0.0.1:{upstream_port}; }}", config)
    config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    config = config.replace("/var/cache/nginx/mitreden", str(folder / "cache"))
    if cache_status_header:  # for the test: whether nginx's cache answered
        config = config.replace("proxy_cache mitreden;", "proxy_cache mitreden;\n        "
                                "add_header X-Cache-Status $upstream_cache_status always;")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\nworker_processes 2;\n"
            f"events {{ worker_connections 1024; }}\nhttp {{\n    access_log off;\n{temp}\n{config}}}\n")


@contextmanager
def nginx(upstream: str, **options):
    """Debian's nginx with the README's configuration in front of ``upstream`` (a gunicorn's base URL); its base URL.

    Its files are in a folder of its own under /tmp that anyone may enter: run as root, nginx's workers become
    "nobody" and write the cache there.
    """
    with tempfile.TemporaryDirectory(prefix="mitreden-nginx-") as name:
        folder = Path(name)
        folder.chmod(0o777)
        with _nginx(upstream, folder, **options) as base:
            yield base


@contextmanager
def _nginx(upstream: str, folder: Path, **options):
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config_from_readme(int(upstream.rsplit(":", 1)[1]), port, folder, **options))
    binary = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's, outside a user's PATH
    process = subprocess.Popen([binary, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    with _running(process, "nginx", base + "/health", seconds=20):  # the app's /health, through nginx
        yield base
