"""The processor's write path and the query service's read path on TimescaleDB (PGlite).

The seed went through ingest's validation and unit conversion, one ReportBatch per body, and the
processor's ProgressStore.apply (upserts into the hypertables, recomputation, progress upsert), in
three transactions; the revision came a day later. ProgressRepository reads it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from indicators_core.progress import round_half_up
from query.repository import ProgressRepository
from query.wording import judge
from tests.timescale.seed import STORE_ZONES, ZONE_A, ZONE_B, ZONE_C
from tests.timescale.storing import store_reports

pytestmark = pytest.mark.integration

D = Decimal
T = TypeVar("T")
FIGURES = ("ytd_value", "target_value", "completion_pct", "time_progress_pct", "progress_gap_pp", "on_track", "yoy_pct")


def read(url: str, action: Callable[[ProgressRepository], Awaitable[T]]) -> T:
    async def run() -> T:
        async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
            await pool.wait(timeout=30)
            return await action(ProgressRepository(pool))

    return asyncio.run(run())


def figures(row: dict[str, Any]) -> tuple:
    return (row["zone"], row["indicator"], *(row[name] for name in FIGURES))


def test_may_progress_reads_back_exactly_lagging_first(seeded):
    rows = read(seeded, lambda repo: repo.progress(2023, 5, list(STORE_ZONES), None))
    tp = D("41.666666666667")
    assert [figures(row) for row in rows] == [
        (ZONE_B, "industrial_output", D("300"), D("800"), D("37.5"), tp, D("-4.166666666667"), False, D("-6.25")),
        (ZONE_A, "signed_projects", D("20"), D("53"), D("37.735849056604"), tp, D("-3.930817610063"), False, D("25")),
        (ZONE_A, "industrial_output", D("472.5"), D("1050"), D("45"), tp, D("3.333333333333"), True, D("12.5")),
        (ZONE_B, "signed_projects", D("18"), D("40"), D("45"), tp, D("3.333333333333"), True, D("0")),
        (ZONE_C, "fixed_asset_investment", D("45"), D("100"), D("45"), tp, D("3.333333333333"), True, None),
        (ZONE_C, "industrial_output", D("250"), D("600"), tp, tp, D("0"), True, D("25")),
    ]


def test_figures_as_the_query_service_words_them(seeded):
    rows = read(seeded, lambda repo: repo.progress(2023, 5, [ZONE_A, ZONE_B, ZONE_C], ["industrial_output"]))
    shown = {
        row["zone"]: (
            round_half_up(row["completion_pct"], 1),
            round_half_up(row["time_progress_pct"], 1),
            round_half_up(row["yoy_pct"], 1),
            judge(row["on_track"], row["progress_gap_pp"], row["target_value"] is not None)[1],
        )
        for row in rows
    }
    assert shown == {
        ZONE_A: (D("45.0"), D("41.7"), D("12.5"), "超序时进度3.3个百分点"),
        ZONE_B: (D("37.5"), D("41.7"), D("-6.3"), "落后序时进度4.2个百分点"),
        ZONE_C: (D("41.7"), D("41.7"), D("25.0"), "达序时进度"),
    }


def test_month_values_and_last_year_follow_from_the_cumulative_figures(seeded):
    rows = read(seeded, lambda repo: repo.series(ZONE_A, "industrial_output", None, None))
    assert [
        (row["period"], row["ytd_value"], row["month_value"], row["ytd_last_year"], row["month_last_year"])
        for row in rows
    ] == [
        (date(2022, 4, 1), D("350"), None, None, None),  # no March: April alone is unknown, not zero
        (date(2022, 5, 1), D("420"), D("70"), None, None),  # 4200000万元 arrived as 420亿元
        (date(2023, 4, 1), D("380"), None, D("350"), None),
        (date(2023, 5, 1), D("472.5"), D("92.5"), D("420"), D("70")),
    ]
    fai = read(seeded, lambda repo: repo.series(ZONE_C, "fixed_asset_investment", date(2023, 1, 1), date(2023, 12, 1)))
    # 1-2月 stands alone for an indicator without a January report; May alone needs April.
    assert [(row["month"], row["ytd_value"], row["month_value"]) for row in fai] == [
        (2, D("12"), D("12")),
        (5, D("45"), None),
    ]


def test_latest_period_is_may_2023(seeded):
    assert read(seeded, lambda repo: repo.latest_period(list(STORE_ZONES), None)) == (2023, 5)
    assert read(seeded, lambda repo: repo.latest_period([ZONE_A], None, 2022)) == (2022, 5)


def test_the_revision_replaced_the_figure_and_both_reports_are_kept(seeded):
    with psycopg.connect(seeded, autocommit=True) as conn:
        kept = conn.execute(
            "SELECT value, reported_at FROM observation_revisions WHERE zone = %s AND indicator = 'industrial_output' "
            "AND period = '2023-05-01' ORDER BY reported_at",
            (ZONE_B,),
        ).fetchall()
        (current,) = conn.execute(
            "SELECT value FROM observations WHERE zone = %s AND indicator = 'industrial_output' "
            "AND period = '2023-05-01'",
            (ZONE_B,),
        ).fetchone()
    assert [value for value, _ in kept] == [D("290"), D("300")]
    assert current == D("300")


def test_replaying_the_first_batches_changes_no_figure(seeded, seed_reports):
    """Kafka redelivers after a crash: the store recomputes from stored reports, and the older report
    does not win over the revision."""
    before = read(seeded, lambda repo: repo.progress(2023, 5, list(STORE_ZONES), None))
    asyncio.run(store_reports(seeded, [seed_reports]))
    after = read(seeded, lambda repo: repo.progress(2023, 5, list(STORE_ZONES), None))
    assert [figures(row) for row in after] == [figures(row) for row in before]
