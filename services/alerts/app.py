"""The alert evaluator: a Faust app on the results topic, and the late-report clock.

1. `evaluate_results` takes messages of ProgressResults (a batch each, as the
   processor sends them, or a single one) several at a time; for every
   take_max results of them, one database transaction judges the rules the changed months affect, records
   the transitions (alerts, alert_events) and queues the deliveries (the
   outbox); after the commit the transitions are published on the alerts
   topic as AlertEvents. Offsets are acknowledged after all that, so a crash
   replays the messages, and a replay judges the same figures again: no new
   transition, nothing sent twice. A chunk whose evaluation fails for a reason
   other than an outage is bisected until the offending results stand alone;
   they go to `<results topic>.dead-letter` with the reason, and every other
   result is judged (indicators_core.isolation, indicators_core.dead_letters).
2. `late_report_checks` runs at start and every alerts_late_check_interval_s:
   is last month's report late for a series that normally reports it? `stage_overdue_checks`, on the same
   clock, judges every major project's stages (项目节点逾期), so that a deadline passing with no new
   report still fires; a change of a zone's list is judged at once (its derived figures' results).
3. `republish_stale` publishes events committed but never published (the
   worker stopped between the commit and the send); `refresh_firing` keeps
   the firing gauge equal to the database; `refresh_consumer_lag` reads how
   many results wait for this worker (the processor's way, shared).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import faust
from google.protobuf.message import DecodeError
from tenacity import AsyncRetrying

from alerts import metrics
from alerts.config import AlertsSettings, load_rules
from alerts.model import AlertTransition
from alerts.outbox import enqueue_deliveries
from alerts.store import AlertStore, Touched
from indicators_core import events
from indicators_core.catalog import load_catalog, subject_name
from indicators_core.consumer_lag import ConsumerLagMetric, ConsumerLagReader
from indicators_core.dead_letters import (
    UNDECODABLE,
    DeadLetter,
    apply_isolating,
    dead_letter_topic,
    send_acknowledged,
)
from indicators_core.dead_letters import send_dead_letters as _send_dead_letters
from indicators_core.events import epoch_seconds, to_timestamp
from indicators_core.faust_worker import (
    acked_chunks,
    database_retrying,
    open_pool_after_migrations,
    serve_worker_endpoints,
)
from indicators_core.topics import series_key

log = logging.getLogger("alerts")
settings = AlertsSettings()
catalog = load_catalog(settings.catalog_path)
rules = load_rules(settings.alerts_rules_path, catalog)

app = faust.App(
    settings.alerts_app_id,
    broker=f"kafka://{settings.kafka_bootstrap}",
    store="memory://",
    datadir=str(settings.alerts_data_dir),
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=1,
    producer_acks=-1,
    consumer_auto_offset_reset="earliest",
    broker_session_timeout=15.0,
    broker_heartbeat_interval=3.0,
    web_host=settings.alerts_web_host,
    web_port=settings.alerts_web_port,
    web_in_thread=False,
)

raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
results_topic = app.topic(settings.topic_results, partitions=settings.topic_partitions, **raw)
alerts_topic = app.topic(settings.topic_alerts, partitions=settings.topic_partitions, **raw)
dead_letters_topic = app.topic(dead_letter_topic(settings.topic_results), partitions=1, **raw)

_store: AlertStore | None = None
_store_lock = asyncio.Lock()
T = TypeVar("T")


def _retrying() -> AsyncRetrying:
    return database_retrying(settings.alerts_db_retry_max_wait_s, metrics.DB_RETRIES, log)


async def get_store() -> AlertStore:
    """The store, opened on first use: waits (and says so) while PostgreSQL is not up yet."""
    global _store
    if _store is not None:
        return _store
    async with _store_lock:
        if _store is None:
            pool = await open_pool_after_migrations(
                settings.database_url, catalog, settings.alerts_db_pool_max, _retrying()
            )
            _store = AlertStore(pool, catalog, rules, enqueue_deliveries)
        return _store


async def with_store(work: Callable[[AlertStore], Awaitable[T]]) -> T:
    """Run one transaction's work, retried from the start while the database is unreachable."""
    store = await get_store()
    async for attempt in _retrying():
        with attempt:
            return await work(store)
    raise AssertionError("unreachable: tenacity retries until success")


def alert_event(transition: AlertTransition) -> events.pb.AlertEvent:
    key = transition.key
    event = events.pb.AlertEvent(
        rule=key.rule.value,
        zone=key.zone,
        indicator=key.indicator,
        indicator_name=subject_name(catalog, key.indicator, transition.figures),
        year=key.period.year,
        month=key.period.month,
        version=transition.version,
        transition=transition.transition.value,
        severity=transition.severity.value,
        message=transition.message,
        figures=transition.figures,
    )
    if transition.occurred_at is not None:
        event.occurred_at.CopyFrom(to_timestamp(transition.occurred_at))
    return event


async def publish(transitions: list[AlertTransition]) -> None:
    """Send every event and wait until the broker has acknowledged each (sent again while it is away)."""
    await send_acknowledged(
        alerts_topic,
        [(series_key(t.key.zone, t.key.indicator), alert_event(t).SerializeToString()) for t in transitions],
        log,
    )


async def publish_committed(transitions: list[AlertTransition]) -> None:
    """After the commit: publish, mark published, count, and refresh the firing gauge."""
    if not transitions:
        return
    for t in transitions:
        metrics.TRANSITIONS.labels(t.key.rule.value, t.transition.value).inc()
        # WARNING: the stack runs workers at --loglevel warn, and a transition is what an operator looks for.
        log.warning("alert %s: %s [%s] %s", t.transition.value, t.key.rule.value, t.severity.value, t.message)
    await publish(transitions)
    metrics.EVENTS_PUBLISHED.inc(len(transitions))
    await with_store(lambda store: store.mark_published(transitions))
    await refresh_firing_now()


async def refresh_firing_now() -> None:
    counts = await with_store(lambda store: store.firing_counts())
    metrics.publish_firing(counts)


async def evaluate_chunk(chunk: list[faust.EventT]) -> None:
    """Judge what can be judged of a chunk of messages (each a batch of results), take_max results per transaction;
    dead-letter the rest, each offending result alone; publish the transitions recorded."""

    async def evaluate(results: Sequence[events.ProgressResult]) -> list[AlertTransition]:
        touched = [Touched(r.zone, r.indicator, r.year, r.month) for r in results]

        async def work(store: AlertStore) -> list[AlertTransition]:
            started = time.perf_counter()
            transitions = await store.evaluate_results(touched, settings.now().date())
            metrics.EVALUATION_SECONDS.observe(time.perf_counter() - started)
            return transitions

        return await with_store(work)

    letters: list[DeadLetter] = []
    results: list[tuple[faust.EventT, events.ProgressResult]] = []
    for event in chunk:
        try:
            results.extend((event, result) for result in events.results_of(event.value))
        except DecodeError as error:
            metrics.UNDECODABLE.inc()
            letters.append(DeadLetter.of_event(event, UNDECODABLE, error))
    for first in range(0, len(results), settings.alerts_take_max):
        outcome = await apply_isolating(
            results[first : first + settings.alerts_take_max],
            evaluate,
            letter_of=result_dead_letter,
            noun="result",
            what=lambda r: f"{r.zone!r} {r.indicator} {r.year}-{r.month:02d}",
            log=log,
        )
        letters.extend(outcome.letters)
        count_evaluated(outcome.applied)
        await publish_committed(outcome.results)
    await _send_dead_letters(dead_letters_topic, letters, metrics.DEAD_LETTERS, settings.alerts_app_id, log)


def result_dead_letter(event: faust.EventT, result: events.ProgressResult, reason: str, error: Exception) -> DeadLetter:
    """A result that cannot be judged goes alone, as a single ProgressResult said to come from where its message
    was consumed: a replay sends it back to the results topic, and the other results of its message are judged."""
    letter = DeadLetter.of_event(event, reason, error)
    return dataclasses.replace(letter, key=series_key(result.zone, result.indicator), value=result.SerializeToString())


def count_evaluated(evaluated: Sequence[events.ProgressResult]) -> None:
    committed_at = time.time()
    metrics.RESULTS_CONSUMED.inc(len(evaluated))
    for result in evaluated:
        if result.HasField("computed_at"):
            metrics.LATENCY_SECONDS.observe(max(0.0, committed_at - epoch_seconds(result.computed_at)))


@app.agent(results_topic)
async def evaluate_results(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for chunk in acked_chunks(stream, settings.alerts_messages_take_max, settings.alerts_take_within_s):
        await evaluate_chunk(chunk)
        yield None


@app.task
async def late_report_checks() -> None:
    """At start, then every interval: judge last month's reports against the evaluator's clock."""
    while not app.should_stop:
        try:
            today = settings.now().date()

            async def check_late(store: AlertStore, today: date = today) -> list[AlertTransition]:
                return await store.check_late_reports(today)

            transitions = await with_store(check_late)
            await publish_committed(transitions)
            metrics.LATE_CHECKS.inc()
            metrics.LATE_CHECK_AT.set_to_current_time()
        except Exception:
            # The next round tries again; a bug here must not stop the results agent.
            log.exception("late-report check failed")
        await app.sleep(settings.alerts_late_check_interval_s)


@app.task
async def stage_overdue_checks() -> None:
    """At start, then every interval: a deadline that passes with no new report still fires (项目节点逾期)."""
    while not app.should_stop:
        try:
            today = settings.now().date()

            async def check_stages(store: AlertStore, today: date = today) -> list[AlertTransition]:
                return await store.check_stage_overdue(today)

            await publish_committed(await with_store(check_stages))
        except Exception:
            # The next round tries again; a bug here must not stop the results agent.
            log.exception("overdue-stage check failed")
        await app.sleep(settings.alerts_late_check_interval_s)


@app.timer(interval=settings.alerts_republish_after_s)
async def republish_stale() -> None:
    async def publish_late(transitions: list[AlertTransition]) -> None:
        await publish(transitions)
        metrics.EVENTS_PUBLISHED.inc(len(transitions))
        metrics.EVENTS_REPUBLISHED.inc(len(transitions))

    try:
        count = await with_store(lambda store: store.republish_stale(settings.alerts_republish_after_s, publish_late))
    except Exception:
        log.exception("republishing alert events failed")
        return
    if count:
        log.warning("published %d alert event(s) committed earlier but not published", count)


@app.timer(interval=settings.alerts_firing_refresh_s)
async def refresh_firing() -> None:
    try:
        await refresh_firing_now()
    except Exception:
        log.exception("firing gauge not refreshed")


consumer_lag = ConsumerLagMetric(
    ConsumerLagReader(settings.kafka_bootstrap, app.conf.id),
    consumed={settings.topic_results},
    lag=metrics.CONSUMER_LAG,
    read_at=metrics.CONSUMER_LAG_READ_AT,
    log=log,
)


serve_worker_endpoints(app, consumer_lag, settings.alerts_lag_refresh_s, required_topics={settings.topic_results})
