"""Secrets the local stack makes for itself and keeps with its data (only its owner may read them)."""

from __future__ import annotations

import secrets
from pathlib import Path


def kept_secret(path: Path, nbytes: int = 24) -> str:
    """The secret stored at `path`; made (URL-safe random) and stored there, mode 0600, on the first call."""
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(nbytes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret
