"""What every Faust worker of the project shares (processor, alerts): waiting out a database
outage with the events held in Kafka, the pool opened after the migrations, and the operational
endpoints (/metrics, /healthz, /readyz, consumer lag)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any

import faust
from faust.exceptions import ConsumerNotStarted
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from tenacity import AsyncRetrying, RetryCallState, before_sleep_log, retry_if_exception, wait_exponential

from indicators_core.catalog import Catalog
from indicators_core.consumer_lag import ConsumerLagMetric
from indicators_core.db import PLAN_CACHE_MODE, apply_migrations
from indicators_core.dead_letters import is_transient


def database_retrying(max_wait_s: float, retries: Counter, worker_log: logging.Logger) -> AsyncRetrying:
    """Retry a transaction from the start while PostgreSQL is unreachable (or read-only, or refusing the
    worker's role: `dead_letters.is_transient`), for ever: the events stay unacknowledged in Kafka
    meanwhile, so waiting loses nothing. Each wait is said and counted. Any other error is raised."""
    log_retry = before_sleep_log(worker_log, logging.WARNING)

    def before_retry(retry_state: RetryCallState) -> None:
        retries.inc()
        log_retry(retry_state)

    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        wait=wait_exponential(max=max_wait_s),
        before_sleep=before_retry,
    )


async def plan_per_execution(conn: AsyncConnection[Any]) -> None:
    """Each new connection of a worker's pool: indicators_core.db.PLAN_CACHE_MODE, set in the session rather
    than as a startup option, which PgBouncer refuses unless told to ignore it."""
    await conn.execute("SELECT set_config('plan_cache_mode', %s, false)", (PLAN_CACHE_MODE,))
    await conn.commit()


async def open_pool_after_migrations(
    database_url: str, catalog: Catalog, pool_max: int, retrying: AsyncRetrying
) -> AsyncConnectionPool:
    """Apply pending migrations (retried by `retrying` while PostgreSQL is not up yet), then open a pool."""
    async for attempt in retrying:
        with attempt:
            await asyncio.to_thread(apply_migrations, database_url, catalog)
    pool = AsyncConnectionPool(database_url, min_size=1, max_size=pool_max, open=False, configure=plan_per_execution)
    await pool.open(wait=True, timeout=60)
    return pool


def restore_root_level(root: logging.Logger) -> int:
    """Put the root logger back at the level its own handlers were given; returns that level.

    Faust's worker sets the root logger to DEBUG when its level is WARN or above, so that its terminal
    spinner turns on every record; the handlers still print only WARN and above. Every debug call of
    Faust and aiokafka then builds a record nobody prints: 9% of the processor's time under load
    (py-spy, docs/benchmark.md). The spinner is a terminal nicety; our workers log to files.
    """
    levels = [handler.level for handler in root.handlers if type(handler).__name__ != "SpinnerHandler"]
    if levels and root.level < min(levels):
        root.setLevel(min(levels))
    return root.level


def serve_worker_endpoints(
    app: faust.App, consumer_lag: ConsumerLagMetric, lag_refresh_s: float, required_topics: Collection[str]
) -> None:
    """/metrics, /healthz, /readyz (ready once partitions of every required topic are assigned) and the
    consumer-lag gauges, refreshed every `lag_refresh_s` for the pipeline-health board and its alerts."""

    @app.task
    async def keep_root_logger_at_its_level() -> None:
        restore_root_level(logging.getLogger())

    @app.timer(interval=lag_refresh_s)
    async def refresh_consumer_lag() -> None:
        try:
            assigned = [(tp.topic, tp.partition) for tp in app.consumer.assignment()]
        except ConsumerNotStarted:
            return
        await consumer_lag.refresh(assigned)

    # Faust awaits async receivers; its annotation of connect() does not say so.
    @app.on_before_shutdown.connect  # type: ignore[arg-type]
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
        try:
            assigned = {tp.topic for tp in app.consumer.assignment()}
        except Exception as error:  # the consumer is not started yet
            return self.json({"status": "starting", "reason": str(error)}, status=503)
        if set(required_topics) <= assigned:
            return self.json({"status": "ready", "topics": sorted(assigned)})
        return self.json({"status": "starting", "topics": sorted(assigned)}, status=503)


async def acked_chunks(stream: Any, take_max: int, within_s: float) -> AsyncIterator[list[Any]]:
    """Chunks of a Faust stream, each acked only when the loop over them asks for the next one.

    Not `take`: it acks its buffer whenever the agent's iteration ends, a crash or a shutdown mid-retry
    included. Here an event is acked only after the body handled its chunk (stored or dead-lettered);
    a chunk the body did not finish is delivered again after a restart.
    """
    async for chunk in stream.noack_take(take_max, within=within_s):
        yield list(chunk)
        for event in chunk:
            await stream.ack(event)


async def pipelined_chunks(
    stream: Any, take_max: int, within_s: float, handle: Callable[[list[Any]], Awaitable[None]], in_flight: int
) -> AsyncIterator[None]:
    """Chunks of a Faust stream handled up to `in_flight` at once, each acked when its own work is done.

    The next chunk is taken, and its work begun, while the last one waits on the database: one worker's Python
    and PostgreSQL's work overlap instead of taking turns (a processor chunk is mostly one or the other). As in
    acked_chunks, an event is acked only after its chunk was handled, so a crash or a shutdown replays what was
    not finished; Faust commits an offset only when every earlier one is acked. The first failure is raised here,
    at the next chunk taken; the other chunks in flight are cancelled (their transactions roll back, their events
    unacked).
    """
    running: set[asyncio.Task[None]] = set()

    async def handled(chunk: list[Any]) -> None:
        await handle(chunk)
        for event in chunk:
            await stream.ack(event)

    async def settle(limit: int) -> None:
        """Until at most `limit` chunks are in flight, raising the first failure."""
        nonlocal running
        while len(running) > limit:
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()

    try:
        async for taken in stream.noack_take(take_max, within=within_s):
            chunk = list(taken)
            for task in [task for task in running if task.done()]:  # finished meanwhile: a failure is raised
                running.discard(task)
                task.result()
            running.add(asyncio.ensure_future(handled(chunk)))
            await settle(in_flight - 1)
            yield None
        await settle(0)
    finally:
        # Left early (a failure, a shutdown): what is still in flight is cancelled, its events unacked.
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
