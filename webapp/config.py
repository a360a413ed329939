"""Configuration from the environment, with development defaults that need nothing."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

#: The default instance folder (git-ignored).
DEFAULT_INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def instance_dir() -> Path:
    """Where the development database, the generated secret and the outbox live:
    ``MITREDEN_INSTANCE`` or ``instance/``, read when an app is made (tests set their own)."""
    return Path(os.environ.get("MITREDEN_INSTANCE") or DEFAULT_INSTANCE_DIR)


class ConfigError(RuntimeError):
    """Raised when the app must not start with the configuration it was given."""


def database_url() -> str:
    """The database URL: ``DATABASE_URL`` or a SQLite file in ``instance/``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Accept the common short form and use the psycopg 3 driver we install.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    instance_dir().mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance_dir() / 'mitreden.db'}"


def is_production() -> bool:
    """True when ``MITREDEN_ENV=production``: no generated secrets, no debug."""
    return os.environ.get("MITREDEN_ENV", "development") == "production"


def secret_key() -> str:
    """``SECRET_KEY``, or in development one generated once into ``instance/``.

    Raises:
        ConfigError: in production mode without a real secret key.
    """
    key = os.environ.get("SECRET_KEY", "")
    if is_production():
        if len(key) < 32:
            raise ConfigError("SECRET_KEY must be set to at least 32 random characters in production.")
        return key
    if key:
        return key
    instance_dir().mkdir(parents=True, exist_ok=True)
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def public_base_url() -> str:
    """Where readers reach the site (``PUBLIC_BASE_URL``, e.g. ``https://beteiligung.example.org``).

    Every link that leaves a page (mails, later jobs) is built from it, never from a request's
    ``Host``. In development it defaults to ``http://HOST:PORT`` (``make run``'s address).

    Raises:
        ConfigError: in production mode without one, or when it is not an http(s) address.
    """
    url = os.environ.get("PUBLIC_BASE_URL", "").strip()
    if not url:
        if is_production():
            raise ConfigError("PUBLIC_BASE_URL must be set in production, e.g. https://beteiligung.example.org "
                              "(mailed links are built from it).")
        host = os.environ.get("HOST", "127.0.0.1")
        host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        url = f"http://{host}:{os.environ.get('PORT', '5000')}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) address such as https://beteiligung.example.org, not {url!r}.")
    return url.rstrip("/")


def trusted_hosts(base_url: str) -> list[str]:
    """The host names requests may carry: the public base URL's, those in ``TRUSTED_HOSTS``
    (comma-separated; ``.example.org`` allows every subdomain) and, in development, the local ones."""
    hosts = [urlsplit(base_url).hostname or ""]
    hosts += [name.strip() for name in os.environ.get("TRUSTED_HOSTS", "").split(",") if name.strip()]
    if not is_production():
        hosts += ["localhost", "127.0.0.1"]  # the browser on this machine and the test client
    return list(dict.fromkeys(hosts))


def trusted_proxies(environ=os.environ) -> list[str]:
    """``TRUSTED_PROXIES``: the load balancers' addresses or networks (comma-separated), the only
    peers whose X-Forwarded-* headers count. Without it, only this machine (127.0.0.1, ::1).

    Raises:
        ConfigError: for something that is not an address or network; and in production when
            ``PROXY_COUNT`` is set but ``TRUSTED_PROXIES`` is not (say which proxies to trust).
    """
    raw = environ.get("TRUSTED_PROXIES", "").strip()
    if not raw:
        if environ.get("MITREDEN_ENV") == "production" and int(environ.get("PROXY_COUNT", "0") or 0) > 0:
            raise ConfigError("PROXY_COUNT is set: set TRUSTED_PROXIES to the addresses of the load balancers "
                              "(e.g. TRUSTED_PROXIES=10.0.0.5 or 10.0.0.0/24), the only ones whose "
                              "X-Forwarded-* headers are believed.")
        return ["127.0.0.1", "::1"]
    try:
        return [str(ipaddress.ip_network(item.strip(), strict=False)) for item in raw.split(",") if item.strip()]
    except ValueError as exc:
        raise ConfigError(f"TRUSTED_PROXIES must list addresses or networks, comma-separated: {exc}") from None


#: What ``SQLITE_SYNCHRONOUS`` may say (SQLite's own words: ``webapp.db`` puts them into its pragma).
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def sqlite_synchronous() -> str:
    """``SQLITE_SYNCHRONOUS``: how SQLite writes commits to disk, NORMAL (the default) or FULL or EXTRA.

    Raises:
        ConfigError: for anything else.
    """
    value = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").strip().upper() or "NORMAL"
    if value not in SQLITE_SYNCHRONOUS:
        raise ConfigError(f"SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {value!r}.")
    return value


def password_hashing() -> str:
    """``PASSWORD_HASHING``: "standard" (argon2's RFC 9106 parameters), or "test" (argon2's cheapest, for the test
    suite, which logs in a thousand times).

    Raises:
        ConfigError: for anything else, and for "test" in production mode.
    """
    value = os.environ.get("PASSWORD_HASHING", "standard").strip() or "standard"
    if value not in ("standard", "test"):
        raise ConfigError(f"PASSWORD_HASHING must be standard or test, not {value!r}.")
    if value == "test" and is_production():
        raise ConfigError("PASSWORD_HASHING=test is for the test suite only: passwords would be cheap to guess.")
    return value


def load() -> dict:
    """The app's configuration read from the environment."""
    production = is_production()
    base_url = public_base_url()
    return {
        "SECRET_KEY": secret_key(),
        # Links outside a page (mails) start with this; requests naming another host get 400.
        "PUBLIC_BASE_URL": base_url,
        # Whether it was given (else it is make run's default from HOST and PORT, which another shell may not share).
        "PUBLIC_BASE_URL_GIVEN": bool(os.environ.get("PUBLIC_BASE_URL", "").strip()),
        "TRUSTED_HOSTS": trusted_hosts(base_url),
        "DATABASE_URL": database_url(),
        "PASSWORD_HASHING": password_hashing(),
        "PRODUCTION": production,
        "SITE_NAME": os.environ.get("SITE_NAME", "Mitreden Eichbrunn"),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # Accounts never confirmed are deleted this many days after registering (flask users expire-unconfirmed).
        "UNCONFIRMED_ACCOUNT_DAYS": float(os.environ.get("UNCONFIRMED_ACCOUNT_DAYS", "7")),
        # Anonymous readers' pages are kept this many seconds per process (0: off).
        "PAGE_CACHE_SECONDS": float(os.environ.get("PAGE_CACHE_SECONDS", "5")),
        # Each comment's HTML, kept per process up to this many megabytes (0: off; webapp.fragmentcache),
        # and in Redis with REDIS_URL for this many seconds after it was last made.
        "FRAGMENT_CACHE_MB": float(os.environ.get("FRAGMENT_CACHE_MB", "64")),
        "FRAGMENT_CACHE_SECONDS": int(os.environ.get("FRAGMENT_CACHE_SECONDS", str(24 * 3600))),
        # A reading page kept for a logged-in reader at most this many seconds (0: off; webapp.readercache),
        # each process up to this many megabytes.
        "READER_PAGE_SECONDS": int(os.environ.get("READER_PAGE_SECONDS", "300")),
        "READER_PAGE_CACHE_MB": float(os.environ.get("READER_PAGE_CACHE_MB", "32")),
        # Reading pages rendered for one reader (cache misses): per account, else per client address.
        # Far above what people read; one client cannot make the server render page after page.
        "PAGE_RENDER_RATE_LIMIT": os.environ.get("PAGE_RENDER_RATE_LIMIT", "120 per minute;2000 per hour"),
        # Only these addresses or networks may set X-Forwarded-* (with PROXY_COUNT > 0).
        "TRUSTED_PROXIES": trusted_proxies(),
        # Every wait on PostgreSQL is bounded: a silent server gets readers a 503, not a hang.
        "DB_CONNECT_TIMEOUT": float(os.environ.get("DB_CONNECT_TIMEOUT", "5")),
        "DB_STATEMENT_TIMEOUT_MS": int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "15000")),
        "DB_POOL_TIMEOUT": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        # SQLite: every commit on disk before it returns (FULL), or the log at its checkpoints (NORMAL).
        "SQLITE_SYNCHRONOUS": sqlite_synchronous(),
        "HEALTH_TIMEOUT": float(os.environ.get("HEALTH_TIMEOUT", "2")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        # Nothing we serve needs a large body yet; comments are capped far below this.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Rate limits count in Redis when several app instances share the load.
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "mitreden-memory://",
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "mitreden"),
        # Per account: enough for a lively discussion, too little for a flood.
        "COMMENT_RATE_LIMIT": os.environ.get("COMMENT_RATE_LIMIT", "10 per minute;100 per day"),
        # Reports of comments sent per account (forms with a mistake do not count): room for a bad
        # evening in a discussion, too little to flood the moderators.
        "REPORT_RATE_LIMIT": os.environ.get("REPORT_RATE_LIMIT", "5 per hour;20 per day"),
        # ... and per client address, whatever the account: many fresh accounts behind one address
        # (security report N2) neither flood the moderators nor add up to hiding a comment. The second
        # limit counts reports of one comment: two people at one address (a household) may each report it.
        "REPORT_ADDRESS_RATE_LIMIT": os.environ.get("REPORT_ADDRESS_RATE_LIMIT", "10 per hour;30 per day"),
        "REPORT_COMMENT_ADDRESS_LIMIT": os.environ.get("REPORT_COMMENT_ADDRESS_LIMIT", "2 per day"),
        # Mail: .eml files in instance/outbox/ in development, SMTP in production.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND") or ("smtp" if production else "outbox"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Mitreden <noreply@mitreden.example.org>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "true").lower() != "false",
        # Seconds the delivery job waits for the SMTP server (in the worker, never inside a request).
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", "10")),
        # The job queue (webapp.jobs): Redis with REDIS_URL, else a SQLite file in the instance folder.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # /health reports the queue "stuck" while a mail has waited longer than this (minutes).
        "QUEUE_STUCK_MINUTES": float(os.environ.get("QUEUE_STUCK_MINUTES", "15")),
        "OUTBOX_DIR": str(instance_dir() / "outbox"),
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
    }
