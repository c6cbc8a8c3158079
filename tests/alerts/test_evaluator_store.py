"""The evaluator's store against a real PostgreSQL, without Kafka: what the pipeline tests cannot time.

The figures are written as the processor writes them (its own arithmetic, compute_year), into a
database of this test's own (the `database` fixture); the store then judges them as the worker does, with the real outbox.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from alerts.config import load_rules
from alerts.model import AlertKey, AlertTransition, Rule
from alerts.outbox import enqueue_deliveries
from alerts.store import AlertStore, Touched, _period_ranges
from indicators_core.catalog import load_catalog
from indicators_core.progress import Basis, MonthReport, compute_year

pytestmark = pytest.mark.integration

CATALOG = load_catalog()
RULES = load_rules(None, CATALOG)
REPORTED_AT = datetime(2018, 6, 1, 8, 0, tzinfo=UTC)


def write_series(database: str, zone: str, indicator: str, ytd: dict[tuple[int, int], str]) -> None:
    """Observations and the progress rows the processor derives from them (no targets)."""
    reports: dict[int, dict[int, MonthReport]] = {}
    for (year, month), value in ytd.items():
        reports.setdefault(year, {})[month] = MonthReport(year, month, Basis.YTD, Decimal(value), None, REPORTED_AT)
    first_month = 1 if CATALOG.indicators[indicator].january else 2
    with psycopg.connect(database) as conn:
        for (year, month), value in ytd.items():
            conn.execute(
                "INSERT INTO observations (zone, indicator, period, basis, value, reported_value, reported_unit, source, "
                "batch_id, row_index, reported_at) VALUES (%s, %s, %s, 'ytd', %s, %s, '亿元', 'test', %s, 0, %s) "
                "ON CONFLICT (zone, indicator, period) DO UPDATE SET value = EXCLUDED.value",
                (zone, indicator, date(year, month, 1), Decimal(value), Decimal(value), uuid.uuid4(), REPORTED_AT),
            )
        for year in sorted(reports):
            for row in compute_year(year, reports, None, first_month=first_month):
                conn.execute(
                    "INSERT INTO progress (zone, indicator, period, year, month, ytd_value, month_value, ytd_last_year, "
                    "yoy_base, yoy_pct, time_progress_pct) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (zone, indicator, period) DO UPDATE SET ytd_value = EXCLUDED.ytd_value, "
                    "month_value = EXCLUDED.month_value, yoy_pct = EXCLUDED.yoy_pct",
                    (
                        zone,
                        indicator,
                        date(year, row.month, 1),
                        year,
                        row.month,
                        row.ytd_value,
                        row.month_value,
                        row.ytd_last_year,
                        row.yoy_base,
                        row.yoy_pct,
                        row.time_progress_pct,
                    ),
                )


def events(database: str, zone: str) -> list[tuple]:
    with psycopg.connect(database) as conn:
        return conn.execute(
            "SELECT rule, indicator, period, version, transition, message, figures FROM alert_events WHERE zone = %s "
            "ORDER BY rule, indicator, period, version",
            (zone,),
        ).fetchall()


async def with_stores(database: str, count: int, work) -> list:
    """`count` stores with pools of their own, as `count` workers would have."""
    pools = [AsyncConnectionPool(database, min_size=1, max_size=2, open=False) for _ in range(count)]
    for pool in pools:
        await pool.open(wait=True)
    try:
        return await work([AlertStore(pool, CATALOG, RULES, enqueue_deliveries) for pool in pools])
    finally:
        for pool in pools:
            await pool.close()


def test_two_workers_judging_the_same_results_at_once_record_one_transition_and_one_delivery(database: str):
    zone = "预警壬区"
    # Steady 2017 (4 a month), then 12.3 in January 2018: a swing.
    write_series(
        database, zone, "industrial_output", {(2017, m): str(4 * m) for m in range(1, 13)} | {(2018, 1): "12.3"}
    )
    with psycopg.connect(database) as conn:
        subscription = uuid.uuid4()
        conn.execute(
            "INSERT INTO subscriptions (id, name, channel, target, zones, min_severity) "
            "VALUES (%s, '壬区', 'webhook', 'http://127.0.0.1:9/', %s, 'info')",
            (subscription, [zone]),
        )
    touched = [Touched(zone, "industrial_output", 2018, 1)] * 3

    async def race(stores: list[AlertStore]) -> list[list[AlertTransition]]:
        return await asyncio.gather(*(store.evaluate_results(touched) for store in stores for _ in range(2)))

    outcomes = asyncio.run(with_stores(database, 3, race))
    recorded = [t for transitions in outcomes for t in transitions]
    assert [(t.key.rule.value, t.key.period, t.version, t.transition.value) for t in recorded] == [
        ("sharp_swing", date(2018, 1, 1), 1, "fired")
    ]
    assert [(e[0], e[3], e[4]) for e in events(database, zone)] == [("sharp_swing", 1, "fired")]
    with psycopg.connect(database) as conn:
        assert conn.execute(
            "SELECT count(*) FROM deliveries WHERE subscription_id = %s", (subscription,)
        ).fetchone() == (1,)


def test_combined_january_february_is_neither_judged_nor_history_and_a_disabled_rule_stays_quiet(database: str):
    zone = "预警癸区"
    # Fixed-asset investment has no January report: 1-2月 (8) is two months in one value.
    fai = {(2017, 2): "8"} | {(2017, m): str(4 * m) for m in range(3, 13)} | {(2018, 2): "8", (2018, 3): "20"}
    write_series(database, zone, "fixed_asset_investment", fai)
    # Signed projects swing by nature: the packaged rules.toml turns the swing rule off for them.
    write_series(database, zone, "signed_projects", {(2017, m): str(m) for m in range(1, 13)} | {(2018, 1): "10"})
    touched = [Touched(zone, "fixed_asset_investment", 2018, m) for m in (2, 3)] + [
        Touched(zone, "signed_projects", 2018, 1)
    ]
    asyncio.run(with_stores(database, 1, lambda stores: stores[0].evaluate_results(touched)))
    found = events(database, zone)
    assert [(e[0], e[1], e[2]) for e in found] == [("sharp_swing", "fixed_asset_investment", date(2018, 3, 1))]
    message, figures = found[0][5], found[0][6]
    # March 2018's own value is 12; the history is March–December 2017 (10 months of 4), without either 1-2月.
    assert figures["history_months"] == "10"
    assert message == (
        "预警癸区 固定资产投资 2018年3月当月值12亿元，为近12个月中有数据的10个月中位数4亿元的3.0倍，"
        "偏离中位数8亿元，而过半月份恰为中位数（中位绝对偏差为0）"
    )


def test_a_late_month_skipped_by_a_later_cumulative_report_is_resolved_by_it(database: str):
    zone = "预警子区"
    write_series(
        database,
        zone,
        "industrial_output",
        {(2017, m): str(4 * m) for m in range(1, 13)} | {(2018, m): str(4 * m) for m in (1, 2, 3)},
    )

    async def check(stores: list[AlertStore]) -> tuple[list, list]:
        return await stores[0].check_late_reports(date(2018, 5, 14)), await stores[0].check_late_reports(
            date(2018, 5, 15)
        )

    before, on_the_day = asyncio.run(with_stores(database, 1, check))
    assert before == []
    assert [(t.key.rule.value, t.key.period, t.transition.value) for t in on_the_day] == [
        ("late_report", date(2018, 4, 1), "fired")
    ]
    # The bureau skips April and sends 1-5月: the cumulative figure covers April.
    write_series(database, zone, "industrial_output", {(2018, m): str(4 * m) for m in (1, 2, 3, 5)})
    resolved = asyncio.run(
        with_stores(
            database, 1, lambda stores: stores[0].evaluate_results([Touched(zone, "industrial_output", 2018, 5)])
        )
    )
    late = [t for t in resolved if t.key.rule.value == "late_report"]
    assert [(t.version, t.transition.value, t.message) for t in late] == [
        (2, "resolved", "预警子区 规上工业产值 2018年1-5月累计数据已报送（含4月）")
    ]
    # The clock's next check agrees: nothing more.
    again = asyncio.run(with_stores(database, 1, lambda stores: stores[0].check_late_reports(date(2018, 5, 16))))
    assert again == []


def test_the_growth_target_is_read_with_the_figures_from_the_database(database: str):
    # 1-5月 34 on last year's 32: +6.25%. The processor stored the zone's growth target (增长10%以上) with the
    # figures; the rule reads it from there (no growth targets in rules.toml any more).
    zone = "预警癸区"
    write_series(database, zone, "industrial_output", {(2017, 5): "32", (2018, 5): "34"})

    def set_growth_target(pct: str) -> None:
        with psycopg.connect(database) as conn:
            conn.execute(
                "UPDATE progress SET growth_target_pct = %s WHERE zone = %s AND period = '2018-05-01'",
                (Decimal(pct), zone),
            )

    def judge() -> list[AlertTransition]:
        async def work(stores: list[AlertStore]) -> list[AlertTransition]:
            return await stores[0].evaluate_results([Touched(zone, "industrial_output", 2018, 5)])

        return asyncio.run(with_stores(database, 1, work))

    set_growth_target("10")
    (fired,) = judge()
    assert (fired.key.rule.value, fired.transition.value, fired.severity.value) == ("negative_growth", "fired", "info")
    assert (
        fired.message
        == "预警癸区 规上工业产值 2018年1-5月累计34亿元，同比增长6.3%，低于增长目标10.0%（上年同期32亿元）"
    )
    assert fired.figures["growth_target_pct"] == "10"
    set_growth_target("6")
    (resolved,) = judge()
    assert (resolved.key.rule.value, resolved.transition.value) == ("negative_growth", "resolved")
    assert resolved.message.endswith("同比增长6.3%，达到增长目标6.0%（上年同期32亿元）")


def test_the_stored_alerts_are_read_by_one_period_range_per_rule_and_series():
    keys = [AlertKey(Rule.SHARP_SWING, "甲区", "export", date(2016, month, 1)) for month in (3, 12, 1)] + [
        AlertKey(Rule.SHARP_SWING, "甲区", "export", date(2024, 5, 1)),
        AlertKey(Rule.BEHIND_SCHEDULE, "甲区", "export", date(2016, 1, 1)),
        AlertKey(Rule.SHARP_SWING, "乙区", "export", date(2020, 7, 1)),
    ]
    assert _period_ranges(keys) == (
        ["sharp_swing", "behind_schedule", "sharp_swing"],
        ["甲区", "甲区", "乙区"],
        ["export", "export", "export"],
        [date(2016, 1, 1), date(2016, 1, 1), date(2020, 7, 1)],
        [date(2024, 5, 1), date(2016, 1, 1), date(2020, 7, 1)],
    )
