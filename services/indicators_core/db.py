"""Schema migrations, applied at every service's start (yoyo-migrations: versioned, locked, idempotent)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_delay, wait_exponential
from yoyo import get_backend, read_migrations

from indicators_core.catalog import Catalog, load_catalog

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


# Server options of the connections whose statements take arrays of series (ingest's plausibility read, the
# processor's and the evaluator's): each execution is planned for the values it has. After five executions
# PostgreSQL may keep one generic plan per connection; made while a fresh installation's tables are nearly empty
# it reads the whole table for every batch (a hash join over `observations`: 10 ms a batch at 100,000 rows,
# growing, against 0.3 ms by the key), until the next ANALYZE, which a burst outruns. Planning these is a tenth of
# a millisecond. Ingest's read-only connections send it as a startup option; the workers' pools set it in each new
# session (faust_worker.plan_per_execution), which PgBouncer and PGlite also take.
PLAN_CACHE_MODE = "force_custom_plan"
PLANNED_PER_EXECUTION = f"-c plan_cache_mode={PLAN_CACHE_MODE}"


def with_options(database_url: str, options: str) -> str:
    """The server options of the URL (libpq `options`), if any, with `options` after them."""
    given = conninfo_to_dict(database_url).get("options")
    return f"{given} {options}" if given else options


def sync_catalog(conn: psycopg.Connection, catalog: Catalog) -> None:
    """Make the table indicator_catalog equal to the catalog file, in one transaction.

    Readers that see only the database (Grafana) take names, units and frequencies (a quarterly
    indicator's period in words) from it; the file stays the one source of truth, so the table is
    rewritten, never edited.
    """
    rows = [
        (indicator.code, indicator.name_zh, indicator.unit, indicator.part_of, position, indicator.frequency)
        for position, indicator in enumerate(catalog.indicators.values(), start=1)
    ]
    with conn.transaction():
        conn.execute("DELETE FROM indicator_catalog WHERE NOT code = ANY(%s::text[])", ([row[0] for row in rows],))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO indicator_catalog (code, name_zh, unit, part_of, position, frequency) "
                "VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, unit = EXCLUDED.unit, "
                "part_of = EXCLUDED.part_of, position = EXCLUDED.position, frequency = EXCLUDED.frequency",
                rows,
            )


def apply_migrations(database_url: str, catalog: Catalog | None = None) -> list[str]:
    """Apply pending migrations and sync indicator_catalog, under yoyo's lock; returns the ids applied now.

    `catalog` is the one the service runs with (default: the packaged file).
    """
    backend = get_backend(yoyo_url(with_connect_timeout(database_url)))
    try:
        migrations = read_migrations(str(MIGRATIONS_DIR))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
            with psycopg.connect(with_connect_timeout(database_url)) as conn:
                sync_catalog(conn, catalog or load_catalog())
    finally:
        backend.connection.close()
    applied = [m.id for m in pending]
    if applied:
        log.info("applied migrations %s", applied)
    return applied


def describe_database(database_url: str) -> str:
    """host:port/dbname of a connection string, without user or password (for logs and messages)."""
    try:
        info = conninfo_to_dict(database_url)
    except psycopg.ProgrammingError:
        return "(unparsable database URL)"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


async def apply_migrations_when_reachable(
    database_url: str, catalog: Catalog, timeout_s: float, service_log: logging.Logger
) -> None:
    """apply_migrations, waiting (and saying so in `service_log`) while PostgreSQL is not up yet.

    Raises psycopg.OperationalError when it is still unreachable after `timeout_s`.
    """
    where = describe_database(database_url)

    def waiting(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        # libpq's messages span lines; one log line per attempt.
        service_log.warning(
            "waiting for PostgreSQL at %s (attempt %d: %s)", where, state.attempt_number, " ".join(str(error).split())
        )

    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(psycopg.OperationalError),
        wait=wait_exponential(multiplier=0.25, max=5),
        stop=stop_after_delay(timeout_s),
        before_sleep=waiting,
        reraise=True,
    ):
        with attempt:
            # yoyo is synchronous: keep it off the event loop.
            await asyncio.to_thread(apply_migrations, database_url, catalog)
