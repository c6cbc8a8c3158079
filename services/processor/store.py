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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import psycopg
from psycopg import AsyncConnection, sql
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool

from indicators_core import events
from indicators_core.catalog import Catalog
from indicators_core.events import from_timestamp, text_decimal
from indicators_core.progress import (
    Basis,
    MonthProgress,
    MonthReport,
    SeriesShape,
    affected_years,
    compute_year,
)
from indicators_core.projects import (
    MAJOR_PROJECT_INVESTMENT,
    Project,
    derived_year,
    months_to_derive,
    project_years,
    shanghai_today,
    zone_investment_year,
)
from processor.projects_store import (
    PROJECT_SERIES,
    PROJECTS_KEY,
    changed_zone_years,
    project_of_event,
    projects_of_zones,
    store_projects,
    stored_projects,
)

log = logging.getLogger(__name__)


# The columns of the rows the processor writes as sets, with their types: the one place they are named (the
# statements and json_records are derived from them, so that no key can be left out, which json_to_recordset
# would silently read as NULL).
OBSERVATION_RECORD = (
    ("zone", "text"),
    ("indicator", "text"),
    ("period", "date"),
    ("basis", "text"),
    ("value", "numeric"),
    ("yoy_base", "numeric"),
    ("reported_value", "numeric"),
    ("reported_unit", "text"),
    ("source", "text"),
    ("batch_id", "uuid"),
    ("row_index", "int"),
    ("reported_at", "timestamptz"),
    ("explanation", "text"),
    ("explained_warnings", "jsonb"),
    ("reported_yoy_pct", "numeric"),
)
PROGRESS_RECORD = (
    ("zone", "text"),
    ("indicator", "text"),
    ("period", "date"),
    ("year", "int"),
    ("month", "int"),
    ("ytd_value", "numeric"),
    ("month_value", "numeric"),
    ("ytd_last_year", "numeric"),
    ("month_last_year", "numeric"),
    ("yoy_base", "numeric"),
    ("yoy_base_comparable", "bool"),
    ("yoy_pct", "numeric"),
    ("month_yoy_pct", "numeric"),
    ("target_value", "numeric"),
    ("completion_pct", "numeric"),
    ("time_progress_pct", "numeric"),
    ("progress_gap_pp", "numeric"),
    ("on_track", "bool"),
    ("reported_at", "timestamptz"),
    ("computed_at", "timestamptz"),
    ("yoy_source", "text"),
    ("reported_yoy_pct", "numeric"),
    ("growth_target_pct", "numeric"),
    ("growth_gap_pp", "numeric"),
    ("growth_on_track", "bool"),
)
OBSERVATION_COLUMNS = tuple(name for name, _ in OBSERVATION_RECORD)
PROGRESS_COLUMNS = tuple(name for name, _ in PROGRESS_RECORD)


def _recordset(record: Sequence[tuple[str, str]]) -> str:
    """The rows of one json_records parameter, typed."""
    return "json_to_recordset(%s::json) AS r(" + ", ".join(f"{name} {kind}" for name, kind in record) + ")"


# A chunk's observations in one statement, sent as one JSON array of records (json_records) rather than one
# statement per row or one array per column: orjson writes it in C, PostgreSQL reads it in C, once for both
# tables, and the decimals travel as their own digits (exact). Every report is kept as a revision; the same report
# twice in a chunk (a resend) is one current row: the later by the order every report is kept by.
UPSERT_OBSERVATIONS = f"""
WITH incoming AS (SELECT * FROM {_recordset(OBSERVATION_RECORD)}),
revisions AS (
    INSERT INTO observation_revisions ({", ".join(OBSERVATION_COLUMNS)})
    SELECT * FROM incoming
    ON CONFLICT DO NOTHING
)
INSERT INTO observations AS o ({", ".join(OBSERVATION_COLUMNS)})
SELECT DISTINCT ON (zone, indicator, period) * FROM incoming
ORDER BY zone, indicator, period, reported_at DESC, batch_id::text DESC, row_index DESC
ON CONFLICT (zone, indicator, period) DO UPDATE SET
    basis = EXCLUDED.basis, value = EXCLUDED.value, yoy_base = EXCLUDED.yoy_base,
    reported_yoy_pct = EXCLUDED.reported_yoy_pct,
    reported_value = EXCLUDED.reported_value, reported_unit = EXCLUDED.reported_unit, source = EXCLUDED.source,
    batch_id = EXCLUDED.batch_id, row_index = EXCLUDED.row_index, reported_at = EXCLUDED.reported_at,
    explanation = EXCLUDED.explanation, explained_warnings = EXCLUDED.explained_warnings,
    stored_at = now()
WHERE (o.reported_at, o.batch_id::text, o.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""  # noqa: S608 (built from the constant column list above)


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

# The zone registry: a later report of a code replaces it, by the same order as every report.
UPSERT_ZONE = """
INSERT INTO zones AS z (code, name_zh, level, kind, parent, groups, source, batch_id, row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (code) DO UPDATE SET
    name_zh = EXCLUDED.name_zh, level = EXCLUDED.level, kind = EXCLUDED.kind, parent = EXCLUDED.parent,
    groups = EXCLUDED.groups, source = EXCLUDED.source, batch_id = EXCLUDED.batch_id,
    row_index = EXCLUDED.row_index, reported_at = EXCLUDED.reported_at, stored_at = now()
WHERE (z.reported_at, z.batch_id::text, z.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""

INSERT_ZONE_REVISION = """
INSERT INTO zone_revisions (code, name_zh, level, kind, parent, groups, source, batch_id, row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""
# The series key zone reports travel under (reports topic): "<code>|zone", apart from any indicator's.
ZONE_KEY = "zone"
# A project's own lock: "<id>|project", apart from any series' key.
PROJECT_KEY = "project"

UPSERT_GROWTH_TARGET = """
INSERT INTO growth_targets AS t (zone, indicator, year, value_pct, source, batch_id, row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (zone, indicator, year) DO UPDATE SET
    value_pct = EXCLUDED.value_pct, source = EXCLUDED.source, batch_id = EXCLUDED.batch_id,
    row_index = EXCLUDED.row_index, reported_at = EXCLUDED.reported_at, stored_at = now()
WHERE (t.reported_at, t.batch_id::text, t.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""

INSERT_GROWTH_TARGET_REVISION = """
INSERT INTO growth_target_revisions (zone, indicator, year, value_pct, source, batch_id, row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""

# One round trip for all of a chunk's series; the keys are locked in sorted order.
LOCK_SERIES = """
SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))
FROM (SELECT key FROM unnest(%s::text[]) AS key ORDER BY key) AS sorted_keys
"""

# All series of a chunk are read in one round trip each, not one per series.
SELECT_OBSERVATIONS = """
SELECT o.zone, o.indicator, o.period, o.basis, o.value, o.yoy_base, o.reported_at, o.reported_yoy_pct
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

SELECT_GROWTH_TARGETS = """
SELECT t.zone, t.indicator, t.year, t.value_pct, t.reported_at
FROM growth_targets t
JOIN unnest(%s::text[], %s::text[], %s::int[], %s::int[]) AS s(zone, indicator, first_year, last_year)
  ON t.zone = s.zone AND t.indicator = s.indicator AND t.year BETWEEN s.first_year AND s.last_year
"""

# Every row a chunk recomputed, in one statement (one JSON array of records; the rows are unique by series and month).
UPSERT_PROGRESS = f"""
INSERT INTO progress ({", ".join(PROGRESS_COLUMNS)})
SELECT * FROM {_recordset(PROGRESS_RECORD)}
ON CONFLICT (zone, indicator, period) DO UPDATE SET
    ytd_value = EXCLUDED.ytd_value, month_value = EXCLUDED.month_value, ytd_last_year = EXCLUDED.ytd_last_year,
    month_last_year = EXCLUDED.month_last_year, yoy_base = EXCLUDED.yoy_base,
    yoy_base_comparable = EXCLUDED.yoy_base_comparable, yoy_pct = EXCLUDED.yoy_pct,
    month_yoy_pct = EXCLUDED.month_yoy_pct, target_value = EXCLUDED.target_value,
    completion_pct = EXCLUDED.completion_pct, time_progress_pct = EXCLUDED.time_progress_pct,
    progress_gap_pp = EXCLUDED.progress_gap_pp, on_track = EXCLUDED.on_track, reported_at = EXCLUDED.reported_at,
    computed_at = EXCLUDED.computed_at, yoy_source = EXCLUDED.yoy_source,
    reported_yoy_pct = EXCLUDED.reported_yoy_pct, growth_target_pct = EXCLUDED.growth_target_pct,
    growth_gap_pp = EXCLUDED.growth_gap_pp, growth_on_track = EXCLUDED.growth_on_track
"""  # noqa: S608 (built from the constant column list above)


# A derived series' year recomputed from the project list: its months that no longer have a figure (a rate whose
# projects moved to another year) are removed, so that no stale figure outlives the list it came from.
DELETE_STALE_PROGRESS = """
DELETE FROM progress WHERE zone = %s AND indicator = %s AND year = %s AND NOT (month = ANY(%s::int[]))
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
        text_decimal(obs.value),  # "" for a growth-only report: no amount
        text_decimal(obs.yoy_base),
        text_decimal(obs.reported_value),
        obs.reported_unit,
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
        # "" on the wire (proto3's absent string) is NULL in the table: no explanation, no warnings.
        obs.explanation or None,
        orjson.Fragment(obs.explained_warnings) if obs.explained_warnings else None,  # JSON already
        text_decimal(obs.reported_yoy_pct),
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


def _zone_params(report: events.Report) -> tuple[object, ...]:
    zone = report.zone
    return (
        zone.code,
        zone.name_zh,
        zone.level,
        zone.kind,
        zone.parent or None,
        list(zone.groups),
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
    )


def _growth_target_params(report: events.Report) -> tuple[object, ...]:
    target = report.target
    return (
        target.zone,
        target.indicator,
        target.year,
        Decimal(target.value),
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
    )


def progress_params(zone: str, indicator: str, row: MonthProgress, computed_at: datetime) -> tuple[object, ...]:
    """One row of UPSERT_PROGRESS."""
    return (
        zone,
        indicator,
        date(row.year, row.month, 1),
        row.year,
        row.month,
        row.ytd_value,
        row.month_value,
        row.ytd_last_year,
        row.month_last_year,
        row.yoy_base,
        row.yoy_base_comparable,
        row.yoy_pct,
        row.month_yoy_pct,
        row.target_value,
        row.completion_pct,
        row.time_progress_pct,
        row.progress_gap_pp,
        row.on_track,
        row.reported_at,
        computed_at,
        row.yoy_source,
        row.reported_yoy_pct,
        row.growth_target_pct,
        row.growth_gap_pp,
        row.growth_on_track,
    )


def json_records(columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> bytes:
    """Rows as the JSON array of records json_to_recordset reads: decimals as strings of their digits (what
    psycopg would send for a Decimal), dates and times in ISO 8601, a JSON column as its own JSON (orjson.Fragment).
    Sent as these bytes (json_parameter), not decoded to be encoded again.

    Text with a NUL byte is refused here, by column: JSON would carry it as \\u0000, which PostgreSQL refuses
    for text with a message about JSON rather than the report."""
    payload = orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str)
    if b"\\u0000" in payload:
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, str) and "\x00" in value:
                    raise psycopg.DataError(
                        f"{column} {value!r} holds a NUL (0x00) byte, which PostgreSQL text cannot hold"
                    )
    return payload


def _written(payload: bytes) -> bytes:
    return payload


def json_parameter(payload: bytes) -> Json:
    """JSON text already written (json_records) as a json parameter: its bytes as they are."""
    return Json(payload, dumps=_written)


def group_changes(
    observations: Iterable[events.Report], targets: Iterable[events.Report]
) -> dict[tuple[str, str], SeriesChange]:
    """The series the reports change, with the years their reports (observations) and targets touch."""
    changes: dict[tuple[str, str], SeriesChange] = defaultdict(SeriesChange)
    for report in observations:
        obs = report.observation
        changes[(obs.zone, obs.indicator)].report_years.add(obs.year)
    for report in targets:
        target = report.target
        changes[(target.zone, target.indicator)].target_years.add(target.year)
    return dict(changes)


# The tables a burst grows fast. The planner's row counts come from the last ANALYZE, and autovacuum looks once a
# minute and analyzes after 10% more rows: while a fresh installation loads its history, the planner takes
# `observations` for a table of a few hundred rows and joins it by a scan of every row (8 ms for a batch's
# plausibility read at 50,000 rows, 25 ms at 100,000, growing) instead of its key.
GROWING_TABLES = ("observations", "observation_revisions", "progress")
SELECT_GROWN_TABLES = """
SELECT s.relname
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relname = ANY(%s) AND s.schemaname = current_schema()
  AND s.n_mod_since_analyze > 1000 + 0.5 * greatest(c.reltuples, 0)
ORDER BY s.relname
"""


async def analyze_grown_tables(pool: AsyncConnectionPool) -> list[str]:
    """ANALYZE the growing tables that changed by more than half (and 1,000 rows) since their last statistics;
    the tables analyzed. A TimescaleDB hypertable's rows are in its chunks, which autovacuum keeps."""
    async with pool.connection() as conn:
        cursor = await conn.execute(SELECT_GROWN_TABLES, (list(GROWING_TABLES),))
        grown = [str(name) for (name,) in await cursor.fetchall()]
        for name in grown:
            await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    return grown


class ProgressStore:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        catalog: Catalog,
        today: Callable[[], date] = lambda: shanghai_today(datetime.now(UTC)),
    ):
        self.pool = pool
        self.catalog = catalog
        # The calendar day in China: how many of this year's months the project list's figures have begun.
        self.today = today

    async def refresh_derived(self, year: int) -> list[SeriesResult]:
        """Recompute `year`'s figures derived from every zone's project list: a month that begins gets its
        figures (签约项目数 of 1-7月 on August 1st) though no project changed, and a deadline that passed moves
        the rates of the month under way. Locked and stored like any chunk, so a refresh beside a chunk of
        reports of the same zone waits for it."""
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute("SELECT DISTINCT zone FROM projects")
            listed = await projects_of_zones(conn, [str(zone) for (zone,) in await cursor.fetchall()])
            # A year's figures come from the projects with a date (or investment) in it; other zones have none.
            zones = sorted(zone for zone, projects in listed.items() if any(year in project_years(p) for p in projects))
            codes = [code for code in PROJECT_SERIES if self.catalog.get(code) is not None]
            changes = {(zone, code): SeriesChange(report_years={year}) for zone in zones for code in codes}
            if not changes:
                return []
            keys = {f"{zone}|{code}" for zone, code in changes} | {f"{zone}|{PROJECTS_KEY}" for zone in zones}
            await conn.execute(LOCK_SERIES, (sorted(keys),))
            return await self._recompute(conn, changes)

    async def apply(self, reports: Sequence[events.Report]) -> list[SeriesResult]:
        """Store the reports and recompute every figure they affect, in one transaction."""
        # Each report's kind asked once (a transaction holds up to take_max of them), not once per kind.
        by_kind: dict[str | None, list[events.Report]] = defaultdict(list)
        for report in reports:
            by_kind[report.WhichOneof("payload")].append(report)
        observations, zones, projects = by_kind["observation"], by_kind["zone"], by_kind["project"]
        targets = [r for r in by_kind["target"] if r.target.kind != "growth"]
        growth_targets = [r for r in by_kind["target"] if r.target.kind == "growth"]
        changes = group_changes(observations, by_kind["target"])
        if not changes and not zones and not projects:
            return []
        async with self.pool.connection() as conn, conn.transaction():
            if zones:
                # Names and parents change no figure: nothing to recompute or publish for them.
                async with conn.cursor() as cur:
                    zone_rows = [_zone_params(r) for r in zones]
                    await cur.executemany(UPSERT_ZONE, zone_rows)
                    await cur.executemany(INSERT_ZONE_REVISION, zone_rows)
            if projects:
                await self._project_changes(conn, projects, changes)
            if not changes and not projects:
                return []
            # Serialise work on a series across workers (a rebalance can hand a
            # partition over while the old owner is mid-chunk); sorted order
            # means two workers never wait on each other in a cycle.
            async with conn.cursor() as cur:
                keys = {f"{zone}|{indicator}" for zone, indicator in changes}
                # A zone's list too: its figures are read from every project of the zone.
                keys.update(f"{zone}|{PROJECTS_KEY}" for zone, indicator in changes if self._from_projects(indicator))
                await cur.execute(LOCK_SERIES, (sorted(keys),))
                if projects:
                    await store_projects(conn, projects)
                if observations:
                    records = json_records(OBSERVATION_COLUMNS, [_observation_params(r) for r in observations])
                    await cur.execute(UPSERT_OBSERVATIONS, (json_parameter(records),))
                if targets:
                    rows = [_target_params(r) for r in targets]
                    await cur.executemany(UPSERT_TARGET, rows)
                    await cur.executemany(INSERT_TARGET_REVISION, rows)
                if growth_targets:
                    rows = [_growth_target_params(r) for r in growth_targets]
                    await cur.executemany(UPSERT_GROWTH_TARGET, rows)
                    await cur.executemany(INSERT_GROWTH_TARGET_REVISION, rows)
            results = await self._recompute(conn, changes) if changes else []
        return results

    def _from_projects(self, code: str) -> bool:
        """Whether a series is (or may be) computed from the project list rather than only from observations."""
        entry = self.catalog.get(code)
        return code == MAJOR_PROJECT_INVESTMENT or (entry is not None and entry.derived_from == "projects")

    async def _project_changes(
        self, conn: AsyncConnection, reports: Sequence[events.Report], changes: dict[tuple[str, str], SeriesChange]
    ) -> None:
        """The series project reports change: every derived series of the zones and years they touch.

        They count as reported in those years (so the next year's growth follows too), whichever version wins: the
        replaced version's zone and years are recomputed as well, since its dates no longer count. Read before the
        series are locked, so that one sorted lock covers the chunk (the zone's list keys are among them), but under
        the projects' own locks: a transaction storing another version of a project (another chunk, another
        worker; the project's zone, and so its partition, may differ) commits first, and the version it stored is
        the one replaced here, so that no zone the project leaves is missed. Project locks are taken before any
        series lock, in sorted order, and never while a series lock is held: no cycle with the series' locks.
        """
        ids = sorted({r.project.id for r in reports})
        await conn.execute(LOCK_SERIES, ([f"{project_id}|{PROJECT_KEY}" for project_id in ids],))
        replaced = await stored_projects(conn, ids)
        for zone, years in changed_zone_years([project_of_event(r) for r in reports], replaced).items():
            for code in PROJECT_SERIES:
                if self.catalog.get(code) is not None:
                    changes.setdefault((zone, code), SeriesChange()).report_years.update(years)

    def _project_reports(
        self, code: str, projects: Sequence[Project], years: Iterable[int], observed: dict[int, dict[int, MonthReport]]
    ) -> tuple[dict[int, dict[int, MonthReport]], set[int]]:
        """A series' reports by year as the project list gives them (derived figures: 1月 to each month's end, as
        cumulative reports), and the years the list decides. major_project_investment keeps its observations in
        the years whose projects carry no completed investment."""
        today = self.today()
        newest = max((p.reported_at for p in projects if p.reported_at is not None), default=None)
        by_year: dict[int, dict[int, MonthReport]] = {}
        from_list: set[int] = set()
        for year in years:
            if code == MAJOR_PROJECT_INVESTMENT:
                figures = zone_investment_year(projects, year)
                if not figures:
                    if year in observed:
                        by_year[year] = observed[year]
                    continue
            else:
                figures = derived_year(projects, year, months_to_derive(year, today)).get(code, {})
            from_list.add(year)
            by_year[year] = {
                m: MonthReport(year, m, Basis.YTD, value, reported_at=newest) for m, value in figures.items()
            }
        return by_year, from_list

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
        growth_targets: dict[tuple[str, str], dict[int, tuple[Decimal, datetime]]] = defaultdict(dict)
        selection = (zones, indicators, first_years, last_years)
        async with conn.cursor() as cur:
            await cur.execute(SELECT_OBSERVATIONS, selection)
            for zone, indicator, period, basis, value, yoy_base, reported_at, reported_yoy in await cur.fetchall():
                reports[(zone, indicator)][period.year][period.month] = MonthReport(
                    period.year, period.month, Basis(basis), value, yoy_base, reported_at, reported_yoy
                )
            await cur.execute(SELECT_TARGETS, selection)
            for zone, indicator, year, value, reported_at in await cur.fetchall():
                targets[(zone, indicator)][year] = (value, reported_at)
            await cur.execute(SELECT_GROWTH_TARGETS, selection)
            for zone, indicator, year, value, reported_at in await cur.fetchall():
                growth_targets[(zone, indicator)][year] = (value, reported_at)
        stale: list[tuple[str, str, int, list[int]]] = []
        listed = [key for key in keys if self._from_projects(key[1])]
        if listed:
            projects = await projects_of_zones(conn, {zone for zone, _ in listed})
            for key in listed:
                span = range(min(years[key]) - 1, max(years[key]) + 1)
                derived, from_list = self._project_reports(key[1], projects.get(key[0], []), span, reports[key])
                reports[key] = defaultdict(dict, derived)
                stale.extend(
                    (key[0], key[1], year, sorted(derived.get(year, {}))) for year in years[key] if year in from_list
                )

        computed_at = datetime.now(UTC)
        results: list[SeriesResult] = []
        for key in keys:
            zone, indicator = key
            entry = self.catalog.get(indicator)
            shape = SeriesShape() if entry is None else SeriesShape(entry.first_month, entry.step, entry.stock)
            for year in sorted(years[key]):
                target = targets[key].get(year)
                growth_target = growth_targets[key].get(year)
                for row in compute_year(
                    year,
                    reports[key],
                    target[0] if target else None,
                    target_reported_at=target[1] if target else None,
                    shape=shape,
                    growth_target_pct=growth_target[0] if growth_target else None,
                    growth_target_reported_at=growth_target[1] if growth_target else None,
                ):
                    results.append(SeriesResult(zone, indicator, row, computed_at))
        async with conn.cursor() as cur:
            if stale:
                await cur.executemany(DELETE_STALE_PROGRESS, stale)
            if results:
                rows = [progress_params(r.zone, r.indicator, r.row, computed_at) for r in results]
                await cur.execute(UPSERT_PROGRESS, (json_parameter(json_records(PROGRESS_COLUMNS, rows)),))
        return results
