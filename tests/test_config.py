"""Configuration: a development default that needs nothing, and a production mode that refuses to guess."""

import pytest

from webapp import config


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.setenv("MITREDEN_ENV", "production")
    monkeypatch.setenv("PASSWORD_HASHING", "standard")  # the suite's cheap hashing is refused in production
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://beteiligung.example.org")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError):
        config.load()
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(config.ConfigError):
        config.load()
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    loaded = config.load()
    assert loaded["SECRET_KEY"] == "k" * 40 and loaded["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_a_secret_key_once(monkeypatch, tmp_path):
    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("MITREDEN_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.load()["SECRET_KEY"]
    assert len(first) >= 32 and config.load()["SECRET_KEY"] == first


def test_database_url_defaults_to_sqlite_in_instance_and_normalises_postgres(monkeypatch, tmp_path):
    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url() == f"sqlite:///{tmp_path / 'mitreden.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert config.database_url() == "postgresql+psycopg://u@h/db"


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch, tmp_path):
    """Mailed links came from the request's Host: production must say where the site is."""
    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.setenv("MITREDEN_ENV", "production")
    monkeypatch.setenv("PASSWORD_HASHING", "standard")  # the suite's cheap hashing is refused in production
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    with pytest.raises(config.ConfigError, match="PUBLIC_BASE_URL"):
        config.load()
    for wrong in ("beteiligung.example.org", "ftp://beteiligung.example.org", "https://", "https://x.org/?a=b"):
        monkeypatch.setenv("PUBLIC_BASE_URL", wrong)
        with pytest.raises(config.ConfigError):
            config.load()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://beteiligung.example.org/")
    monkeypatch.setenv("TRUSTED_HOSTS", "www.beteiligung.example.org, .beteiligung.example.net")
    loaded = config.load()
    assert loaded["PUBLIC_BASE_URL"] == "https://beteiligung.example.org"
    assert loaded["TRUSTED_HOSTS"] == ["beteiligung.example.org", "www.beteiligung.example.org", ".beteiligung.example.net"]


def test_development_base_url_is_where_make_run_serves(monkeypatch, tmp_path):
    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("MITREDEN_ENV", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    loaded = config.load()
    assert loaded["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert loaded["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "8080")
    assert config.load()["PUBLIC_BASE_URL"] == "http://127.0.0.1:8080"


def test_passwords_are_hashed_with_argon2s_standard_parameters_and_the_suites_cheap_ones_are_refused_in_production(
        monkeypatch, tmp_path):
    """The suite hashes with argon2's cheapest parameters (tests/support.py sets ``PASSWORD_HASHING=test``: it
    logs in a thousand times); an app without the setting uses the standard ones, and production refuses the
    cheap ones."""
    from argon2 import extract_parameters, profiles

    from webapp.accounts import passwords

    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("PASSWORD_HASHING")
    assert config.load()["PASSWORD_HASHING"] == "standard"
    assert extract_parameters(passwords.hash_password("ein langes Passwort")) == profiles.RFC_9106_LOW_MEMORY
    monkeypatch.setenv("PASSWORD_HASHING", "test")
    assert extract_parameters(passwords.hash_password("ein langes Passwort")) == profiles.CHEAPEST
    monkeypatch.setenv("MITREDEN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://beteiligung.example.org")
    with pytest.raises(config.ConfigError, match="PASSWORD_HASHING"):
        config.load()
    monkeypatch.setenv("PASSWORD_HASHING", "fast")
    with pytest.raises(config.ConfigError, match="PASSWORD_HASHING"):
        config.load()


def test_sqlite_writes_commits_as_sqlite_synchronous_says(monkeypatch, tmp_path):
    """NORMAL by default (the log on disk at checkpoints), FULL when asked (every commit), nothing else."""
    from webapp.db import make_engine

    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    assert config.load()["SQLITE_SYNCHRONOUS"] == "NORMAL"
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "full")
    assert config.load()["SQLITE_SYNCHRONOUS"] == "FULL"
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "OFF; DROP TABLE comment")
    with pytest.raises(config.ConfigError, match="SQLITE_SYNCHRONOUS"):
        config.load()
    for setting, level in (("NORMAL", 1), ("FULL", 2)):
        engine = make_engine(f"sqlite:///{tmp_path}/{setting}.db", sqlite_synchronous=setting)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == level
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        engine.dispose()
