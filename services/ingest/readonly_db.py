"""Read-only connections to PostgreSQL of ingest's own, made on demand and kept idle between batches.

Ingest reads the database for checks only (ingest.history: the plausibility history; ingest.registry: the
zone registry) and must never wait long on it. Each statement and connect is bounded by `timeout_s`. Not
psycopg_pool: after an outage its reconnecting backs off exponentially, so for tens of seconds after
PostgreSQL is back every lookup would still time out. Here a query that fails on a connection kept from
before is tried once more on a fresh one, which decides.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import psycopg

from indicators_core.db import PLANNED_PER_EXECUTION, describe_database, with_connect_timeout, with_options


class ReadOnlyConnections:
    def __init__(self, database_url: str, timeout_s: float, max_idle: int):
        self.where = describe_database(database_url)
        self.timeout_s = timeout_s
        self.max_idle = max_idle
        self.database_url = with_connect_timeout(database_url, max(1, math.ceil(timeout_s)))
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection] = []

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def fetchall(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """The rows of `query` (raises psycopg.Error). Blocking: call it from a worker thread."""
        with self._lock:
            kept = self._idle.pop() if self._idle else None
        if kept is not None:
            try:
                rows = kept.execute(query, params).fetchall()
            except psycopg.OperationalError:
                kept.close()  # from before a restart, most likely: a fresh connection decides
            else:
                self._release(kept)
                return rows
        conn = self._connect()
        try:
            rows = conn.execute(query, params).fetchall()
        except BaseException:
            conn.close()
            raise
        self._release(conn)
        return rows

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(
            self.database_url,
            autocommit=True,
            options=with_options(
                self.database_url,
                f"-c statement_timeout={max(1, int(self.timeout_s * 1000))} -c default_transaction_read_only=on"
                f" {PLANNED_PER_EXECUTION}",
            ),
        )

    def _release(self, conn: psycopg.Connection) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle and not conn.closed:
                self._idle.append(conn)
                return
        conn.close()
