"""The query service's database side: read the `progress` table the processor writes, and the
`alerts` / `alert_events` tables the alert evaluator writes.

Read-only. Every query is timed into indicators_query_db_seconds. Optional
filters are composed into the SQL (psycopg.sql) rather than written as
`%s IS NULL OR …`, so PostgreSQL plans each shape with the indexes it can use.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
    "progress_gap_pp, on_track, reported_at, computed_at, yoy_source, reported_yoy_pct, growth_target_pct, "
    "growth_gap_pp, growth_on_track, "
    # The sender's explanation of the month's current report (accepted despite plausibility warnings).
    "(SELECT o.explanation FROM observations o WHERE o.zone = progress.zone AND o.indicator = progress.indicator "
    "AND o.period = progress.period) AS explanation, "
    # The zone's registered name, and its parent's own figure of the same indicator and month (the share).
    "(SELECT z.name_zh FROM zones z WHERE z.code = progress.zone) AS zone_name, "
    "(SELECT p.ytd_value FROM zones z JOIN progress p ON p.zone = z.parent AND p.indicator = progress.indicator "
    "AND p.period = progress.period WHERE z.code = progress.zone) AS parent_ytd_value, "
    # The row version's writing transaction: what a kept rendering of the row is keyed by (query.answer_cache).
    "progress.xmin::text AS row_version"
)

# Every write gives the row versions it leaves a new xmin (the writing transaction's id), so the count and the
# sum of a 64-bit hash of each row's xmin change with any insert, update or delete, whatever the order in which
# concurrent transactions commit (a latest computed_at would miss a slower worker's older clock).
PROGRESS_VERSION = sql.SQL(
    "SELECT (SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text, 0)), 0) FROM progress"
    " WHERE year = %(year)s AND month = %(month)s), "
    "(SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text, 0)), 0) FROM observations"
    " WHERE period = %(period)s), "
    "(SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text, 0)), 0) FROM zones)"
)

INDICATOR_YEAR_VERSION = sql.SQL(
    "SELECT (SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text, 0)), 0) FROM progress"
    " WHERE year = %(year)s AND indicator = %(indicator)s), "
    "(SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text, 0)), 0) FROM zones)"
)

ALERTS_VERSION = sql.SQL(
    "SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text, 0)), 0) FROM alerts"
    " WHERE period >= %(first)s AND period < %(next)s"
)

# Lagging first (the largest shortfall first), then on track, then rows with a
# target but no judgement, then rows without a target; within each, by zone and
# indicator in code-point order (COLLATE "C": the same on every cluster).
# Qualified: the month's keys (PROGRESS_KEYS) read the progress table twice, the second time for the parents.
PROGRESS_ORDER = sql.SQL(
    "CASE WHEN progress.on_track IS FALSE THEN 0 WHEN progress.on_track THEN 1 "
    "WHEN progress.target_value IS NOT NULL THEN 2 ELSE 3 END, "
    "CASE WHEN progress.on_track IS FALSE THEN progress.progress_gap_pp END ASC NULLS LAST, "
    'progress.zone COLLATE "C", progress.indicator COLLATE "C"'
)

# A month's rows, every zone, as the columns a row's kept rendering is keyed by (query.progress_items.row_key),
# in ROW_KEY_COLUMNS' order (so each row read is its key), in PROGRESS_ORDER: the first of
# ProgressRepository.progress_reusing's two reads. The same figures as PROGRESS_COLUMNS's subqueries, by joins:
# for a whole month PostgreSQL hashes the zones and the parents' rows once instead of probing three indexes for
# each of 10,000 rows (22 against 46 ms, measured alone). The parent's row is matched on its year and month too
# (implied by its period) so that its side is read by the month's index.
PROGRESS_KEYS = sql.SQL(
    "SELECT progress.zone, progress.indicator, progress.year, progress.month, progress.xmin::text AS row_version, "
    "z.name_zh AS zone_name, o.explanation, parent.ytd_value AS parent_ytd_value FROM progress "
    "LEFT JOIN observations o "
    "ON o.zone = progress.zone AND o.indicator = progress.indicator AND o.period = progress.period "
    "LEFT JOIN zones z ON z.code = progress.zone "
    "LEFT JOIN progress parent ON parent.zone = z.parent AND parent.indicator = progress.indicator "
    "AND parent.period = progress.period AND parent.year = progress.year AND parent.month = progress.month "
    "WHERE progress.year = %(year)s AND progress.month = %(month)s{indicators} ORDER BY {order}"
)

# Every column of the named series' rows of one month: the second read, of the rows that changed.
PROGRESS_OF_SERIES = sql.SQL(
    "SELECT {columns} FROM progress WHERE year = %(year)s AND month = %(month)s AND period = %(period)s "
    "AND (zone, indicator) IN (SELECT * FROM unnest(%(zones)s::text[], %(indicators)s::text[]))"
).format(columns=PROGRESS_COLUMNS)

# A row of a month read for a kept answer (ProgressRepository.progress_reusing): its key, and the whole row
# when its rendering is not kept (None when it is).
KeyedRow = tuple[tuple[Any, ...], dict[str, Any] | None]

# Alerts most severe first, then the most recently changed, then zone (code points), catalog order, rule,
# period: /v1/alerts, the board's 当前预警 and the Grafana overview's panel list them in this order.
ALERTS_ORDER = sql.SQL(
    "CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 WHEN 'info' THEN 2 ELSE 3 END, "
    'a.updated_at DESC, a.zone COLLATE "C", coalesce(k.position, 2147483647), a.indicator, a.rule, a.period'
)
# The counts of the whole filtered set ride on every row (window aggregates run before LIMIT), so a page and
# its counts come from one statement, one snapshot.
ALERTS_QUERY = sql.SQL(
    "SELECT a.rule, a.zone, a.indicator, a.period, a.state, a.severity, a.version, a.message, a.figures, "
    "a.fired_at, a.updated_at, a.resolved_at, (SELECT z.name_zh FROM zones z WHERE z.code = a.zone) AS zone_name, "
    "count(*) FILTER (WHERE a.severity = 'critical') OVER () AS critical_count, "
    "count(*) FILTER (WHERE a.severity = 'warning') OVER () AS warning_count, "
    "count(*) FILTER (WHERE a.severity = 'info') OVER () AS info_count "
    "FROM alerts a LEFT JOIN indicator_catalog k ON k.code = a.indicator{where} ORDER BY {order}{limit}"
)
# Transitions newest first; one alert's transitions are told apart by version when they share a moment.
ALERT_EVENTS_QUERY = sql.SQL(
    "SELECT a.rule, a.zone, a.indicator, a.period, a.version, a.transition, a.severity, a.message, a.figures, "
    "a.occurred_at, a.published_at, (SELECT z.name_zh FROM zones z WHERE z.code = a.zone) AS zone_name "
    "FROM alert_events a{where} "
    'ORDER BY a.occurred_at DESC, a.zone COLLATE "C", a.indicator, a.rule, a.period, a.version DESC{limit}'
)
SEVERITIES = ("critical", "warning", "info")

# yoyo-migrations records applied migrations here (yoyo.migrations.default_migration_table).
MIGRATION_TABLE = "_yoyo_migration"


@asynccontextmanager
async def timed(query: str) -> AsyncIterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.DB_SECONDS.labels(query).observe(time.perf_counter() - started)


def _filters(
    zones: Sequence[str] | None, indicators: Sequence[str] | None
) -> tuple[list[sql.Composable], dict[str, Any]]:
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


@dataclass(frozen=True)
class AlertSelection:
    """Which alerts (or alert events) to read; None means any."""

    states: Sequence[str] | None = None  # firing, resolved (alerts only)
    year: int | None = None  # the year of the alert's period
    zones: Sequence[str] | None = None
    indicators: Sequence[str] | None = None
    rules: Sequence[str] | None = None
    severities: Sequence[str] | None = None

    def where(self) -> tuple[sql.Composable, dict[str, Any]]:
        conditions: list[sql.Composable] = []
        params: dict[str, Any] = {}
        if self.states:
            conditions.append(sql.SQL("a.state = ANY(%(states)s::text[])"))
            params["states"] = list(self.states)
        if self.year is not None:
            # A range on period rather than extract(year …): the partial index on firing alerts' period serves it.
            conditions.append(sql.SQL("a.period >= %(first)s AND a.period < %(after)s"))
            params.update(first=date(self.year, 1, 1), after=date(self.year + 1, 1, 1))
        for column, values in (
            ("zone", self.zones),
            ("indicator", self.indicators),
            ("rule", self.rules),
            ("severity", self.severities),
        ):
            if values:
                condition = sql.SQL("a.{} = ANY({}::text[])").format(sql.Identifier(column), sql.Placeholder(column))
                conditions.append(condition)
                params[column] = list(values)
        return _where(conditions), params


@dataclass(frozen=True)
class AlertPage:
    """Alerts in order (at most the limit), and how many of each severity the whole selection holds."""

    rows: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))


def _limit(limit: int | None, params: dict[str, Any]) -> sql.Composable:
    if limit is None:
        return sql.SQL("")
    params["limit"] = limit
    return sql.SQL(" LIMIT %(limit)s")


async def select_alerts(
    pool: AsyncConnectionPool, selection: AlertSelection, limit: int | None = None, query: str = "alerts"
) -> AlertPage:
    """The selected alerts, most severe first then the most recently changed; `query` labels the timing."""
    where, params = selection.where()
    statement = ALERTS_QUERY.format(where=where, order=ALERTS_ORDER, limit=_limit(limit, params))
    async with pool.connection() as conn, timed(query):
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(statement, params)
        rows = await cursor.fetchall()
    if not rows:
        return AlertPage([])
    counts = {severity: int(rows[0][f"{severity}_count"]) for severity in SEVERITIES}
    for row in rows:
        for severity in SEVERITIES:
            del row[f"{severity}_count"]
    return AlertPage(rows, counts)


async def select_alert_events(
    pool: AsyncConnectionPool, selection: AlertSelection, limit: int | None = None
) -> list[dict[str, Any]]:
    """The selected alerts' transitions (alert_events), newest first."""
    where, params = selection.where()
    statement = ALERT_EVENTS_QUERY.format(where=where, limit=_limit(limit, params))
    async with pool.connection() as conn, timed("alert_events"):
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(statement, params)
        return await cursor.fetchall()


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

    async def progress_reusing(
        self,
        year: int,
        month: int,
        indicators: Sequence[str] | None,
        kept: Callable[[tuple[Any, ...]], bool],
    ) -> list[KeyedRow]:
        """Every zone's progress rows of one month, lagging first, for an answer whose rows' renderings were
        kept (query.answer_cache.RowPieces): each row's key (its PROGRESS_KEYS columns, in
        query.progress_items.ROW_KEY_COLUMNS' order) with, for a key `kept` does not accept, the whole row (as
        `progress` reads it), and None for one it accepts. A report changes a few of a month's ten thousand
        rows, and reading and decoding every figure of the rest was most of a rebuilt answer's time. The keys
        are read as tuples, which are the keys, not as dicts to take them from. Both reads see one snapshot
        (REPEATABLE READ), so a row's key and its figures are of the same version."""
        params: dict[str, Any] = {"year": year, "month": month}
        only = sql.SQL("")
        if indicators:
            only = sql.SQL(" AND progress.indicator = ANY(%(indicators)s::text[])")
            params["indicators"] = list(indicators)
        async with self.pool.connection() as conn, timed("progress_reusing"):
            async with conn.transaction():
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor = await conn.execute(PROGRESS_KEYS.format(indicators=only, order=PROGRESS_ORDER), params)
                keys: list[tuple[Any, ...]] = await cursor.fetchall()
                changed = [key for key in keys if not kept(key)]
                if not changed:
                    return [(key, None) for key in keys]
                reading = conn.cursor(row_factory=dict_row)
                await reading.execute(
                    PROGRESS_OF_SERIES,
                    {
                        "year": year,
                        "month": month,
                        "period": date(year, month, 1),
                        "zones": [key[0] for key in changed],
                        "indicators": [key[1] for key in changed],
                    },
                )
                full = {(row["zone"], row["indicator"]): row for row in await reading.fetchall()}
        # A month has one row per zone and indicator, so the rows read whole are the changed ones.
        return [(key, full.get(key[:2])) for key in keys]

    async def progress_version(self, year: int, month: int) -> tuple[Any, ...]:
        """What changes whenever an answer about the month could (query.answer_cache): its progress rows, its
        observations (their explanations) and the zone registry (names, parents)."""
        async with self.pool.connection() as conn, timed("progress_version"):
            cursor = await conn.execute(
                PROGRESS_VERSION, {"year": year, "month": month, "period": date(year, month, 1)}
            )
            row = await cursor.fetchone()
        return tuple(row or ())

    async def indicator_year_version(self, indicator: str, year: int) -> tuple[Any, ...]:
        """What changes whenever a ranking of the indicator's year could: its progress rows and the registry."""
        async with self.pool.connection() as conn, timed("indicator_year_version"):
            cursor = await conn.execute(INDICATOR_YEAR_VERSION, {"indicator": indicator, "year": year})
            row = await cursor.fetchone()
        return tuple(row or ())

    async def alerts_version(self, year: int) -> tuple[Any, ...]:
        """What changes whenever the year's alerts could (their states, messages, severities)."""
        async with self.pool.connection() as conn, timed("alerts_version"):
            cursor = await conn.execute(ALERTS_VERSION, {"first": date(year, 1, 1), "next": date(year + 1, 1, 1)})
            row = await cursor.fetchone()
        return tuple(row or ())

    async def series(self, zone: str, indicator: str, first: date | None, last: date | None) -> list[dict[str, Any]]:
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
