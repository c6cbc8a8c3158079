"""The Faust application: two agents.

1. `split_batches` fans each accepted upstream batch out to the reports topic,
   keyed by zone and indicator, so every report of one series lands on one
   partition, in order.
2. `compute_progress` takes reports in chunks, stores them and recomputes the
   affected series in one database transaction, then publishes the results.
   A chunk the database or the arithmetic refuses (not an outage: that is
   waited out) is bisected until the offending reports stand alone; they go to
   `<reports topic>.dead-letter` with the reason (indicators_core.dead_letters)
   and every other report is stored and published.

Offsets are committed only after an event is fully handled (Faust acks after
the agent's iteration; a chunk's events are acked by hand once every report
in it is stored or dead-lettered, the broker having acknowledged the
dead letters and the results), so a crash replays rather than loses, and the
store makes a replay harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import faust
from google.protobuf.message import DecodeError
from tenacity import AsyncRetrying

from indicators_core import events
from indicators_core.catalog import load_catalog
from indicators_core.consumer_lag import ConsumerLagMetric, ConsumerLagReader
from indicators_core.dead_letters import (
    UNDECODABLE,
    DeadLetter,
    apply_or_dead_letter,
    dead_letter_topic,
    send_acknowledged,
)
from indicators_core.dead_letters import send_dead_letters as _send_dead_letters
from indicators_core.events import from_timestamp, progress_result
from indicators_core.faust_worker import (
    acked_chunks,
    database_retrying,
    open_pool_after_migrations,
    serve_worker_endpoints,
)
from indicators_core.topics import series_key
from processor import metrics
from processor.config import ProcessorSettings
from processor.projects_store import PROJECTS_KEY
from processor.store import ZONE_KEY, ProgressStore, SeriesResult

log = logging.getLogger("processor")
settings = ProcessorSettings()
catalog = load_catalog(settings.catalog_path)

app = faust.App(
    settings.processor_app_id,
    broker=f"kafka://{settings.kafka_bootstrap}",
    store="memory://",
    datadir=str(settings.processor_data_dir),
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=1,
    producer_acks=-1,
    # Batch the results and reports a chunk sends (5 ms, up to 256 KB) instead of one produce request each:
    # +28% sustained in the bench (docs/benchmark.md).
    producer_linger=0.005,
    producer_max_batch_size=256 * 1024,
    consumer_auto_offset_reset="earliest",
    # A crashed worker's partitions move to a live one after this long, not Faust's default minute.
    broker_session_timeout=15.0,
    broker_heartbeat_interval=3.0,
    web_host=settings.processor_web_host,
    web_port=settings.processor_web_port,
    web_in_thread=False,
)

raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
batches_topic = app.topic(settings.topic_batches, partitions=settings.topic_partitions, **raw)
reports_topic = app.topic(settings.topic_reports, partitions=settings.topic_partitions, **raw)
results_topic = app.topic(settings.topic_results, partitions=settings.topic_partitions, **raw)
dead_letters_topic = app.topic(dead_letter_topic(settings.topic_reports), partitions=1, **raw)

_store: ProgressStore | None = None
_store_lock = asyncio.Lock()


def _retrying() -> AsyncRetrying:
    """PostgreSQL is down: say so, count it, and wait; the events stay unacknowledged in Kafka."""
    return database_retrying(settings.db_retry_max_wait_s, metrics.DB_RETRIES, log)


async def get_store() -> ProgressStore:
    """The store, opened on first use: waits (and says so) while PostgreSQL is not up yet."""
    global _store
    if _store is not None:  # the hot path: every chunk asks
        return _store
    async with _store_lock:
        if _store is None:
            pool = await open_pool_after_migrations(
                settings.database_url, catalog, settings.processor_db_pool_max, _retrying()
            )
            _store = ProgressStore(pool, catalog)
        return _store


async def send_all(topic: faust.TopicT, messages: list[tuple[bytes, bytes]]) -> None:
    """Send and wait until the broker has acknowledged every message (sent again while it is away)."""
    await send_acknowledged(topic, messages, log)


async def send_dead_letters(letters: list[DeadLetter]) -> None:
    await _send_dead_letters(dead_letters_topic, letters, metrics.DEAD_LETTERS, settings.processor_app_id, log)


@app.agent(batches_topic)
async def split_batches(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for payload in stream:
        try:
            batch = events.ReportBatch.FromString(payload)
        except DecodeError as error:
            metrics.UNDECODABLE.labels(settings.topic_batches).inc()
            await send_dead_letters([DeadLetter.of_event(stream.current_event, UNDECODABLE, error)])
            continue
        messages = []
        for report in batch.reports:
            if report.HasField("zone"):
                # One key for the registry: its reports stay in order on one partition, like a series'.
                messages.append((series_key(report.zone.code, ZONE_KEY), report.SerializeToString()))
                continue
            if report.HasField("project"):
                # A zone's projects on one partition, in order: each change recomputes the zone's figures.
                messages.append((series_key(report.project.zone, PROJECTS_KEY), report.SerializeToString()))
                continue
            payload_of = report.observation if report.HasField("observation") else report.target
            messages.append((series_key(payload_of.zone, payload_of.indicator), report.SerializeToString()))
        await send_all(reports_topic, messages)
        metrics.BATCHES_SPLIT.inc()
        yield None


async def store_with_retry(reports: Sequence[events.Report]) -> list[SeriesResult]:
    store = await get_store()
    async for attempt in _retrying():
        with attempt:
            started = time.perf_counter()
            results = await store.apply(reports)
            metrics.DB_WRITE_SECONDS.observe(time.perf_counter() - started)
    return results


def describe_report(report: events.Report) -> str:
    """Which report, for the log: the zone in repr, since a poison one may hold control characters."""
    if report.HasField("observation"):
        obs = report.observation
        what = f"observation {obs.zone!r} {obs.indicator} {obs.year}-{obs.month:02d}"
    elif report.HasField("zone"):
        what = f"zone {report.zone.code!r} ({report.zone.name_zh!r})"
    elif report.HasField("project"):
        what = f"project {report.project.id!r} of {report.project.zone!r}"
    else:
        kind = "growth target" if report.target.kind == "growth" else "target"
        what = f"{kind} {report.target.zone!r} {report.target.indicator} {report.target.year}"
    return f"{what} (batch {report.batch_id} row {report.row_index}, from {report.source!r})"


async def store_reports(chunk: list[faust.EventT]) -> None:
    """Store what can be stored of a chunk, dead-letter the rest, publish the results of what was stored."""
    outcome = await apply_or_dead_letter(
        chunk,
        events.Report.FromString,
        store_with_retry,
        noun="report",
        what=describe_report,
        on_undecodable=lambda: metrics.UNDECODABLE.labels(settings.topic_reports).inc(),
        log=log,
    )
    await send_dead_letters(outcome.letters)
    stored, results = outcome.applied, outcome.results
    committed_at = time.time()
    for report in stored:
        kind = report.WhichOneof("payload") or "target"
        metrics.REPORTS_CONSUMED.labels(kind).inc()
        metrics.LATENCY_SECONDS.observe(max(0.0, committed_at - from_timestamp(report.reported_at).timestamp()))
    await publish_results(results)


async def publish_results(results: Sequence[SeriesResult]) -> None:
    metrics.RESULTS_WRITTEN.inc(len(results))
    await send_all(
        results_topic,
        [
            (
                series_key(r.zone, r.indicator),
                progress_result(
                    r.zone, r.indicator, r.row, r.computed_at, frequency_of(r.indicator)
                ).SerializeToString(),
            )
            for r in results
        ],
    )
    metrics.RESULTS_PUBLISHED.inc(len(results))


def frequency_of(code: str) -> str:
    indicator = catalog.get(code)
    return "month" if indicator is None else indicator.frequency


@app.agent(reports_topic)
async def compute_progress(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for chunk in acked_chunks(stream, settings.take_max, settings.take_within_s):
        await store_reports(chunk)
        yield None


# The month whose derived figures were last refreshed (None: not since this worker started).
_refreshed_month: tuple[int, int] | None = None


@app.task
async def refresh_derived_figures_at_start() -> None:
    # A worker that was down over a month's turn catches up.
    await refresh_derived_figures()


@app.timer(interval=settings.processor_derived_refresh_s, on_leader=False)
async def refresh_derived_figures() -> None:
    """When a month begins (Asia/Shanghai), give every zone's project list its figures for it, though no project
    changed (and once at start). Every worker may do it: the store locks the series, the figures are the same,
    and the evaluator takes a result twice harmlessly."""
    global _refreshed_month
    store = await get_store()
    today = store.today()
    if _refreshed_month == (today.year, today.month):
        return
    async for attempt in _retrying():
        with attempt:
            results = await store.refresh_derived(today.year)
    await publish_results(results)
    _refreshed_month = (today.year, today.month)
    log.info(
        "derived figures of %d refreshed for %04d-%02d: %d results", today.year, today.year, today.month, len(results)
    )


consumer_lag = ConsumerLagMetric(
    ConsumerLagReader(settings.kafka_bootstrap, app.conf.id),
    consumed={settings.topic_batches, settings.topic_reports},
    lag=metrics.CONSUMER_LAG,
    read_at=metrics.CONSUMER_LAG_READ_AT,
    log=log,
)


serve_worker_endpoints(
    app, consumer_lag, settings.lag_refresh_s, required_topics={settings.topic_batches, settings.topic_reports}
)
