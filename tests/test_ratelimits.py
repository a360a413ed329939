"""Rate limits count in Redis when ``REDIS_URL`` is set, so every app instance sees the same count.

Two separate processes stand for two app instances; the Redis server is the one our
machines run (``REDIS_URL``, default ``redis://127.0.0.1:6379/15``), as in CI.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")

INSTANCE = """
import json, os, sys
from webapp import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "x" * 40, "WTF_CSRF_ENABLED": False,
                  "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3]})
client = app.test_client()
codes = [client.post("/de/account/login", data={"email": sys.argv[4], "password": "not the password!"}).status_code
         for _ in range(int(sys.argv[5]))]
print(json.dumps(codes))
"""


def instance(database_url, prefix, email, attempts, tmp_path):
    env = {**os.environ, "MITREDEN_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", INSTANCE, database_url, REDIS_URL, prefix, email, str(attempts)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_login_limit_counts_across_two_app_instances(database_url, tmp_path):
    prefix = f"mitreden-test-{secrets.token_hex(4)}"
    email = f"{secrets.token_hex(4)}@example.org"
    assert instance(database_url, prefix, email, 5, tmp_path) == [422] * 5
    assert instance(database_url, prefix, email, 1, tmp_path) == [429]  # the other instance knows
    assert instance(database_url, prefix, f"other-{email}", 1, tmp_path) == [422]  # per account, not global
