"""The outbox: alert transitions become deliveries, one digest per subscriber, in the evaluator's transaction.

`enqueue_deliveries` is called by the evaluator inside the transaction that
inserted the `alert_events` rows, so an alert is recorded and its deliveries are
queued together or not at all; the notifier sends them later (a crash between
firing and sending loses nothing). Matching is pure (`plan_digests`) and tested
without a database.

Who receives a transition: active (not paused) subscriptions whose zone,
indicator and rule filters admit it (NULL = all) and whose minimum severity is
reached. For a de-escalation or a resolution the severity that counts is the
highest the alert reached since it last fired, so whoever was told "严重" is also
told when it eases or clears.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row

from alerts.model import AlertKey, AlertTransition, Rule, Severity, Transition


@dataclass(frozen=True)
class SubscriptionFilter:
    """What a subscription wants; None means all."""

    id: UUID
    zones: frozenset[str] | None
    indicators: frozenset[str] | None
    rules: frozenset[str] | None
    min_severity: Severity

    def admits(self, key: AlertKey, severity: Severity) -> bool:
        return (
            (self.zones is None or key.zone in self.zones)
            and (self.indicators is None or key.indicator in self.indicators)
            and (self.rules is None or str(key.rule) in self.rules)
            and severity.rank >= self.min_severity.rank
        )


@dataclass(frozen=True)
class PastEvent:
    """An alert event already in the history: enough to know how high an alert went."""

    key: AlertKey
    version: int
    transition: Transition
    severity: Severity


def reach_severity(history: Iterable[PastEvent], key: AlertKey, version: int, severity: Severity) -> Severity:
    """The highest severity of the alert's current episode, up to and including `version`.

    An episode starts at the latest `fired` at or before `version` (a resolved
    alert that fires again starts a new one). `severity` is the transition's own,
    so a history that lacks the event still gives a sensible answer.
    """
    events = sorted((e for e in history if e.key == key and e.version <= version), key=lambda e: e.version)
    start = max((e.version for e in events if e.transition == Transition.FIRED), default=0)
    peak = severity
    for event in events:
        if event.version >= start and event.severity.rank > peak.rank:
            peak = event.severity
    return peak


def plan_digests(
    subscriptions: Sequence[SubscriptionFilter],
    transitions: Sequence[AlertTransition],
    history: Iterable[PastEvent] = (),
    already_queued: Iterable[tuple[UUID, AlertKey, int]] = (),
) -> dict[UUID, list[AlertTransition]]:
    """Subscription id → the transitions it receives, in the order given; subscriptions with none left out.

    `already_queued` (subscription, key, version) are skipped, so a transition
    handed over twice (a replay) is never queued twice for the same subscriber.
    """
    history = list(history)
    skip = set(already_queued)
    plan: dict[UUID, list[AlertTransition]] = defaultdict(list)
    for transition in transitions:
        severity = transition.severity
        if transition.transition in (Transition.DEESCALATED, Transition.RESOLVED):
            severity = reach_severity(history, transition.key, transition.version, transition.severity)
        for subscription in subscriptions:
            if (subscription.id, transition.key, transition.version) in skip:
                continue
            if subscription.admits(transition.key, severity):
                plan[subscription.id].append(transition)
                skip.add((subscription.id, transition.key, transition.version))
    return dict(plan)


def _key_columns(keys: Iterable[AlertKey]) -> tuple[list[str], list[str], list[str], list[date]]:
    unique = list(dict.fromkeys(keys))
    return (
        [str(k.rule) for k in unique],
        [k.zone for k in unique],
        [k.indicator for k in unique],
        [k.period for k in unique],
    )


def _key(row: Sequence[Any]) -> AlertKey:
    rule, zone, indicator, period = row[0], row[1], row[2], row[3]
    return AlertKey(rule=Rule(rule), zone=zone, indicator=indicator, period=period)


# The alert keys of one call arrive as four parallel arrays (rules, zones, indicators, periods).
_HISTORY_OF_THESE_ALERTS = """
    SELECT rule, zone, indicator, period, version, transition, severity FROM alert_events
    WHERE (rule, zone, indicator, period) IN (
        SELECT * FROM unnest(%(rules)s::text[], %(zones)s::text[], %(indicators)s::text[], %(periods)s::date[]))
"""
_QUEUED_FOR_THESE_ALERTS = """
    SELECT i.rule, i.zone, i.indicator, i.period, i.version, d.subscription_id
    FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id
    WHERE (i.rule, i.zone, i.indicator, i.period) IN (
        SELECT * FROM unnest(%(rules)s::text[], %(zones)s::text[], %(indicators)s::text[], %(periods)s::date[]))
"""


async def _rows(conn: psycopg.AsyncConnection[Any], query: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Rows as tuples whatever the caller's connection row factory is."""
    async with conn.cursor(row_factory=tuple_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall() if cursor.description else []


async def _active_subscriptions(conn: psycopg.AsyncConnection[Any]) -> list[SubscriptionFilter]:
    rows = await _rows(
        conn,
        "SELECT id, zones, indicators, rules, min_severity FROM subscriptions WHERE NOT paused ORDER BY created_at, id",
    )
    return [
        SubscriptionFilter(
            id=row[0],
            zones=None if row[1] is None else frozenset(row[1]),
            indicators=None if row[2] is None else frozenset(row[2]),
            rules=None if row[3] is None else frozenset(row[3]),
            min_severity=Severity(row[4]),
        )
        for row in rows
    ]


async def enqueue_deliveries(conn: psycopg.AsyncConnection[Any], transitions: Sequence[AlertTransition]) -> list[int]:
    """Queue one digest delivery per matching subscriber for `transitions`; returns the new delivery ids.

    Runs in the caller's transaction (no commit here), after the caller inserted
    the transitions' `alert_events` rows (delivery_items reference them).
    """
    if not transitions:
        return []
    subscriptions = await _active_subscriptions(conn)
    if not subscriptions:
        return []
    rules, zones, indicators, periods = _key_columns(t.key for t in transitions)
    keys = {"rules": rules, "zones": zones, "indicators": indicators, "periods": periods}
    history = [
        PastEvent(key=_key(row), version=row[4], transition=Transition(row[5]), severity=Severity(row[6]))
        for row in await _rows(conn, _HISTORY_OF_THESE_ALERTS, keys)
    ]
    already = [(row[5], _key(row), row[4]) for row in await _rows(conn, _QUEUED_FOR_THESE_ALERTS, keys)]

    plan = plan_digests(subscriptions, transitions, history, already)
    delivery_ids: list[int] = []
    for subscription_id, chosen in plan.items():
        ((delivery_id,),) = await _rows(
            conn,
            "INSERT INTO deliveries (subscription_id, kind, status) VALUES (%s, 'alerts', 'pending') RETURNING id",
            (subscription_id,),
        )
        async with conn.cursor() as items:
            await items.executemany(
                "INSERT INTO delivery_items (delivery_id, rule, zone, indicator, period, version)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [(delivery_id, str(t.key.rule), t.key.zone, t.key.indicator, t.key.period, t.version) for t in chosen],
            )
        delivery_ids.append(int(delivery_id))
    return delivery_ids


async def enqueue_test_delivery(conn: psycopg.AsyncConnection[Any], subscription_id: UUID) -> int:
    """Queue a test message to one subscription (sent even while it is paused: check the endpoint first)."""
    ((delivery_id,),) = await _rows(
        conn,
        "INSERT INTO deliveries (subscription_id, kind, status) VALUES (%s, 'test', 'pending') RETURNING id",
        (subscription_id,),
    )
    return int(delivery_id)
