"""The processor's side of the project list: store project reports, and read a zone's projects back as the figures'
input (indicators_core.projects derives them; processor.store recomputes them with every other series).

A later report of an id replaces the project by (reported_at, batch_id, row_index), so the order the processor sees
them in does not matter; every version is kept in project_versions as sent. A month of completed investment
replaces that month by the same order; months a version does not carry are kept.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from psycopg import AsyncConnection

from indicators_core import events
from indicators_core.events import from_timestamp
from indicators_core.progress import Basis
from indicators_core.projects import (
    DERIVED_CODES,
    MAJOR_PROJECT_INVESTMENT,
    STAGES,
    InvestmentReport,
    Project,
    project_from_record,
    project_years,
)

# The series key project reports travel under (reports topic): "<zone>|projects", one partition per zone's list.
PROJECTS_KEY = "projects"
# What a project's change recomputes in its zone: every derived figure, and the completed investment's sum.
PROJECT_SERIES = (*DERIVED_CODES, MAJOR_PROJECT_INVESTMENT)

STAGE_COLUMNS = [f"{stage}_on" for stage in STAGES]
PLANNED_COLUMNS = [f"planned_{stage}_on" for stage in STAGES]
_COLUMNS = [
    "id",
    "zone",
    "name",
    "tier",
    "industry",
    "total_investment",
    "reported_total_investment",
    "reported_unit",
    *STAGE_COLUMNS,
    *PLANNED_COLUMNS,
    "annual_plan_investment",
    "source",
    "batch_id",
    "row_index",
    "reported_at",
]
_UPDATES = ", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS[1:])
UPSERT_PROJECT = f"""
INSERT INTO projects AS p ({", ".join(_COLUMNS)})
VALUES ({", ".join(["%s"] * len(_COLUMNS))})
ON CONFLICT (id) DO UPDATE SET {_UPDATES}, stored_at = now()
WHERE (p.reported_at, p.batch_id::text, p.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""  # noqa: S608  (the columns are this module's constants)

INSERT_PROJECT_VERSION = """
INSERT INTO project_versions (id, zone, name, tier, industry, total_investment, reported_total_investment,
                              reported_unit, stages, planned, annual_plan_investment, completed_investment, source,
                              batch_id, row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::jsonb, %s::jsonb, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""

UPSERT_INVESTMENT = """
INSERT INTO project_investment AS i (project_id, year, month, basis, value, reported_value, reported_unit, source,
                                     batch_id, row_index, reported_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (project_id, year, month) DO UPDATE SET
    basis = EXCLUDED.basis, value = EXCLUDED.value, reported_value = EXCLUDED.reported_value,
    reported_unit = EXCLUDED.reported_unit, source = EXCLUDED.source, batch_id = EXCLUDED.batch_id,
    row_index = EXCLUDED.row_index, reported_at = EXCLUDED.reported_at, stored_at = now()
WHERE (i.reported_at, i.batch_id::text, i.row_index) < (EXCLUDED.reported_at, EXCLUDED.batch_id::text, EXCLUDED.row_index)
"""

_SELECTED = [*_COLUMNS[:8], *STAGE_COLUMNS, *PLANNED_COLUMNS, "annual_plan_investment", "reported_at"]
_SELECT = f"SELECT {', '.join(_SELECTED)} FROM projects"  # noqa: S608
SELECT_PROJECTS_OF_IDS = f"{_SELECT} WHERE id = ANY(%s::text[])"
SELECT_PROJECTS_OF_ZONES = f"{_SELECT} WHERE zone = ANY(%s::text[])"
SELECT_INVESTMENT = """
SELECT project_id, year, month, basis, value FROM project_investment WHERE project_id = ANY(%s::text[])
"""


def project_of_row(row: Sequence[object], investment: Sequence[InvestmentReport] = ()) -> Project:
    """A stored row of _SELECT (and its investment months) as the pure model."""
    return project_from_record(dict(zip(_SELECTED, row, strict=True)), investment)


def project_of_event(report: events.Report) -> Project:
    project = report.project
    return Project(
        id=project.id,
        zone=project.zone,
        name=project.name,
        tier=project.tier or None,
        industry=project.industry or None,
        total_investment=Decimal(project.total_investment),
        stages={stage: date.fromisoformat(day) for stage, day in project.stages.items()},
        planned={stage: date.fromisoformat(day) for stage, day in project.planned.items()},
        annual_plan_investment={year: Decimal(value) for year, value in project.annual_plan_investment.items()},
        completed_investment=tuple(
            InvestmentReport(
                m.year, m.month, Basis.YTD if m.basis == events.BASIS_YTD else Basis.MONTH, Decimal(m.value)
            )
            for m in project.completed_investment
        ),
    )


def _project_params(report: events.Report) -> tuple[object, ...]:
    project = report.project
    return (
        project.id,
        project.zone,
        project.name,
        project.tier or None,
        project.industry or None,
        Decimal(project.total_investment),
        Decimal(project.reported_total_investment),
        project.reported_unit,
        *(project.stages.get(stage) or None for stage in STAGES),
        *(project.planned.get(stage) or None for stage in STAGES),
        json.dumps({str(year): value for year, value in sorted(project.annual_plan_investment.items())}),
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
    )


def _version_params(report: events.Report) -> tuple[object, ...]:
    project = report.project
    months = [
        {
            "period": f"{m.year:04d}-{m.month:02d}",
            "basis": "ytd" if m.basis == events.BASIS_YTD else "month",
            "value": m.value,
            "reported_value": m.reported_value,
            "reported_unit": m.reported_unit,
        }
        for m in project.completed_investment
    ]
    return (
        project.id,
        project.zone,
        project.name,
        project.tier or None,
        project.industry or None,
        Decimal(project.total_investment),
        Decimal(project.reported_total_investment),
        project.reported_unit,
        json.dumps({stage: project.stages[stage] for stage in STAGES if stage in project.stages}),
        json.dumps({stage: project.planned[stage] for stage in STAGES if stage in project.planned}),
        json.dumps({str(year): value for year, value in sorted(project.annual_plan_investment.items())}),
        json.dumps(months, ensure_ascii=False),
        report.source,
        report.batch_id,
        report.row_index,
        from_timestamp(report.reported_at),
    )


def _investment_params(report: events.Report) -> list[tuple[object, ...]]:
    project = report.project
    return [
        (
            project.id,
            m.year,
            m.month,
            "ytd" if m.basis == events.BASIS_YTD else "month",
            Decimal(m.value),
            Decimal(m.reported_value),
            m.reported_unit,
            report.source,
            report.batch_id,
            report.row_index,
            from_timestamp(report.reported_at),
        )
        for m in project.completed_investment
    ]


async def stored_projects(conn: AsyncConnection, ids: Sequence[str]) -> list[Project]:
    """The current versions of these ids, before a chunk replaces them (their zones and years change too)."""
    async with conn.cursor() as cur:
        await cur.execute(SELECT_PROJECTS_OF_IDS, (list(ids),))
        return [project_of_row(row) for row in await cur.fetchall()]


async def store_projects(conn: AsyncConnection, reports: Sequence[events.Report]) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(UPSERT_PROJECT, [_project_params(r) for r in reports])
        await cur.executemany(INSERT_PROJECT_VERSION, [_version_params(r) for r in reports])
        months = [params for r in reports for params in _investment_params(r)]
        if months:
            await cur.executemany(UPSERT_INVESTMENT, months)


async def projects_of_zones(conn: AsyncConnection, zones: Iterable[str]) -> dict[str, list[Project]]:
    """Every current project of these zones, with its completed investment: the input of the derived figures."""
    async with conn.cursor() as cur:
        await cur.execute(SELECT_PROJECTS_OF_ZONES, (sorted(set(zones)),))
        rows = await cur.fetchall()
        investment: dict[str, list[InvestmentReport]] = defaultdict(list)
        if rows:
            await cur.execute(SELECT_INVESTMENT, ([row[0] for row in rows],))
            for project_id, year, month, basis, value in await cur.fetchall():
                investment[project_id].append(InvestmentReport(year, month, Basis(basis), value))
    by_zone: dict[str, list[Project]] = defaultdict(list)
    for row in rows:
        by_zone[str(row[1])].append(project_of_row(row, investment[str(row[0])]))
    return by_zone


def changed_zone_years(new: Sequence[Project], old: Sequence[Project]) -> dict[str, set[int]]:
    """The zones and years whose figures a chunk of projects changes: every year the new and the replaced versions
    enter, in the zone of each (a project moved to another zone changes both)."""
    years: dict[str, set[int]] = defaultdict(set)
    for project in [*new, *old]:
        years[project.zone].update(project_years(project))
    return dict(years)
