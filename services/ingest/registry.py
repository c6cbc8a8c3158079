"""The stored zone registry (code → parent), read from PostgreSQL for the checks of ingest.zones.

Like ingest.history: read-only connections of its own (ingest.readonly_db), each lookup bounded (connect and statement) so that a database that does not answer costs one bounded
wait. Unlike the plausibility history, nothing can stand in for the registry when it cannot be read, so
the caller refuses with a 503 naming the database (see ingest.zone_checks) rather than guess.
"""

from __future__ import annotations

import logging

import psycopg

from ingest.readonly_db import ReadOnlyConnections

log = logging.getLogger(__name__)

SELECT_REGISTRY = "SELECT code, parent FROM zones"


class RegistryUnavailable(Exception):
    """The registry could not be read within the bound."""


class ZoneRegistry:
    def __init__(self, database_url: str, timeout_s: float):
        self.connections = ReadOnlyConnections(database_url, timeout_s, max_idle=2)
        self.where = self.connections.where

    def close(self) -> None:
        self.connections.close()

    def read(self) -> dict[str, str | None]:
        """Every registered code and its parent (None: none). Blocking: call it from a worker thread."""
        try:
            rows = self.connections.fetchall(SELECT_REGISTRY)
        except psycopg.Error as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise RegistryUnavailable(f"PostgreSQL at {self.where}: {reason}") from error
        return {code: parent for code, parent in rows}
