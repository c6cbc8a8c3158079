"""The query service's database side: read the `progress` table the processor writes.

Read-only. Every query is timed into indicators_query_db_seconds. Optional
filters are composed into the SQL (psycopg.sql) rather than written as
`%s IS NULL OR …`, so PostgreSQL plans each shape with the indexes it can use.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.errors import UndefinedTable
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from query import metrics

PROGRESS_COLUMNS = sql.SQL(
    "zone, indicator, period, year, month, ytd_value, month_value, ytd_last_year, month_last_year, yoy_base, "
    "yoy_base_comparable, yoy_pct, month_yoy_pct, target_value, completion_pct, time_progress_pct, "
    "progress_gap_pp, on_track, reported_at, computed_at"
)

# Lagging first (the largest shortfall first), then on track, then rows with a
# target but no judgement, then rows without a target; within each, by zone and
# indicator in code-point order (COLLATE "C": the same on every cluster).
PROGRESS_ORDER = sql.SQL(
    "CASE WHEN on_track IS FALSE THEN 0 WHEN on_track THEN 1 WHEN target_value IS NOT NULL THEN 2 ELSE 3 END, "
    "CASE WHEN on_track IS FALSE THEN progress_gap_pp END ASC NULLS LAST, "
    'zone COLLATE "C", indicator COLLATE "C"'
)

# yoyo-migrations records applied migrations here (yoyo.migrations.default_migration_table).
MIGRATION_TABLE = "_yoyo_migration"


@asynccontextmanager
async def timed(query: str) -> AsyncIterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.DB_SECONDS.labels(query).observe(time.perf_counter() - started)


def _filters(zones: Sequence[str] | None, indicators: Sequence[str] | None) -> tuple[list[sql.Composable], dict[str, Any]]:
    conditions: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if zones:
        conditions.append(sql.SQL("zone = ANY(%(zones)s::text[])"))
        params["zones"] = list(zones)
    if indicators:
        conditions.append(sql.SQL("indicator = ANY(%(indicators)s::text[])"))
        params["indicators"] = list(indicators)
    return conditions, params


def _where(conditions: list[sql.Composable]) -> sql.Composable:
    if not conditions:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)


class ProgressRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def latest_period(
        self, zones: Sequence[str] | None, indicators: Sequence[str] | None, year: int | None = None
    ) -> tuple[int, int] | None:
        """The latest (year, month) with a progress row for the filters (within `year` when given)."""
        conditions, params = _filters(zones, indicators)
        if year is not None:
            conditions.append(sql.SQL("year = %(year)s"))
            params["year"] = year
        query = sql.SQL("SELECT year, month FROM progress{} ORDER BY year DESC, month DESC LIMIT 1").format(
            _where(conditions)
        )
        async with self.pool.connection() as conn, timed("latest_period"):
            row = await (await conn.execute(query, params)).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    async def progress(
        self, year: int, month: int, zones: Sequence[str] | None, indicators: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """Every progress row of one month for the filters, lagging first."""
        conditions, params = _filters(zones, indicators)
        conditions[:0] = [sql.SQL("year = %(year)s"), sql.SQL("month = %(month)s")]
        params.update(year=year, month=month)
        query = sql.SQL("SELECT {} FROM progress{} ORDER BY {}").format(
            PROGRESS_COLUMNS, _where(conditions), PROGRESS_ORDER
        )
        async with self.pool.connection() as conn, timed("progress"):
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(query, params)
            return await cursor.fetchall()

    async def series(
        self, zone: str, indicator: str, first: date | None, last: date | None
    ) -> list[dict[str, Any]]:
        """The progress rows of one zone and indicator, oldest first, between two months inclusive."""
        conditions: list[sql.Composable] = [sql.SQL("zone = %(zone)s"), sql.SQL("indicator = %(indicator)s")]
        params: dict[str, Any] = {"zone": zone, "indicator": indicator}
        if first is not None:
            conditions.append(sql.SQL("period >= %(first)s"))
            params["first"] = first
        if last is not None:
            conditions.append(sql.SQL("period <= %(last)s"))
            params["last"] = last
        query = sql.SQL("SELECT {} FROM progress{} ORDER BY period").format(PROGRESS_COLUMNS, _where(conditions))
        async with self.pool.connection() as conn, timed("series"):
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(query, params)
            return await cursor.fetchall()

    async def missing_migrations(self, expected: Sequence[str], timeout_s: float | None = None) -> list[str]:
        """The expected migration ids the database has not applied (raises if it is unreachable)."""
        async with self.pool.connection(timeout=timeout_s) as conn, timed("ready"):
            return await missing_migrations(conn, expected)


async def missing_migrations(conn: AsyncConnection[Any], expected: Sequence[str]) -> list[str]:
    """The ids in `expected` not recorded as applied by yoyo on this connection's database."""
    try:
        async with conn.transaction():
            cursor = await conn.execute(
                sql.SQL("SELECT migration_id FROM {} WHERE migration_id = ANY(%s::text[])").format(
                    sql.Identifier(MIGRATION_TABLE)
                ),
                (list(expected),),
            )
            applied = {row[0] for row in await cursor.fetchall()}
    except UndefinedTable:
        return list(expected)
    return [migration for migration in expected if migration not in applied]
