"""Signed, expiring tokens for the links we mail (confirm an address, reset a password)."""

from __future__ import annotations

from typing import Any, Optional

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: How long each kind of link stays valid, in seconds.
MAX_AGE = {"confirm": 3 * 24 * 3600, "reset": 3600, "invitation": 30 * 24 * 3600}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"mitreden-{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> Optional[dict[str, Any]]:
    """The payload, or ``None`` when the token is forged, garbled or expired."""
    if len(token) > 500:
        return None
    try:
        return _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
