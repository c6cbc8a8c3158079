"""enqueue_deliveries against a real PostgreSQL: one digest per subscriber, written in the caller's transaction.

Also home of the small helpers the notifier tests share: subscriptions and alert
events are written directly (alert_events is the evaluator's table; here we only
need rows to point at), then handed to the outbox as the evaluator does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from alerts.model import AlertKey, AlertTransition, Rule, Severity, Transition
from alerts.outbox import enqueue_deliveries
from indicators_core.db import apply_migrations
from stack.postgres import PostgresServer

pytestmark = pytest.mark.integration

MAY_2015 = date(2015, 5, 1)
OCCURRED_AT = datetime(2015, 6, 10, 1, 30, tzinfo=UTC)


def fresh_database(postgres_server: PostgresServer, prefix: str) -> str:
    """A database of its own (migrated): no other test's deliveries in it."""
    url = postgres_server.create_database(f"{prefix}_{uuid4().hex[:8]}")
    apply_migrations(url)
    return url


def insert_subscription(
    database_url: str,
    name: str,
    channel: str,
    target: str,
    secret: str | None = None,
    zones: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
    rules: Sequence[str] | None = None,
    min_severity: str = "info",
    paused: bool = False,
) -> UUID:
    subscription_id = uuid4()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO subscriptions (id, name, channel, target, secret, zones, indicators, rules, min_severity, paused)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (subscription_id, name, channel, target, secret, zones, indicators, rules, min_severity, paused),
        )
    return subscription_id


def behind(
    zone: str,
    indicator: str = "industrial_output",
    version: int = 1,
    transition: Transition = Transition.FIRED,
    severity: Severity = Severity.WARNING,
    completion: str = "36.2",
    gap: str = "5.5",
    rule: Rule = Rule.BEHIND_SCHEDULE,
) -> AlertTransition:
    """A behind-schedule transition for May 2015 (time progress 41.7%), with its figures."""
    words = "已恢复" if transition == Transition.RESOLVED else f"落后序时进度{gap}个百分点"
    return AlertTransition(
        key=AlertKey(rule=rule, zone=zone, indicator=indicator, period=MAY_2015),
        version=version,
        transition=transition,
        severity=severity,
        message=f"{zone}1-5月累计完成目标的{completion}%，{words}",
        figures={
            "month": "5",
            "completion_pct": completion,
            "time_progress_pct": "41.666666666667",
            "progress_gap_pp": f"-{gap}",
        },
        occurred_at=OCCURRED_AT,
    )


async def fire_async(database_url: str, transitions: Sequence[AlertTransition]) -> list[int]:
    """As the evaluator does: insert the alert_events rows and enqueue, in one transaction."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        async with conn.transaction():
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO alert_events (rule, zone, indicator, period, version, transition, severity,"
                    " message, figures, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            str(t.key.rule),
                            t.key.zone,
                            t.key.indicator,
                            t.key.period,
                            t.version,
                            str(t.transition),
                            str(t.severity),
                            t.message,
                            json.dumps(t.figures),
                            t.occurred_at,
                        )
                        for t in transitions
                    ],
                )
            return await enqueue_deliveries(conn, transitions)


def fire(database_url: str, transitions: Sequence[AlertTransition]) -> list[int]:
    return asyncio.run(fire_async(database_url, transitions))


def deliveries(database_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(
            """
            SELECT d.id, d.subscription_id, d.kind, d.status, d.attempts, d.last_error,
                   array_agg(i.zone || '/' || i.indicator || '/v' || i.version ORDER BY i.zone, i.indicator, i.version)
                       FILTER (WHERE i.zone IS NOT NULL) AS items
            FROM deliveries d LEFT JOIN delivery_items i ON i.delivery_id = d.id
            GROUP BY d.id ORDER BY d.id
            """
        ).fetchall()


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    return fresh_database(postgres_server, "outbox")


def test_three_transitions_for_one_subscriber_make_one_delivery(database: str) -> None:
    jia = insert_subscription(database, "甲区", "webhook", "http://127.0.0.1:9/hook", "s" * 16, zones=["通知甲区"])
    everyone = insert_subscription(database, "全部", "email", "all@example.com")
    critical = insert_subscription(database, "只要严重", "email", "boss@example.com", min_severity="critical")
    insert_subscription(database, "暂停", "email", "paused@example.com", paused=True)
    ids = fire(
        database,
        [
            behind("通知甲区", "industrial_output"),
            behind("通知甲区", "fixed_asset_investment"),
            behind("通知甲区", "export", rule=Rule.NEGATIVE_GROWTH),
            behind("通知乙区", "industrial_output"),
        ],
    )
    rows = deliveries(database)
    assert ids == [row["id"] for row in rows]
    by_subscription = {row["subscription_id"]: row for row in rows}
    assert set(by_subscription) == {jia, everyone}  # nothing for critical-only (all warnings) or the paused one
    assert critical not in by_subscription
    assert by_subscription[jia]["items"] == [
        "通知甲区/export/v1",
        "通知甲区/fixed_asset_investment/v1",
        "通知甲区/industrial_output/v1",
    ]
    assert len(by_subscription[everyone]["items"]) == 4
    assert all(row["status"] == "pending" and row["attempts"] == 0 and row["kind"] == "alerts" for row in rows)


def test_the_same_transitions_again_queue_nothing(database: str) -> None:
    insert_subscription(database, "全部", "email", "all@example.com")
    first = behind("通知甲区")
    assert len(fire(database, [first])) == 1

    async def again() -> list[int]:  # a replay hands over the same transition (its event row already exists)
        async with await psycopg.AsyncConnection.connect(database) as conn:
            return await enqueue_deliveries(conn, [first])

    assert asyncio.run(again()) == []
    assert len(deliveries(database)) == 1


def test_resolution_reaches_the_subscriber_told_of_the_escalation(database: str) -> None:
    critical = insert_subscription(database, "只要严重", "email", "boss@example.com", min_severity="critical")
    assert fire(database, [behind("通知丙区", severity=Severity.WARNING)]) == []
    assert (
        len(
            fire(database, [behind("通知丙区", version=2, transition=Transition.ESCALATED, severity=Severity.CRITICAL)])
        )
        == 1
    )
    assert (
        len(
            fire(
                database, [behind("通知丙区", version=3, transition=Transition.DEESCALATED, severity=Severity.WARNING)]
            )
        )
        == 1
    )
    assert (
        len(fire(database, [behind("通知丙区", version=4, transition=Transition.RESOLVED, severity=Severity.WARNING)]))
        == 1
    )
    assert [row["items"] for row in deliveries(database) if row["subscription_id"] == critical] == [
        ["通知丙区/industrial_output/v2"],
        ["通知丙区/industrial_output/v3"],
        ["通知丙区/industrial_output/v4"],
    ]


def test_a_rolled_back_evaluation_leaves_no_delivery(database: str) -> None:
    insert_subscription(database, "全部", "email", "all@example.com")

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(database) as conn:
            with pytest.raises(RuntimeError):
                async with conn.transaction():
                    t = behind("通知丁区")
                    await conn.execute(
                        "INSERT INTO alert_events (rule, zone, indicator, period, version, transition, severity,"
                        " message, figures, occurred_at) VALUES (%s, %s, %s, %s, 1, 'fired', 'warning', %s, '{}', now())",
                        (str(t.key.rule), t.key.zone, t.key.indicator, t.key.period, t.message),
                    )
                    assert len(await enqueue_deliveries(conn, [t])) == 1
                    raise RuntimeError("the evaluator failed after enqueueing")

    asyncio.run(run())
    assert deliveries(database) == []
