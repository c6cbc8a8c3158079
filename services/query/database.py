"""The query service's connections to PostgreSQL: its read-only pool, and the subscription API's small read-write one."""

from __future__ import annotations

import logging
import time
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from indicators_core.catalog import Catalog
from indicators_core.db import apply_migrations_when_reachable, describe_database
from query.config import QuerySettings

log = logging.getLogger("query")


class DatabaseUnavailable(RuntimeError):
    pass


async def open_database(settings: QuerySettings, catalog: Catalog) -> AsyncConnectionPool:
    """Apply pending migrations and open the pool, waiting (and saying so) while PostgreSQL is not up yet."""
    where = describe_database(settings.database_url)
    deadline = time.monotonic() + settings.db_connect_timeout_s
    try:
        await apply_migrations_when_reachable(settings.database_url, catalog, settings.db_connect_timeout_s, log)
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(
            f"PostgreSQL at {where} unreachable for {settings.db_connect_timeout_s:g} s: {error}"
        ) from error

    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        # The service only reads; a long query is cancelled rather than piling up.
        await conn.execute(
            "SELECT set_config('statement_timeout', %s, false)", (str(settings.db_statement_timeout_ms),)
        )
        # No JIT compilation: a month of every zone (10,000 rows, cost above jit_above_cost) spent 16 ms of its
        # 52 ms compiling expressions it then ran once. The reads are short; compiling never pays for them.
        await conn.execute("SELECT set_config('jit', 'off', false)")
        await conn.commit()
        await conn.set_read_only(True)

    pool = AsyncConnectionPool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.query_db_pool_max,
        timeout=settings.db_pool_timeout_s,
        configure=configure,
        check=AsyncConnectionPool.check_connection,  # a connection broken by a database restart is replaced
        open=False,
        name="query",
    )
    try:
        # What is left of the same wait (at least a few seconds, as the migrations just connected).
        await pool.open(wait=True, timeout=max(5.0, deadline - time.monotonic()))
    except PoolTimeout as error:
        await pool.close()
        raise DatabaseUnavailable(
            f"PostgreSQL at {where}: no connection within {settings.db_connect_timeout_s:g} s"
        ) from error
    log.info("connected to PostgreSQL at %s", where)
    return pool


async def open_subscriptions_pool(settings: QuerySettings) -> AsyncConnectionPool:
    """The subscription API's writes go through a pool of their own (min_size 0: no connection is held until
    someone manages subscriptions); opened without waiting, after the read-only pool."""

    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute(
            "SELECT set_config('statement_timeout', %s, false)", (str(settings.db_statement_timeout_ms),)
        )
        await conn.commit()

    pool = AsyncConnectionPool(
        settings.database_url,
        min_size=0,
        max_size=2,
        timeout=settings.db_pool_timeout_s,
        configure=configure,
        check=AsyncConnectionPool.check_connection,
        open=False,
        name="subscriptions",
    )
    await pool.open(wait=False)
    return pool
