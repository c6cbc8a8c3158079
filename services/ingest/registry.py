"""The stored zone registry (code → parent), read from PostgreSQL for the checks of ingest.zones.

Like ingest.history: read-only connections of its own, made on demand and kept idle between batches,
each lookup bounded (connect and statement) so that a database that does not answer costs one bounded
wait. Unlike the plausibility history, nothing can stand in for the registry when it cannot be read, so
the caller refuses with a 503 naming the database (see ingest.zone_checks) rather than guess.
"""

from __future__ import annotations

import logging
import math
import threading

import psycopg

from indicators_core.db import describe_database, with_connect_timeout

log = logging.getLogger(__name__)

SELECT_REGISTRY = "SELECT code, parent FROM zones"


class RegistryUnavailable(Exception):
    """The registry could not be read within the bound."""


class ZoneRegistry:
    MAX_IDLE = 2

    def __init__(self, database_url: str, timeout_s: float):
        self.where = describe_database(database_url)
        self.timeout_s = timeout_s
        self.database_url = with_connect_timeout(database_url, max(1, math.ceil(timeout_s)))
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection] = []

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(
            self.database_url,
            autocommit=True,
            options=f"-c statement_timeout={max(1, int(self.timeout_s * 1000))} -c default_transaction_read_only=on",
        )

    def _release(self, conn: psycopg.Connection) -> None:
        with self._lock:
            if len(self._idle) < self.MAX_IDLE and not conn.closed:
                self._idle.append(conn)
                return
        conn.close()

    def _fetch(self) -> list[tuple[str, str | None]]:
        with self._lock:
            kept = self._idle.pop() if self._idle else None
        if kept is not None:
            try:
                rows = kept.execute(SELECT_REGISTRY).fetchall()
            except psycopg.OperationalError:
                kept.close()  # from before a restart, most likely: a fresh connection decides
            else:
                self._release(kept)
                return rows
        conn = self._connect()
        try:
            rows = conn.execute(SELECT_REGISTRY).fetchall()
        except BaseException:
            conn.close()
            raise
        self._release(conn)
        return rows

    def read(self) -> dict[str, str | None]:
        """Every registered code and its parent (None: none). Blocking: call it from a worker thread."""
        try:
            rows = self._fetch()
        except psycopg.Error as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise RegistryUnavailable(f"PostgreSQL at {self.where}: {reason}") from error
        return {code: parent for code, parent in rows}
