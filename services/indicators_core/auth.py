"""`Authorization: Bearer <key>`, checked the same way by every service that accepts writes."""

from __future__ import annotations

import hmac
from collections.abc import Mapping


def bearer_key_owner(authorization: str, keys: Mapping[str, str]) -> str | None:
    """The name that `keys` (key → name) gives the presented bearer key, or None.

    Every known key is compared in constant time, so the answer's timing does not
    tell how much of a guess was right.
    """
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    presented = key.strip().encode()
    owner = None
    for known_key, name in keys.items():
        if hmac.compare_digest(known_key.encode(), presented):
            owner = name
    return owner


def unauthorized_reason(authorization: str) -> str:
    """Why a request was refused, without saying anything about the keys."""
    return "missing Authorization: Bearer <key>" if not authorization else "the key is not valid"
