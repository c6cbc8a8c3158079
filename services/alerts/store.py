"""The evaluator's database side: read the figures, judge, and record transitions in one transaction.

Each evaluation takes the zones it touches under a transaction-level advisory
lock (sorted, so two evaluations never wait on each other in a cycle), reads
the figures and the alerts' stored state *after* taking the lock, applies the
lifecycle, writes `alerts` and `alert_events`, and queues the deliveries
(`alerts.outbox.enqueue_deliveries`) in the same transaction: an alert is
recorded and announced together or not at all.

The figures are always read from the database, never taken from the message
that triggered the evaluation: a result is only a signal that a series
changed. So a replayed or duplicated result judges the current figures again
and, the lifecycle being idempotent, changes nothing.

One lock per zone rather than per alert: a chunk touches hundreds of alert
identities, and advisory locks share PostgreSQL's lock table.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from alerts import rules as R
from alerts.config import RulesConfig
from alerts.lifecycle import State, StoredAlert, decide
from alerts.model import AlertKey, AlertTransition, Rule, Severity, Transition
from alerts.zone_names import named, zone_names
from indicators_core.catalog import Catalog, Indicator
from indicators_core.progress import MonthProgress, month_number, months_before
from indicators_core.projects import Project, load_deadlines, project_from_record, project_status

log = logging.getLogger(__name__)

Enqueue = Callable[[psycopg.AsyncConnection, Sequence[AlertTransition]], Awaitable[Any]]

# Seed 1: a different hash space from the processor's series locks (seed 0).
LOCK_ZONES = """
SELECT count(pg_advisory_xact_lock(hashtextextended('alerts|' || zone, 1)))
FROM (SELECT zone FROM unnest(%s::text[]) AS zone ORDER BY zone) AS sorted_zones
"""

SELECT_PROGRESS = """
SELECT p.zone, p.indicator, p.year, p.month, p.ytd_value, p.month_value, p.ytd_last_year, p.month_last_year,
       p.yoy_base, p.yoy_base_comparable, p.yoy_pct, p.month_yoy_pct, p.target_value, p.completion_pct,
       p.time_progress_pct, p.progress_gap_pp, p.on_track, p.reported_at, p.yoy_source, p.reported_yoy_pct,
       p.growth_target_pct, p.growth_gap_pp, p.growth_on_track
FROM progress p
JOIN unnest(%s::text[], %s::text[], %s::int[], %s::int[]) AS s(zone, indicator, first_year, last_year)
  ON p.zone = s.zone AND p.indicator = s.indicator
 AND p.period >= make_date(s.first_year, 1, 1) AND p.period < make_date(s.last_year + 1, 1, 1)
"""

# The alerts of each rule and series between two periods (the keys judged lie in them; the reader keeps only those):
# a backfill judges ten years of a series at once, and one range per rule and series is a few array elements
# where a key each was thousands, dumped one by one.
SELECT_ALERTS = """
SELECT a.rule, a.zone, a.indicator, a.period, a.state, a.severity, a.version, a.message, a.figures,
       a.fired_at, a.updated_at, a.resolved_at
FROM alerts a
JOIN unnest(%s::text[], %s::text[], %s::text[], %s::date[], %s::date[]) AS k(rule, zone, indicator, first, last)
  ON a.rule = k.rule AND a.zone = k.zone AND a.indicator = k.indicator AND a.period BETWEEN k.first AND k.last
"""

# Late-report alerts still firing for the series and years a chunk touched: a report for
# that month (or a later one of the year) resolves them.
SELECT_FIRING_LATE = """
SELECT a.zone, a.indicator, a.period
FROM alerts a
JOIN unnest(%s::text[], %s::text[], %s::int[]) AS s(zone, indicator, year)
  ON a.zone = s.zone AND a.indicator = s.indicator
 AND a.period >= make_date(s.year, 1, 1) AND a.period < make_date(s.year + 1, 1, 1)
WHERE a.rule = 'late_report' AND a.state = 'firing'
"""

UPSERT_ALERT = """
INSERT INTO alerts (rule, zone, indicator, period, state, severity, version, message, figures, fired_at, updated_at,
                    resolved_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (rule, zone, indicator, period) DO UPDATE SET
    state = EXCLUDED.state, severity = EXCLUDED.severity, version = EXCLUDED.version, message = EXCLUDED.message,
    figures = EXCLUDED.figures, fired_at = EXCLUDED.fired_at, updated_at = EXCLUDED.updated_at,
    resolved_at = EXCLUDED.resolved_at
"""

INSERT_EVENT = """
INSERT INTO alert_events (rule, zone, indicator, period, version, transition, severity, message, figures, occurred_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""

# Series that reported in the 13 months up to the due month, and the months they reported
# from January of last year to December of this year (the rule looks back a year and forward
# to a later cumulative report).
SELECT_REPORTING_ZONES = """
SELECT DISTINCT zone FROM observations WHERE period >= %s AND period <= %s
"""

SELECT_REPORTED_MONTHS = """
SELECT zone, indicator, array_agg(period ORDER BY period)
FROM observations
WHERE zone = ANY(%s::text[]) AND period >= %s AND period < %s
GROUP BY zone, indicator
HAVING max(period) >= %s
"""

# The project list the stage_overdue rule judges: the zones asked (or every zone), and the stage_overdue alerts still
# firing there (a project moved to another zone resolves in the old one: both zones are judged).
SELECT_PROJECTS = "SELECT * FROM projects WHERE %(all)s OR zone = ANY(%(zones)s::text[])"
SELECT_FIRING_STAGES = """
SELECT zone, indicator, period, figures FROM alerts
WHERE rule = 'stage_overdue' AND state = 'firing' AND (%(all)s OR zone = ANY(%(zones)s::text[]))
"""

SELECT_FIRING_COUNTS = "SELECT rule, severity, count(*) FROM alerts WHERE state = 'firing' GROUP BY rule, severity"

SELECT_UNPUBLISHED = """
SELECT rule, zone, indicator, period, version, transition, severity, message, figures, occurred_at
FROM alert_events
WHERE published_at IS NULL AND occurred_at < now() - make_interval(secs => %s)
ORDER BY occurred_at
LIMIT %s
FOR UPDATE SKIP LOCKED
"""

MARK_PUBLISHED = """
UPDATE alert_events e SET published_at = now()
FROM unnest(%s::text[], %s::text[], %s::text[], %s::date[], %s::int[]) AS k(rule, zone, indicator, period, version)
WHERE e.rule = k.rule AND e.zone = k.zone AND e.indicator = k.indicator AND e.period = k.period
  AND e.version = k.version AND e.published_at IS NULL
"""


@dataclass(frozen=True)
class Touched:
    """A result told us that this month of this series changed."""

    zone: str
    indicator: str
    year: int
    month: int


def _by_year(
    rows: dict[tuple[str, str], dict[tuple[int, int], MonthProgress]],
) -> dict[tuple[str, str], dict[int, dict[int, MonthProgress]]]:
    """Each series' rows by year and month, grouped once: a backfill judges ten years of a series in one chunk."""
    by_year: dict[tuple[str, str], dict[int, dict[int, MonthProgress]]] = {}
    for key, series_rows in rows.items():
        grouped: dict[int, dict[int, MonthProgress]] = defaultdict(dict)
        for (year, month), row in series_rows.items():
            grouped[year][month] = row
        by_year[key] = grouped
    return by_year


def _swing_values(
    indicator: Indicator, series: dict[tuple[int, int], MonthProgress]
) -> tuple[list[int], list[Decimal]]:
    """A series' month values in order with their month numbers (progress.month_number), found once for every month
    judged: none for a month without one, nor for 1-2月 without a January report (two months in one value, not a
    month's)."""
    found = sorted(
        (month_number(year, month), row.month_value)
        for (year, month), row in series.items()
        if row.month_value is not None and (indicator.january or month != 2)
    )
    return [number for number, _ in found], [value for _, value in found]


def _key_columns(keys: Sequence[AlertKey]) -> tuple[list[str], list[str], list[str], list[date]]:
    return ([k.rule.value for k in keys], [k.zone for k in keys], [k.indicator for k in keys], [k.period for k in keys])


def _period_ranges(
    keys: Iterable[AlertKey],
) -> tuple[list[str], list[str], list[str], list[date], list[date]]:
    """The keys as one range of periods per rule and series: (rules, zones, indicators, firsts, lasts)."""
    ranges: dict[tuple[str, str, str], tuple[date, date]] = {}
    for key in keys:
        series = (key.rule.value, key.zone, key.indicator)
        known = ranges.get(series)
        ranges[series] = (
            (key.period, key.period) if known is None else (min(known[0], key.period), max(known[1], key.period))
        )
    return (
        [rule for rule, _, _ in ranges],
        [zone for _, zone, _ in ranges],
        [code for _, _, code in ranges],
        [first for first, _ in ranges.values()],
        [last for _, last in ranges.values()],
    )


def _event_row(transition: AlertTransition) -> tuple[object, ...]:
    key = transition.key
    return (
        key.rule.value,
        key.zone,
        key.indicator,
        key.period,
        transition.version,
        transition.transition.value,
        transition.severity.value,
        transition.message,
        Jsonb(transition.figures),
        transition.occurred_at,
    )


class AlertStore:
    def __init__(self, pool: AsyncConnectionPool, catalog: Catalog, rules: RulesConfig, enqueue: Enqueue):
        self.pool = pool
        self.catalog = catalog
        self.rules = rules
        self.enqueue = enqueue
        self.parts: dict[str, list[Indicator]] = defaultdict(list)
        for indicator in catalog.indicators.values():
            if indicator.part_of is not None:
                self.parts[indicator.part_of].append(indicator)

    # ------------------------------------------------------------ results

    async def evaluate_results(self, touched: Iterable[Touched], today: date | None = None) -> list[AlertTransition]:
        """Judge every rule the changed months affect, in one transaction; the transitions it recorded.

        A figure derived from a zone's project list changes when a project does: with `today` (the evaluator's
        calendar day), the zone's projects are judged for stage_overdue too, in a transaction of their own.
        """
        touched = list(touched)
        listed = {
            item.zone
            for item in touched
            if (indicator := self.catalog.get(item.indicator)) is not None and indicator.derived_from == "projects"
        }
        transitions = await self._evaluate_results(touched)
        if today is not None and listed:
            transitions += await self.check_stage_overdue(today, listed)
        return transitions

    async def _evaluate_results(self, touched: Iterable[Touched]) -> list[AlertTransition]:
        months: dict[tuple[str, str, int], set[int]] = defaultdict(set)
        for item in touched:
            if self.catalog.get(item.indicator) is None:
                log.warning("result for unknown indicator %r (zone %r) ignored", item.indicator, item.zone)
                continue
            months[(item.zone, item.indicator, item.year)].add(item.month)
        if not months:
            return []
        async with self.pool.connection() as conn, conn.transaction():
            await self._lock_zones(conn, {zone for zone, _, _ in months})
            rows = await self._read_progress(conn, self._ranges(months))
            findings = self._judge_results(months, rows)
            for finding in await self._late_resolutions(conn, months, rows):
                findings[finding.key] = finding
            return await self._apply(conn, findings)

    def _ranges(self, months: dict[tuple[str, str, int], set[int]]) -> dict[tuple[str, str], tuple[int, int]]:
        """Which years of which series the judgement reads: the year and, for the swing's history, the one before;
        the same year of the indicator's whole and parts (part ≤ whole)."""
        ranges: dict[tuple[str, str], tuple[int, int]] = {}

        def need(zone: str, code: str, first: int, last: int) -> None:
            known = ranges.get((zone, code))
            ranges[(zone, code)] = (first, last) if known is None else (min(known[0], first), max(known[1], last))

        for zone, code, year in months:
            need(zone, code, year - 1 - self._swing_years_back(code), year)
            indicator = self.catalog.indicators[code]
            if indicator.part_of is not None:
                need(zone, indicator.part_of, year, year)
            for part in self.parts.get(code, []):
                need(zone, part.code, year, year)
        return ranges

    def _swing_years_back(self, code: str) -> int:
        """Extra years of history beyond last year when the swing window is longer than 12 months."""
        window = self.rules.for_indicator(code).sharp_swing.window_months
        return max(0, (window - 1) // 12)

    def _judge_results(
        self,
        months: dict[tuple[str, str, int], set[int]],
        rows: dict[tuple[str, str], dict[tuple[int, int], MonthProgress]],
    ) -> dict[AlertKey, R.Finding | None]:
        findings: dict[AlertKey, R.Finding | None] = {}
        by_year = _by_year(rows)
        swing_values: dict[tuple[str, str], tuple[list[int], list[Decimal]]] = {}  # by series, for all its years
        for (zone, code, year), changed in sorted(months.items()):
            indicator = self.catalog.indicators[code]
            ruleset = self.rules.for_indicator(code)
            series = rows.get((zone, code), {})
            year_rows = by_year.get((zone, code), {}).get(year, {})
            if year_rows:
                # The year-to-date rules judge the latest month of the year, whichever month changed.
                latest = year_rows[max(year_rows)]
                if ruleset.behind_schedule.enabled:
                    self._put(findings, R.behind_schedule(zone, indicator, latest, ruleset.behind_schedule))
                if ruleset.negative_growth.enabled:
                    # The growth target comes with the figures: the processor read it from growth_targets.
                    target = latest.growth_target_pct
                    self._put(findings, R.negative_growth(zone, indicator, latest, ruleset.negative_growth, target))
            if ruleset.sharp_swing.enabled and (zone, code) not in swing_values:
                swing_values[(zone, code)] = _swing_values(indicator, series)
            for month in sorted(changed):
                if month not in year_rows:
                    continue
                if ruleset.sharp_swing.enabled:
                    self._put(findings, self._swing(zone, indicator, year, month, swing_values[(zone, code)]))
                if ruleset.implausible.enabled:
                    self._put(findings, self._implausible(zone, indicator, year, month, rows))
                for part in self.parts.get(code, []):
                    if self.rules.for_indicator(part.code).implausible.enabled:
                        self._put(findings, self._implausible(zone, part, year, month, rows))
        return findings

    @staticmethod
    def _put(findings: dict[AlertKey, R.Finding | None], finding: R.Finding | None) -> None:
        if finding is not None:
            findings[finding.key] = finding

    def _swing(
        self, zone: str, indicator: Indicator, year: int, month: int, values: tuple[list[int], list[Decimal]]
    ) -> R.Finding | None:
        """`values`: the series' month numbers and values in order (_swing_values)."""
        if not indicator.january and month == 2:
            return None  # 1-2月 of a series without a January report: two months in one value
        config = self.rules.for_indicator(indicator.code).sharp_swing
        numbers, month_values = values
        position = month_number(year, month)
        start, end = months_before(numbers, position, config.window_months)
        this_month = month_values[end] if end < len(numbers) and numbers[end] == position else None
        history = month_values[start:end]
        return R.sharp_swing(zone, indicator, year, month, this_month, history, config)

    def _implausible(
        self,
        zone: str,
        indicator: Indicator,
        year: int,
        month: int,
        rows: dict[tuple[str, str], dict[tuple[int, int], MonthProgress]],
    ) -> R.Finding | None:
        series = rows.get((zone, indicator.code), {})
        row = series.get((year, month))
        if row is None:
            return None
        previous = None  # the latest earlier month of the year with a figure: (month, ytd)
        for m in range(month - 1, 0, -1):
            earlier = series.get((year, m))
            if earlier is not None and earlier.ytd_value is not None:
                previous = (m, earlier.ytd_value)
                break
        whole = None
        if indicator.part_of is not None:
            whole_row = rows.get((zone, indicator.part_of), {}).get((year, month))
            if whole_row is not None:
                whole = R.Whole(self.catalog.indicators[indicator.part_of], whole_row.ytd_value)
        config = self.rules.for_indicator(indicator.code).implausible
        growth = None
        if row.yoy_source == "computed" and row.reported_yoy_pct is not None:
            assert row.yoy_pct is not None  # noqa: S101
            growth = R.Growth(row.yoy_pct, row.reported_yoy_pct)
        return R.implausible(zone, indicator, year, month, row.ytd_value, previous, whole, config, growth)

    async def _late_resolutions(
        self,
        conn: psycopg.AsyncConnection,
        months: dict[tuple[str, str, int], set[int]],
        rows: dict[tuple[str, str], dict[tuple[int, int], MonthProgress]],
    ) -> list[R.Finding]:
        """A report arrived: late-report alerts of that year it covers resolve."""
        keys = sorted(months)
        async with conn.cursor() as cur:
            await cur.execute(SELECT_FIRING_LATE, ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]))
            firing = await cur.fetchall()
        findings = []
        for zone, code, period in firing:
            indicator = self.catalog.get(code)
            if indicator is None:
                continue
            reported = set(rows.get((zone, code), {}))
            config = self.rules.for_indicator(code).late_report
            finding = R.late_report(zone, indicator, period.year, period.month, reported, config)
            if finding is not None:
                findings.append(finding)
        return findings

    # ------------------------------------------------------------ late reports (the clock)

    async def check_late_reports(self, today: date) -> list[AlertTransition]:
        """Judge, as of `today`, every series that reported in the last 13 months: is last month late?"""
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        due = date(year, month, 1)
        window_start = date(year - 1, month, 1)
        async with self.pool.connection() as conn, conn.transaction():
            async with conn.cursor() as cur:
                await cur.execute(SELECT_REPORTING_ZONES, (window_start, due))
                zones = sorted(zone for (zone,) in await cur.fetchall())
            if not zones:
                return []
            await self._lock_zones(conn, set(zones))
            async with conn.cursor() as cur:
                await cur.execute(
                    SELECT_REPORTED_MONTHS, (zones, date(year - 1, 1, 1), date(year + 1, 1, 1), window_start)
                )
                series = await cur.fetchall()
            findings: dict[AlertKey, R.Finding | None] = {}
            for zone, code, periods in series:
                indicator = self.catalog.get(code)
                if indicator is None:
                    continue
                config = self.rules.for_indicator(code).late_report
                if not config.enabled or today.day < config.due_day:
                    continue
                reported = {(p.year, p.month) for p in periods}
                self._put(findings, R.late_report(zone, indicator, year, month, reported, config, checked_on=today))
            return await self._apply(conn, findings)

    # ------------------------------------------------------------ overdue stages (the list and the clock)

    async def check_stage_overdue(self, today: date, zones: Iterable[str] | None = None) -> list[AlertTransition]:
        """项目节点逾期 as of `today`, for the projects of `zones` (None: every zone): one alert per project and
        stage, fired when a stage is overdue, its message kept current (the days overdue), escalated past
        critical_after_days, resolved when the stage has its date or is no longer overdue."""
        config = self.rules.defaults.stage_overdue
        if not config.enabled:
            return []
        asked = None if zones is None else sorted(set(zones))
        params = {"all": asked is None, "zones": asked or []}
        async with self.pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(SELECT_PROJECTS, params)
            projects = [project_from_record(row) for row in await cursor.fetchall()]
            await cursor.execute(SELECT_FIRING_STAGES, params)
            firing = await cursor.fetchall()
            judged = {p.zone for p in projects} | {row["zone"] for row in firing}
            if not judged:
                return []
            await self._lock_zones(conn, judged)
            findings = self._stage_findings(projects, firing, today)
            return await self._apply(conn, findings)

    def _stage_findings(
        self, projects: Sequence[Project], firing: Sequence[dict[str, Any]], today: date
    ) -> dict[AlertKey, R.Finding | None]:
        config = self.rules.defaults.stage_overdue
        deadlines = load_deadlines()
        findings: dict[AlertKey, R.Finding | None] = {}
        for project in projects:
            for overdue in project_status(project, deadlines, today).overdue:
                self._put(findings, R.stage_overdue(project, overdue, config))
        by_id = {project.id: project for project in projects}
        for row in firing:
            key = AlertKey(Rule.STAGE_OVERDUE, row["zone"], row["indicator"], row["period"])
            if key not in findings:
                figures = dict(row["figures"] or {})
                current = by_id.get(figures.get("project_id", ""))
                findings[key] = R.stage_no_longer_overdue(key, figures, current, config)
        return findings

    # ------------------------------------------------------------ shared

    async def _lock_zones(self, conn: psycopg.AsyncConnection, zones: set[str]) -> None:
        async with conn.cursor() as cur:
            await cur.execute(LOCK_ZONES, (sorted(zones),))

    async def _read_progress(
        self, conn: psycopg.AsyncConnection, ranges: dict[tuple[str, str], tuple[int, int]]
    ) -> dict[tuple[str, str], dict[tuple[int, int], MonthProgress]]:
        keys = sorted(ranges)
        rows: dict[tuple[str, str], dict[tuple[int, int], MonthProgress]] = defaultdict(dict)
        async with conn.cursor() as cur:
            await cur.execute(
                SELECT_PROGRESS,
                (
                    [k[0] for k in keys],
                    [k[1] for k in keys],
                    [ranges[k][0] for k in keys],
                    [ranges[k][1] for k in keys],
                ),
            )
            for record in await cur.fetchall():
                zone, code, year, month = record[:4]
                rows[(zone, code)][(year, month)] = MonthProgress(year, month, *record[4:])
        return rows

    async def _read_alerts(
        self, conn: psycopg.AsyncConnection, keys: Sequence[AlertKey]
    ) -> dict[AlertKey, StoredAlert]:
        stored: dict[AlertKey, StoredAlert] = {}
        wanted = set(keys)
        async with conn.cursor() as cur:
            await cur.execute(SELECT_ALERTS, _period_ranges(keys))
            for (
                rule,
                zone,
                code,
                period,
                state,
                severity,
                version,
                message,
                figures,
                fired,
                updated,
                resolved,
            ) in await cur.fetchall():
                key = AlertKey(Rule(rule), zone, code, period)
                if key not in wanted:
                    continue
                stored[key] = StoredAlert(
                    key, State(state), Severity(severity), version, message, dict(figures), fired, updated, resolved
                )
        return stored

    async def _apply(
        self, conn: psycopg.AsyncConnection, findings: dict[AlertKey, R.Finding | None]
    ) -> list[AlertTransition]:
        """The lifecycle for every finding; write what changed, record and queue the transitions."""
        judged = {key: finding for key, finding in findings.items() if finding is not None}
        if not judged:
            return []
        stored = await self._read_alerts(conn, list(judged))
        # A condition that is off, where no alert is firing, changes nothing (lifecycle.decide): most months of a
        # backfill. Only the others are named, decided and written, in a stable order.
        keys = sorted(
            (
                key
                for key, finding in judged.items()
                if finding.active or (key in stored and stored[key].state is State.FIRING)
            ),
            key=_sort_key,
        )
        if not keys:
            return []
        names = await zone_names(conn, {key.zone for key in keys})
        now = datetime.now(UTC)
        alert_rows = []
        transitions: list[AlertTransition] = []
        for key in keys:
            outcome = decide(stored.get(key), named(judged[key], names), now)
            if outcome.alert is not None:
                a = outcome.alert
                alert_rows.append(
                    (
                        key.rule.value,
                        key.zone,
                        key.indicator,
                        key.period,
                        a.state.value,
                        a.severity.value,
                        a.version,
                        a.message,
                        Jsonb(a.figures),
                        a.fired_at,
                        a.updated_at,
                        a.resolved_at,
                    )
                )
            if outcome.transition is not None:
                transitions.append(outcome.transition)
        async with conn.cursor() as cur:
            if alert_rows:
                await cur.executemany(UPSERT_ALERT, alert_rows)
            if transitions:
                await cur.executemany(INSERT_EVENT, [_event_row(t) for t in transitions])
        if transitions:
            # After the alert_events rows: the deliveries' items reference them.
            await self.enqueue(conn, transitions)
        return transitions

    # ------------------------------------------------------------ metrics and publishing

    async def firing_counts(self) -> dict[tuple[str, str], int]:
        async with self.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(SELECT_FIRING_COUNTS)
            return {(rule, severity): count for rule, severity, count in await cur.fetchall()}

    async def mark_published(self, transitions: Sequence[AlertTransition]) -> None:
        if not transitions:
            return
        async with self.pool.connection() as conn, conn.cursor() as cur:
            keys = [t.key for t in transitions]
            await cur.execute(MARK_PUBLISHED, (*_key_columns(keys), [t.version for t in transitions]))

    async def republish_stale(
        self, older_than_s: float, publish: Callable[[list[AlertTransition]], Awaitable[None]], limit: int = 500
    ) -> int:
        """Publish events committed more than `older_than_s` ago and never published (a crash came between)."""
        async with self.pool.connection() as conn, conn.transaction():
            async with conn.cursor() as cur:
                await cur.execute(SELECT_UNPUBLISHED, (older_than_s, limit))
                records = await cur.fetchall()
            if not records:
                return 0
            stale = [
                AlertTransition(
                    AlertKey(Rule(rule), zone, code, period),
                    version,
                    Transition(transition),
                    Severity(severity),
                    message,
                    dict(figures),
                    occurred_at,
                )
                for rule, zone, code, period, version, transition, severity, message, figures, occurred_at in records
            ]
            await publish(stale)
            async with conn.cursor() as cur:
                await cur.execute(MARK_PUBLISHED, (*_key_columns([t.key for t in stale]), [t.version for t in stale]))
            return len(stale)


def _sort_key(key: AlertKey) -> tuple[str, str, str, date]:
    return (key.zone, key.indicator, key.rule.value, key.period)
