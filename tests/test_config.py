"""Configuration: a development default that needs nothing, and a production mode that refuses to guess."""

import pytest

from webapp import config


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("MITREDEN_INSTANCE", str(tmp_path))
    monkeypatch.setenv("MITREDEN_ENV", "production")
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
