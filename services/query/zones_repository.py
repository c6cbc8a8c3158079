"""The query service's reads of the zone registry (`zones`, kept by the processor) and of the figures that
rankings and roll-ups compare: read-only, timed like every query (query.repository.timed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from query.repository import timed

SELECT_ZONES = (
    'SELECT code, name_zh, level, kind, parent, groups, source, reported_at FROM zones ORDER BY code COLLATE "C"'
)
# One indicator's figures of one year, for the zones asked (or every zone): a ranking needs the month shown and
# the month before it with data, a roll-up the children's figures; the months with data come from the same rows.
SELECT_FIGURES = """
SELECT zone, month, ytd_value, ytd_last_year, yoy_pct, completion_pct
FROM progress WHERE indicator = %(indicator)s AND year = %(year)s {zones}
"""
SELECT_LATEST_YEAR = "SELECT max(year) FROM progress WHERE indicator = %(indicator)s {zones}"


@dataclass(frozen=True)
class RegisteredZone:
    code: str
    name_zh: str
    level: str
    kind: str
    parent: str | None
    groups: tuple[str, ...]
    source: str
    reported_at: datetime


class ZoneRegistry:
    """The registry as read at one moment: names, parents, groups, and the chain of parents of each zone."""

    def __init__(self, zones: Sequence[RegisteredZone]):
        self.zones = {zone.code: zone for zone in zones}

    def name(self, code: str) -> str | None:
        zone = self.zones.get(code)
        return zone.name_zh if zone else None

    def parents(self, code: str) -> list[RegisteredZone]:
        """The chain of parents, nearest first (ingest refuses loops; a loop found anyway stops the chain)."""
        chain: list[RegisteredZone] = []
        seen = {code}
        current = self.zones.get(code)
        while current is not None and current.parent is not None and current.parent not in seen:
            seen.add(current.parent)
            current = self.zones.get(current.parent)
            if current is not None:
                chain.append(current)
        return chain

    def children(self, code: str) -> list[str]:
        return sorted(zone.code for zone in self.zones.values() if zone.parent == code)

    def members(self, group: str) -> list[str]:
        return sorted(zone.code for zone in self.zones.values() if group in zone.groups)

    def groups(self) -> list[str]:
        return sorted({group for zone in self.zones.values() for group in zone.groups})


async def read_registry(pool: AsyncConnectionPool) -> ZoneRegistry:
    async with pool.connection() as conn, timed("zones"):
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(SELECT_ZONES)
        rows = await cursor.fetchall()
    return ZoneRegistry(
        [
            RegisteredZone(
                row["code"],
                row["name_zh"],
                row["level"],
                row["kind"],
                row["parent"],
                tuple(row["groups"] or ()),
                row["source"],
                row["reported_at"],
            )
            for row in rows
        ]
    )


def _zones_condition(zones: Sequence[str] | None, params: dict[str, Any]) -> str:
    if zones is None:
        return ""
    params["zones"] = list(zones)
    return "AND zone = ANY(%(zones)s::text[])"


async def latest_year(pool: AsyncConnectionPool, indicator: str, zones: Sequence[str] | None) -> int | None:
    params: dict[str, Any] = {"indicator": indicator}
    statement = SELECT_LATEST_YEAR.format(zones=_zones_condition(zones, params))
    async with pool.connection() as conn, timed("latest_year"):
        row = await (await conn.execute(statement, params)).fetchone()  # type: ignore[arg-type]
    return None if row is None or row[0] is None else int(row[0])


async def year_figures(
    pool: AsyncConnectionPool, indicator: str, year: int, zones: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Every progress row of one indicator and year for the zones (None: every zone)."""
    params: dict[str, Any] = {"indicator": indicator, "year": year}
    statement = SELECT_FIGURES.format(zones=_zones_condition(zones, params))
    async with pool.connection() as conn, timed("figures"):
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(statement, params)  # type: ignore[arg-type]
        return await cursor.fetchall()
