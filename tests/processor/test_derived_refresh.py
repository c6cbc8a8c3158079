"""A month that begins gives the project list's figures to it, though no project changed (ProgressStore.refresh_derived).

Against a real PostgreSQL, with the store's clock frozen: projects stored in July (1-7月 computed), then the clock
moves to August 1st and the refresh writes 1-8月 — the counts carried over and the rates of the new month.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from indicators_core.catalog import load_catalog
from ingest.projects import validate_projects
from ingest.publisher import build_batch
from processor.store import ProgressStore

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
ZONE = "月初刷新区"


def project(pid: str, signed: str, planned_start: str) -> dict:
    return {
        "id": pid,
        "zone": ZONE,
        "name": f"{pid}项目",
        "total_investment": 2,
        "unit": "亿元",
        "stages": {"meeting": signed, "signed": signed},
        "planned": {"start": planned_start},
    }


async def test_the_first_day_of_a_month_gives_it_the_lists_figures(database: str):
    rows = validate_projects(
        {"projects": [project("p1", "2026-02-03", "2026-07-20"), project("p2", "2026-06-10", "2026-08-15")]},
        date(2026, 7, 20),
        100,
    )
    reports = list(build_batch(rows, "refresh-test", datetime(2026, 7, 20, 2, 0, tzinfo=UTC)).reports)
    clock = {"today": date(2026, 7, 20)}
    async with AsyncConnectionPool(database, min_size=1, max_size=2, open=False) as pool:
        await pool.wait(timeout=30)
        store = ProgressStore(pool, load_catalog(), today=lambda: clock["today"])
        await store.apply(reports)

        def months(indicator: str) -> dict[int, Decimal]:
            with psycopg.connect(database) as conn:
                found = conn.execute(
                    "SELECT month, ytd_value FROM progress WHERE zone = %s AND indicator = %s AND year = 2026",
                    (ZONE, indicator),
                ).fetchall()
            return dict(found)

        assert max(months("projects_signed")) == 7  # 1-7月: August has not begun
        clock["today"] = date(2026, 8, 1)
        results = await store.refresh_derived(2026)
        assert {r.indicator for r in results} >= {"projects_signed", "project_start_rate_pct"}
        signed = months("projects_signed")
        assert (max(signed), signed[7], signed[8]) == (8, Decimal(2), Decimal(2))  # both signed by July, still 2
        # 开工率 of 1-8月: p1 (planned 7-20) and p2 (planned 8-15) are due, neither started: 0 of 2.
        assert months("project_start_rate_pct")[8] == Decimal(0)
        assert await store.refresh_derived(2025) == []  # no project has a date in 2025
