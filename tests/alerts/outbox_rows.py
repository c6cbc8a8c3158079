"""Subscriptions and alert transitions written straight into PostgreSQL, as the query service and the
evaluator write them: alert_events is the evaluator's table, and here we only need rows to point at; the
transitions are then handed to the outbox in the same transaction, as the evaluator does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import psycopg

from alerts.model import AlertKey, AlertTransition, Rule, Severity, Transition
from alerts.outbox import enqueue_deliveries

MAY_2015 = date(2015, 5, 1)
OCCURRED_AT = datetime(2015, 6, 10, 1, 30, tzinfo=UTC)


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
