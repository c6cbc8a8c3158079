"""项目节点逾期 (rule stage_overdue): the pure finding, then the evaluator's store against a real PostgreSQL — fired
when a stage passes its due date, kept current, escalated after 30 days, resolved when the stage gets its date, and
delivered to a subscriber like every alert. "Today" is always given, never the clock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from alerts import rules as R
from alerts.config import load_rules
from alerts.model import AlertTransition, Severity
from alerts.outbox import enqueue_deliveries
from alerts.store import AlertStore, Touched
from indicators_core.catalog import load_catalog, subject_name
from indicators_core.projects import Project, load_deadlines, project_status

CATALOG = load_catalog()
RULES = load_rules(None, CATALOG)
CONFIG = RULES.defaults.stage_overdue


def xx(zone: str = "fcw") -> Project:
    return Project("XX", zone, "XX项目", Decimal(5), {"meeting": date(2022, 12, 20), "signed": date(2023, 1, 10)})


def test_an_overdue_stage_is_a_warning_then_critical_after_30_days():
    (overdue,) = project_status(xx(), load_deadlines(), date(2023, 3, 25)).overdue
    finding = R.stage_overdue(xx(), overdue, CONFIG)
    assert finding.active and finding.severity is Severity.WARNING
    assert (finding.key.rule.value, finding.key.zone, finding.key.indicator, finding.key.period) == (
        "stage_overdue",
        "fcw",
        "project:XX/land",
        date(2023, 3, 1),
    )
    assert finding.message == "fcw XX项目 签约后2个月未供地，已逾期15天（应于2023年3月10日前供地）"
    assert finding.figures["days_overdue"] == "15" and finding.figures["due_on"] == "2023-03-10"
    assert subject_name(CATALOG, finding.key.indicator, finding.figures) == "XX项目·供地"
    (later,) = project_status(xx(), load_deadlines(), date(2023, 4, 9)).overdue
    assert R.stage_overdue(xx(), later, CONFIG).severity is Severity.CRITICAL


@pytest.mark.integration
def test_the_clock_fires_keeps_current_escalates_and_the_stages_date_resolves(database: str):
    zone = f"fcw-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database) as conn:
        conn.execute(
            "INSERT INTO zones (code, name_zh, level, kind, source, batch_id, row_index, reported_at)"
            " VALUES (%s, '富春湾新城', 'provincial', '新城', 'admin', %s, 0, now())",
            (zone, uuid.uuid4()),
        )
        conn.execute(
            "INSERT INTO projects (id, zone, name, total_investment, reported_total_investment, reported_unit,"
            " meeting_on, signed_on, source, batch_id, row_index, reported_at)"
            " VALUES (%s, %s, 'XX项目', 5, 5, '亿元', '2022-12-20', '2023-01-10', 'admin', %s, 0, %s)",
            (f"XX-{zone}", zone, uuid.uuid4(), datetime(2023, 1, 11, tzinfo=UTC)),
        )
        subscription = uuid.uuid4()
        conn.execute(
            "INSERT INTO subscriptions (id, name, channel, target, zones, rules, min_severity)"
            " VALUES (%s, '富春湾项目办', 'webhook', 'http://127.0.0.1:9/', %s, %s, 'warning')",
            (subscription, [zone], ["stage_overdue"]),
        )

    def land(on: str) -> None:
        with psycopg.connect(database) as conn:
            conn.execute("UPDATE projects SET land_on = %s WHERE zone = %s", (on, zone))

    async def days(*checks: date | str) -> list[list[AlertTransition]]:
        pool = AsyncConnectionPool(database, min_size=1, max_size=2, open=False)
        await pool.open(wait=True)
        try:
            store = AlertStore(pool, CATALOG, RULES, enqueue_deliveries)
            outcomes = []
            for check in checks:
                if isinstance(check, str):
                    land(check)
                    continue
                outcomes.append(await store.check_stage_overdue(check))
            # A change of the zone's list is judged at once: its derived figures' results arrive.
            touched = [Touched(zone, "projects_signed", 2023, 4)]
            outcomes.append(await store.evaluate_results(touched, date(2023, 4, 20)))
            return outcomes
        finally:
            await pool.close()

    on_due_date, fired, next_day, critical, resolved, again, on_change = asyncio.run(
        days(
            date(2023, 3, 10),
            date(2023, 3, 25),
            date(2023, 3, 26),
            date(2023, 4, 9),
            "2023-04-12",
            date(2023, 4, 12),
            date(2023, 4, 13),
        )
    )
    assert on_due_date == [] and next_day == [] and again == [] and on_change == []
    assert [(t.transition.value, t.severity.value, t.version) for t in fired] == [("fired", "warning", 1)]
    assert fired[0].key.indicator == f"project:XX-{zone}/land"
    assert fired[0].message == "富春湾新城 XX项目 签约后2个月未供地，已逾期15天（应于2023年3月10日前供地）"
    assert [(t.transition.value, t.severity.value) for t in critical] == [("escalated", "critical")]
    assert critical[0].message.endswith("已逾期30天（应于2023年3月10日前供地）")
    assert [(t.transition.value, t.message) for t in resolved] == [
        ("resolved", "富春湾新城 XX项目 已于2023年4月12日供地，节点逾期已解除")
    ]
    with psycopg.connect(database) as conn:
        message, figures = conn.execute(
            "SELECT message, figures FROM alerts WHERE zone = %s AND rule = 'stage_overdue'", (zone,)
        ).fetchone()
        deliveries = conn.execute(
            "SELECT count(*) FROM deliveries WHERE subscription_id = %s", (subscription,)
        ).fetchone()
    assert figures["done_on"] == "2023-04-12" and message.startswith("富春湾新城 XX项目 已于")
    assert deliveries == (3,)  # fired, escalated, resolved: the message that only counts a day more is not sent


@pytest.mark.integration
def test_a_change_of_the_list_is_judged_at_once(database: str):
    zone = f"fcw-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database) as conn:
        conn.execute(
            "INSERT INTO projects (id, zone, name, total_investment, reported_total_investment, reported_unit,"
            " meeting_on, signed_on, planned_start_on, source, batch_id, row_index, reported_at)"
            " VALUES (%s, %s, '电池项目', 5, 5, '亿元', '2023-01-01', '2023-01-02', '2023-02-01', 'admin', %s, 0, now())",
            (f"S-{zone}", zone, uuid.uuid4()),
        )

    async def judge() -> list[AlertTransition]:
        pool = AsyncConnectionPool(database, min_size=1, max_size=2, open=False)
        await pool.open(wait=True)
        try:
            store = AlertStore(pool, CATALOG, RULES, enqueue_deliveries)
            return await store.evaluate_results([Touched(zone, "projects_started", 2023, 3)], date(2023, 3, 5))
        finally:
            await pool.close()

    # 供地 is due 2023-03-02 (签约 + 2 months); 开工's plan (Feb 1) waits for 供地: only 供地 is overdue.
    (fired,) = asyncio.run(judge())
    assert (fired.key.indicator, fired.transition.value) == (f"project:S-{zone}/land", "fired")
    assert fired.message == f"{zone} 电池项目 签约后2个月未供地，已逾期3天（应于2023年3月2日前供地）"
