"""enqueue_deliveries against a real PostgreSQL: one digest per subscriber, written in the caller's transaction.

Each test has a migrated database of its own (the `database` fixture), so the deliveries it reads are its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from alerts.model import Rule, Severity, Transition
from alerts.outbox import enqueue_deliveries
from tests.alerts.outbox_rows import behind, fire, insert_subscription

pytestmark = pytest.mark.integration


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
