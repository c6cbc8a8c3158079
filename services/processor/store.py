"""The processor's database side: store reports, recompute the series they touch, upsert progress.

The database is the processor's state. Every figure is recomputed from the
stored current reports, never incremented, so replaying an event (after a
crash, a rebalance or a duplicate post) yields the same rows: nothing is
double-counted. A later report replaces an earlier one by (reported_at,
batch_id, row_index), whichever order they are processed in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from indicators_core import events
from indicators_core.catalog import Catalog
from indicators_core.events import from_timestamp, text_decimal
from indicators_core.progress import Basis, MonthProgress, MonthReport, affected_years, compute_year

log = logging.getLogger(__name__)

UPSERT_OBSERVATION = """
INSERT INTO observations AS o (zone, indicator, period, basis, value, yoy_base, reported_value, reported_unit,
                               source, batch_id, row_index, reported_at, explanation, explained_warnings)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)
ON CONFLICT (zone, indicator, period) DO UPDATE SET
    basis = EXCLUDED.basis, value = EXCLUDED.value, yoy_base = EXCLUDED.yoy_base,
    reported_value = EXCLUDED.reported_value, reported_unit = EXCLUDED.reported_unit, source = EXCLUDED.source,
    batch_id = EXCLUDED.batch_id, row_index = EXCLUDED.row_index, reported_at = EXCLUDED.reported_at,
    explanation = EXCLUDED.explanation, explained_warnings = EXCLUDED.explained_warnings,
    stored_at = now()
WHERE (o.reported_at, o.batch_id::text, o.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""

INSERT_OBSERVATION_REVISION = """
INSERT INTO observation_revisions (zone, indicator, period, basis, value, yoy_base, reported_value, reported_unit,
                                   source, batch_id, row_index, reported_at, explanation, explained_warnings)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)
ON CONFLICT DO NOTHING
"""

UPSERT_TARGET = """
INSERT INTO targets AS t (zone, indicator, year, value, reported_value, reported_unit, source, batch_id, row_index,
                          reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (zone, indicator, year) DO UPDATE SET
    value = EXCLUDED.value, reported_value = EXCLUDED.reported_value, reported_unit = EXCLUDED.reported_unit,
    source = EXCLUDED.source, batch_id = EXCLUDED.batch_id, row_index = EXCLUDED.row_index,
    reported_at = EXCLUDED.reported_at, stored_at = now()
WHERE (t.reported_at, t.batch_id::text, t.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""

INSERT_TARGET_REVISION = """
INSERT INTO target_revisions (zone, indicator, year, value, reported_value, reported_unit, source, batch_id,
                              row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""

# One round trip for all of a chunk's series; the keys are locked in sorted order.
LOCK_SERIES = """
SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))
FROM (SELECT key FROM unnest(%s::text[]) AS key ORDER BY key) AS sorted_keys
"""

# All series of a chunk are read in one round trip each, not one per series.
SELECT_OBSERVATIONS = """
SELECT o.zone, o.indicator, o.period, o.basis, o.value, o.yoy_base, o.reported_at
FROM observations o
JOIN unnest(%s::text[], %s::text[], %s::int[], %s::int[]) AS s(zone, indicator, first_year, last_year)
  ON o.zone = s.zone AND o.indicator = s.indicator
 AND o.period >= make_date(s.first_year, 1, 1) AND o.period < make_date(s.last_year + 1, 1, 1)
"""

SELECT_TARGETS = """
SELECT t.zone, t.indicator, t.year, t.value, t.reported_at
FROM targets t
JOIN unnest(%s::text[], %s::text[], %s::int[], %s::int[]) AS s(zone, indicator, first_year, last_year)
  ON t.zone = s.zone AND t.indicator = s.indicator AND t.year BETWEEN s.first_year AND s.last_year
"""

UPSERT_PROGRESS = """
INSERT INTO progress (zone, indicator, period, year, month, ytd_value, month_value, ytd_last_year, month_last_year,
                      yoy_base, yoy_base_comparable, yoy_pct, month_yoy_pct, target_value, completion_pct,
                      time_progress_pct, progress_gap_pp, on_track, reported_at, computed_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (zone, indicator, period) DO UPDATE SET
    ytd_value = EXCLUDED.ytd_value, month_value = EXCLUDED.month_value, ytd_last_year = EXCLUDED.ytd_last_year,
    month_last_year = EXCLUDED.month_last_year, yoy_base = EXCLUDED.yoy_base,
    yoy_base_comparable = EXCLUDED.yoy_base_comparable, yoy_pct = EXCLUDED.yoy_pct,
    month_yoy_pct = EXCLUDED.month_yoy_pct, target_value = EXCLUDED.target_value,
    completion_pct = EXCLUDED.completion_pct, time_progress_pct = EXCLUDED.time_progress_pct,
    progress_gap_pp = EXCLUDED.progress_gap_pp, on_track = EXCLUDED.on_track, reported_at = EXCLUDED.reported_at,
    computed_at = EXCLUDED.computed_at
"""


@dataclass
class SeriesChange:
    """What a chunk of reports changed in one series (zone + indicator)."""

    report_years: set[int] = field(default_factory=set)
    target_years: set[int] = field(default_factory=set)

    def years_to_compute(self) -> set[int]:
        return affected_years(self.report_years, self.target_years)


@dataclass(frozen=True)
class SeriesResult:
    zone: str
    indicator: str
    row: MonthProgress
    computed_at: datetime


def _observation_params(report: events.Report) -> tuple[object, ...]:
    obs = report.observation
    return (
        obs.zone,
        obs.indicator,
        date(obs.year, obs.month, 1),
        "ytd" if obs.basis == events.BASIS_YTD else "month",
        Decimal(obs.value),
        text_decimal(obs.yoy_base),
        Decimal(obs.reported_value),
        obs.reported_unit,
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
        # "" on the wire (proto3's absent string) is NULL in the table: no explanation, no warnings.
        obs.explanation or None,
        obs.explained_warnings or None,
    )


def _target_params(report: events.Report) -> tuple[object, ...]:
    target = report.target
    return (
        target.zone,
        target.indicator,
        target.year,
        Decimal(target.value),
        Decimal(target.reported_value),
        target.reported_unit,
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
    )


def group_changes(reports: Iterable[events.Report]) -> dict[tuple[str, str], SeriesChange]:
    changes: dict[tuple[str, str], SeriesChange] = defaultdict(SeriesChange)
    for report in reports:
        if report.HasField("observation"):
            obs = report.observation
            changes[(obs.zone, obs.indicator)].report_years.add(obs.year)
        elif report.HasField("target"):
            target = report.target
            changes[(target.zone, target.indicator)].target_years.add(target.year)
    return dict(changes)


class ProgressStore:
    def __init__(self, pool: AsyncConnectionPool, catalog: Catalog):
        self.pool = pool
        self.catalog = catalog

    async def apply(self, reports: Sequence[events.Report]) -> list[SeriesResult]:
        """Store the reports and recompute every figure they affect, in one transaction."""
        changes = group_changes(reports)
        if not changes:
            return []
        async with self.pool.connection() as conn, conn.transaction():
            # Serialise work on a series across workers (a rebalance can hand a
            # partition over while the old owner is mid-chunk); sorted order
            # means two workers never wait on each other in a cycle.
            async with conn.cursor() as cur:
                await cur.execute(LOCK_SERIES, ([f"{zone}|{indicator}" for zone, indicator in sorted(changes)],))
                observations = [r for r in reports if r.HasField("observation")]
                targets = [r for r in reports if r.HasField("target")]
                if observations:
                    rows = [_observation_params(r) for r in observations]
                    await cur.executemany(UPSERT_OBSERVATION, rows)
                    await cur.executemany(INSERT_OBSERVATION_REVISION, rows)
                if targets:
                    rows = [_target_params(r) for r in targets]
                    await cur.executemany(UPSERT_TARGET, rows)
                    await cur.executemany(INSERT_TARGET_REVISION, rows)
            results = await self._recompute(conn, changes)
        return results

    async def _recompute(
        self, conn: AsyncConnection, changes: dict[tuple[str, str], SeriesChange]
    ) -> list[SeriesResult]:
        keys = sorted(changes)
        years = {key: changes[key].years_to_compute() for key in keys}
        zones = [zone for zone, _ in keys]
        indicators = [indicator for _, indicator in keys]
        first_years = [min(years[key]) - 1 for key in keys]  # last year's base
        last_years = [max(years[key]) for key in keys]

        reports: dict[tuple[str, str], dict[int, dict[int, MonthReport]]] = defaultdict(lambda: defaultdict(dict))
        targets: dict[tuple[str, str], dict[int, tuple[Decimal, datetime]]] = defaultdict(dict)
        async with conn.cursor() as cur:
            await cur.execute(SELECT_OBSERVATIONS, (zones, indicators, first_years, last_years))
            for zone, indicator, period, basis, value, yoy_base, reported_at in await cur.fetchall():
                reports[(zone, indicator)][period.year][period.month] = MonthReport(
                    period.year, period.month, Basis(basis), value, yoy_base, reported_at
                )
            await cur.execute(SELECT_TARGETS, (zones, indicators, first_years, last_years))
            for zone, indicator, year, value, reported_at in await cur.fetchall():
                targets[(zone, indicator)][year] = (value, reported_at)

        computed_at = datetime.now(UTC)
        results: list[SeriesResult] = []
        for key in keys:
            zone, indicator = key
            entry = self.catalog.get(indicator)
            first_month = 1 if entry is None or entry.january else 2
            for year in sorted(years[key]):
                target = targets[key].get(year)
                for row in compute_year(
                    year,
                    reports[key],
                    target[0] if target else None,
                    first_month=first_month,
                    target_reported_at=target[1] if target else None,
                ):
                    results.append(SeriesResult(zone, indicator, row, computed_at))
        if results:
            async with conn.cursor() as cur:
                await cur.executemany(
                    UPSERT_PROGRESS,
                    [
                        (
                            r.zone,
                            r.indicator,
                            date(r.row.year, r.row.month, 1),
                            r.row.year,
                            r.row.month,
                            r.row.ytd_value,
                            r.row.month_value,
                            r.row.ytd_last_year,
                            r.row.month_last_year,
                            r.row.yoy_base,
                            r.row.yoy_base_comparable,
                            r.row.yoy_pct,
                            r.row.month_yoy_pct,
                            r.row.target_value,
                            r.row.completion_pct,
                            r.row.time_progress_pct,
                            r.row.progress_gap_pp,
                            r.row.on_track,
                            r.row.reported_at,
                            computed_at,
                        )
                        for r in results
                    ],
                )
        return results
