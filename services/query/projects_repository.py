"""The query service's reads of the project list (`projects`, `project_versions`, `project_investment`, kept by the
processor): read-only, timed like every query (query.repository.timed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from indicators_core.progress import Basis
from indicators_core.projects import InvestmentReport, Project, project_from_record
from query.repository import timed

SELECT_PROJECTS = """
SELECT p.*, (SELECT z.name_zh FROM zones z WHERE z.code = p.zone) AS zone_name
FROM projects p WHERE TRUE {conditions}
ORDER BY p.zone COLLATE "C", p.id COLLATE "C"
"""
SELECT_INVESTMENT = """
SELECT project_id, year, month, basis, value FROM project_investment WHERE project_id = ANY(%(ids)s::text[])
ORDER BY project_id, year, month
"""
# Oldest first, in the order the processor decides which version is current.
SELECT_VERSIONS = """
SELECT name, zone, tier, industry, total_investment, reported_total_investment, reported_unit, stages, planned,
       annual_plan_investment, completed_investment, source, batch_id::text AS batch_id, row_index, reported_at
FROM project_versions WHERE id = %(id)s ORDER BY reported_at, batch_id::text, row_index
"""


async def read_projects(
    pool: AsyncConnectionPool,
    zones: Sequence[str] | None = None,
    tiers: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> list[tuple[Project, dict[str, Any]]]:
    """The current projects (with their completed investment) and each one's stored row (zone_name, source, …)."""
    params: dict[str, Any] = {}
    conditions = []
    for column, values in (("zone", zones), ("tier", tiers), ("id", ids)):
        if values is not None:
            params[column] = list(values)
            conditions.append(f"AND p.{column} = ANY(%({column})s::text[])")
    statement = SELECT_PROJECTS.format(conditions=" ".join(conditions))
    async with pool.connection() as conn, timed("projects"):
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(statement, params)  # type: ignore[arg-type]
        rows = await cursor.fetchall()
        investment: dict[str, list[InvestmentReport]] = defaultdict(list)
        if rows:
            await cursor.execute(SELECT_INVESTMENT, {"ids": [row["id"] for row in rows]})
            for found in await cursor.fetchall():
                investment[found["project_id"]].append(
                    InvestmentReport(found["year"], found["month"], Basis(found["basis"]), found["value"])
                )
    return [(project_from_record(row, investment[row["id"]]), row) for row in rows]


async def read_versions(pool: AsyncConnectionPool, project_id: str) -> list[dict[str, Any]]:
    async with pool.connection() as conn, timed("project_versions"):
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(SELECT_VERSIONS, {"id": project_id})
        return await cursor.fetchall()
