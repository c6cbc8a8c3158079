"""Schema migrations, applied at every service's start (yoyo-migrations: versioned, locked, idempotent)."""

from __future__ import annotations

import logging
from pathlib import Path

from yoyo import get_backend, read_migrations

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)


def yoyo_url(database_url: str) -> str:
    """yoyo names the psycopg 3 driver in the URL scheme."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def with_connect_timeout(database_url: str, seconds: int = 10) -> str:
    """libpq waits forever for a host that does not answer; bound it unless the URL says otherwise."""
    if "connect_timeout=" in database_url:
        return database_url
    return f"{database_url}{'&' if '?' in database_url else '?'}connect_timeout={seconds}"


def apply_migrations(database_url: str) -> list[str]:
    """Apply pending migrations under yoyo's lock; returns the ids applied now."""
    backend = get_backend(yoyo_url(with_connect_timeout(database_url)))
    try:
        migrations = read_migrations(str(MIGRATIONS_DIR))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    applied = [m.id for m in pending]
    if applied:
        log.info("applied migrations %s", applied)
    return applied
