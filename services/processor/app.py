"""The Faust application: the processor's agents.

1. `compute_progress` takes accepted upstream batches (one message per HTTP request, as ingest published it)
   straight from the batches topic, several at a time. Their reports are stored and the affected series
   recomputed in transactions of up to take_max reports; each transaction's results are published while the
   next one runs. A chunk the database or the arithmetic refuses (not an outage: that is waited out) is
   bisected until the offending reports stand alone; each goes to `<reports topic>.dead-letter` with the
   reason as a batch of that one report (indicators_core.dead_letters), and every other report is stored and
   published.
2. `compute_reports` does the same for single reports on the reports topic: those a dead-letter replay sends
   there, and those an earlier version of the processor fanned out to it (it took batches apart there first,
   which cost every report a second pass through Kafka).

Reports of one series may be handled by two workers at once (batches are spread over the partitions by batch
id): the store takes the series' locks and keeps the latest report by (reported_at, batch, row) in whatever
order they come, and the evaluator judges the stored figures, not the order of the results.

Offsets are committed only after an event is fully handled (a chunk's events are acked by hand once every
report in it is stored or dead-lettered, the broker having acknowledged the dead letters and the results), so
a crash replays rather than loses, and the store makes a replay harmless.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
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
    PendingSends,
    apply_isolating,
    apply_or_dead_letter,
    dead_letter_topic,
)
from indicators_core.dead_letters import send_dead_letters as _send_dead_letters
from indicators_core.events import epoch_seconds, progress_result_messages
from indicators_core.faust_worker import (
    acked_chunks,
    database_retrying,
    open_pool_after_migrations,
    pipelined_chunks,
    serve_worker_endpoints,
)
from indicators_core.topics import series_key
from processor import metrics
from processor.config import ProcessorSettings
from processor.store import ProgressStore, SeriesResult, analyze_grown_tables

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


async def send_dead_letters(letters: list[DeadLetter]) -> None:
    await _send_dead_letters(dead_letters_topic, letters, metrics.DEAD_LETTERS, settings.processor_app_id, log)


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
    """Store what can be stored of a chunk of single reports, dead-letter the rest, publish the results."""
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
    count_stored(outcome.applied)
    results = PendingSends(results_topic, log)
    await queue_results(results, outcome.results)
    await results.acknowledged()
    metrics.RESULTS_PUBLISHED.inc(len(outcome.results))


async def store_batches(chunk: list[faust.EventT]) -> None:
    """Store every report of a chunk of batches, take_max reports per transaction, each transaction's results
    sent while the next one runs; dead-letter what cannot be stored. Returns once every result and dead
    letter is acknowledged by the broker, so that the batches can be acked."""
    letters: list[DeadLetter] = []
    reports: list[tuple[tuple[faust.EventT, events.ReportBatch], events.Report]] = []
    for event in chunk:
        try:
            batch = events.ReportBatch.FromString(event.value)
        except DecodeError as error:
            metrics.UNDECODABLE.labels(settings.topic_batches).inc()
            letters.append(DeadLetter.of_event(event, UNDECODABLE, error))
            continue
        reports.extend(((event, batch), report) for report in batch.reports)
    results = PendingSends(results_topic, log)
    published = 0
    for first in range(0, len(reports), settings.take_max):
        outcome = await apply_isolating(
            reports[first : first + settings.take_max],
            store_with_retry,
            letter_of=report_dead_letter,
            noun="report",
            what=describe_report,
            log=log,
        )
        letters.extend(outcome.letters)
        count_stored(outcome.applied)
        await queue_results(results, outcome.results)
        published += len(outcome.results)
    await send_dead_letters(letters)
    await results.acknowledged()
    metrics.RESULTS_PUBLISHED.inc(published)
    metrics.BATCHES_CONSUMED.inc(len(chunk))


def report_dead_letter(
    origin: tuple[faust.EventT, events.ReportBatch], report: events.Report, reason: str, error: Exception
) -> DeadLetter:
    """A report of a batch that cannot be stored: a batch of that one report, said to come from where its batch
    was consumed, so that a replay sends it back to the batches topic."""
    event, batch = origin
    alone = events.ReportBatch(batch_id=batch.batch_id, source=batch.source, reports=[report])
    alone.reported_at.CopyFrom(batch.reported_at)
    return dataclasses.replace(DeadLetter.of_event(event, reason, error), value=alone.SerializeToString())


def count_stored(stored: Sequence[events.Report]) -> None:
    committed_at = time.time()
    kinds: Counter[str] = Counter()
    for report in stored:
        kinds[report.WhichOneof("payload") or "target"] += 1
        metrics.LATENCY_SECONDS.observe(max(0.0, committed_at - epoch_seconds(report.reported_at)))
    for kind, count in kinds.items():
        metrics.REPORTS_CONSUMED.labels(kind).inc(count)


async def queue_results(pending: PendingSends, results: Sequence[SeriesResult]) -> None:
    """One transaction's results, RESULTS_PER_MESSAGE to a message: a message per result cost the processor a
    quarter of its time in the producer and the evaluator two fifths in Faust's per-event work."""
    metrics.RESULTS_WRITTEN.inc(len(results))
    if not results:
        return
    messages = progress_result_messages(
        [(r.zone, r.indicator, r.row, r.computed_at, frequency_of(r.indicator)) for r in results]
    )
    # Keyed by the first result's series: the messages spread over the partitions (and the evaluator's workers),
    # which judge the stored figures in whatever order the results come.
    await pending.add([(series_key(zone, indicator), value) for (zone, indicator), value in messages])


async def publish_results(results: Sequence[SeriesResult]) -> None:
    pending = PendingSends(results_topic, log)
    await queue_results(pending, results)
    await pending.acknowledged()
    metrics.RESULTS_PUBLISHED.inc(len(results))


def frequency_of(code: str) -> str:
    indicator = catalog.get(code)
    return "month" if indicator is None else indicator.frequency


@app.agent(batches_topic)
async def compute_progress(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for _ in pipelined_chunks(
        stream,
        settings.processor_batches_take_max,
        settings.take_within_s,
        store_batches,
        settings.processor_chunks_in_flight,
    ):
        yield None


@app.agent(reports_topic)
async def compute_reports(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
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


@app.timer(interval=settings.processor_analyze_check_s, on_leader=False)
async def refresh_table_statistics() -> None:
    """Keep the planner's row counts up with a burst (store.GROWING_TABLES): every worker may, an ANALYZE beside
    another waits for it."""
    try:
        store = await get_store()
        analyzed = await analyze_grown_tables(store.pool)
    except Exception as error:
        # Statistics are an optimisation: a refusal (a role that may not ANALYZE) or an outage is said, not fatal.
        log.warning("table statistics not refreshed: %s", error)
        return
    if analyzed:
        log.info("statistics refreshed for %s", ", ".join(analyzed))


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
