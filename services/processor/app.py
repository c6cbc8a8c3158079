"""The Faust application: two agents.

1. `split_batches` fans each accepted upstream batch out to the reports topic,
   keyed by zone and indicator, so every report of one series lands on one
   partition, in order.
2. `compute_progress` takes reports in chunks, stores them and recomputes the
   affected series in one database transaction, then publishes the results.

Offsets are committed only after an event is fully handled (Faust acks after
the agent's iteration; `take` acks a chunk after it is processed), so a crash
replays rather than loses, and the store makes a replay harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import faust
import psycopg
from faust.exceptions import ConsumerNotStarted
from google.protobuf.message import DecodeError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import AsyncConnectionPool
from tenacity import AsyncRetrying, RetryCallState, before_sleep_log, retry_if_exception_type, wait_exponential

from indicators_core import events
from indicators_core.catalog import load_catalog
from indicators_core.consumer_lag import ConsumerLagMetric, ConsumerLagReader
from indicators_core.db import apply_migrations
from indicators_core.events import from_timestamp, progress_result
from indicators_core.topics import series_key
from processor import metrics
from processor.config import ProcessorSettings
from processor.store import ProgressStore, SeriesResult

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
    consumer_auto_offset_reset="earliest",
    # A crashed worker's partitions move to a live one after this long, not Faust's default minute.
    broker_session_timeout=15.0,
    broker_heartbeat_interval=3.0,
    web_host=settings.processor_web_host,
    web_port=settings.processor_web_port,
    web_in_thread=False,
)

raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
batches_topic = app.topic(settings.topic_batches, partitions=settings.topic_partitions, **raw)
reports_topic = app.topic(settings.topic_reports, partitions=settings.topic_partitions, **raw)
results_topic = app.topic(settings.topic_results, partitions=settings.topic_partitions, **raw)
dead_letter_topic = app.topic(f"{settings.topic_reports}.dead-letter", partitions=1, **raw)

_store: ProgressStore | None = None
_log_retry = before_sleep_log(log, logging.WARNING)


def _before_retry(retry_state: RetryCallState) -> None:
    """PostgreSQL is down: say so, count it, and wait; the events stay unacknowledged in Kafka."""
    metrics.DB_RETRIES.inc()
    _log_retry(retry_state)


_store_lock = asyncio.Lock()


async def get_store() -> ProgressStore:
    """The store, opened on first use: waits (and says so) while PostgreSQL is not up yet."""
    global _store
    if _store is not None:  # the hot path: every chunk asks
        return _store
    async with _store_lock:
        if _store is None:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(psycopg.OperationalError),
                wait=wait_exponential(max=settings.db_retry_max_wait_s),
                before_sleep=_before_retry,
            ):
                with attempt:
                    await asyncio.to_thread(apply_migrations, settings.database_url, catalog)
            pool = AsyncConnectionPool(settings.database_url, min_size=1, max_size=settings.db_pool_max, open=False)
            await pool.open(wait=True, timeout=60)
            _store = ProgressStore(pool, catalog)
        return _store


async def send_all(topic: faust.TopicT, messages: list[tuple[bytes, bytes]]) -> None:
    """Send and wait until the broker has acknowledged every message."""
    pending = [await topic.send(key=key, value=value) for key, value in messages]
    await asyncio.gather(*pending)


@app.agent(batches_topic)
async def split_batches(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for payload in stream:
        try:
            batch = events.ReportBatch.FromString(payload)
        except DecodeError:
            metrics.UNDECODABLE.labels(settings.topic_batches).inc()
            log.error("undecodable message on %s; sent to the dead-letter topic", settings.topic_batches)
            await send_all(dead_letter_topic, [(b"", payload)])
            continue
        messages = []
        for report in batch.reports:
            payload_of = report.observation if report.HasField("observation") else report.target
            messages.append((series_key(payload_of.zone, payload_of.indicator), report.SerializeToString()))
        await send_all(reports_topic, messages)
        metrics.BATCHES_SPLIT.inc()
        yield None


async def store_with_retry(reports: list[events.Report]) -> list[SeriesResult]:
    store = await get_store()
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(psycopg.OperationalError),
        wait=wait_exponential(max=settings.db_retry_max_wait_s),
        before_sleep=_before_retry,
    ):
        with attempt:
            started = time.perf_counter()
            results = await store.apply(reports)
            metrics.DB_WRITE_SECONDS.observe(time.perf_counter() - started)
    return results


@app.agent(reports_topic)
async def compute_progress(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for payloads in stream.take(settings.take_max, within=settings.take_within_s):
        reports: list[events.Report] = []
        for payload in payloads:
            try:
                reports.append(events.Report.FromString(payload))
            except DecodeError:
                metrics.UNDECODABLE.labels(settings.topic_reports).inc()
                log.error("undecodable message on %s; sent to the dead-letter topic", settings.topic_reports)
                await send_all(dead_letter_topic, [(b"", payload)])
        if not reports:
            continue
        results = await store_with_retry(reports)
        committed_at = time.time()
        for report in reports:
            kind = "observation" if report.HasField("observation") else "target"
            metrics.REPORTS_CONSUMED.labels(kind).inc()
            metrics.LATENCY_SECONDS.observe(max(0.0, committed_at - from_timestamp(report.reported_at).timestamp()))
        metrics.RESULTS_WRITTEN.inc(len(results))
        await send_all(
            results_topic,
            [
                (
                    series_key(r.zone, r.indicator),
                    progress_result(r.zone, r.indicator, r.row, r.computed_at).SerializeToString(),
                )
                for r in results
            ],
        )
        metrics.RESULTS_PUBLISHED.inc(len(results))
        yield None


consumer_lag = ConsumerLagMetric(
    ConsumerLagReader(settings.kafka_bootstrap, app.conf.id),
    consumed={settings.topic_batches, settings.topic_reports},
    lag=metrics.CONSUMER_LAG,
    read_at=metrics.CONSUMER_LAG_READ_AT,
    log=log,
)


@app.timer(interval=settings.lag_refresh_s)
async def refresh_consumer_lag() -> None:
    """Lag of this worker's partitions of the topics it consumes, for the pipeline-health board and alerts."""
    try:
        assigned = [(tp.topic, tp.partition) for tp in app.consumer.assignment()]
    except ConsumerNotStarted:
        return
    await consumer_lag.refresh(assigned)


@app.on_before_shutdown.connect
async def close_lag_reader(sender: faust.App, **kwargs: Any) -> None:
    await consumer_lag.close()


@app.page("/metrics")
async def metrics_page(self: Any, request: Any) -> Any:
    # aiohttp refuses a charset inside content_type; the full header goes in as a header.
    return self.bytes(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


@app.page("/healthz")
async def healthz_page(self: Any, request: Any) -> Any:
    return self.json({"status": "ok"})


@app.page("/readyz")
async def readyz_page(self: Any, request: Any) -> Any:
    """Ready once the consumer has partitions of the reports topic assigned."""
    try:
        assigned = {tp.topic for tp in app.consumer.assignment()}
    except Exception as error:  # the consumer is not started yet
        return self.json({"status": "starting", "reason": str(error)}, status=503)
    if settings.topic_reports in assigned and settings.topic_batches in assigned:
        return self.json({"status": "ready", "topics": sorted(assigned)})
    return self.json({"status": "starting", "topics": sorted(assigned)}, status=503)
