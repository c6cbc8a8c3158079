"""The notifier as a service: the sending loop, with /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from yoyo import read_migrations

from indicators_core.catalog import load_catalog
from indicators_core.db import MIGRATIONS_DIR, apply_migrations_when_reachable, describe_database
from notifier.config import NotifierSettings
from notifier.guarded_http import guarded_client
from notifier.sender import Notifier

log = logging.getLogger("notifier")


async def open_database(settings: NotifierSettings) -> AsyncConnectionPool:
    """Apply pending migrations (the notifier may start first) and open the pool, waiting while PostgreSQL is not up."""
    where = describe_database(settings.database_url)
    catalog = load_catalog(settings.catalog_path)
    await apply_migrations_when_reachable(settings.database_url, catalog, settings.notifier_db_connect_timeout_s, log)
    # Each delivery uses a connection briefly before and after sending (never during).
    pool = AsyncConnectionPool(
        settings.database_url,
        min_size=1,
        max_size=4,
        timeout=10,
        open=False,
        name="notifier",
        check=AsyncConnectionPool.check_connection,
    )
    await pool.open(wait=True, timeout=settings.notifier_db_connect_timeout_s)
    log.info("connected to PostgreSQL at %s", where)
    allowed = ", ".join(str(network) for network in settings.notify_allow_networks) or "none"
    log.info("notification targets: public addresses, and the allowed networks: %s", allowed)
    return pool


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    catalog = load_catalog(settings.catalog_path)
    expected_migrations = [migration.id for migration in read_migrations(str(MIGRATIONS_DIR))]
    database = describe_database(settings.database_url)
    # The loop passes through at least once per poll interval (or per claim round).
    stale_after_s = max(10.0, 5 * settings.notifier_poll_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_database(settings)
        stopping = asyncio.Event()
        # Every webhook and robot message goes through the SSRF guard, checked where the connection is made.
        async with guarded_client(settings.notify_allow_networks, settings.notifier_send_timeout_s) as http:
            notifier = Notifier(settings, pool, catalog, http)
            loop = asyncio.create_task(notifier.run(stopping), name="notifier-loop")
            app.state.notifier, app.state.loop, app.state.pool = notifier, loop, pool
            try:
                yield
            finally:
                stopping.set()
                await loop
                await pool.close()

    app = FastAPI(title="Development-zone indicators: notifier", version="1.0", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> Response:
        loop: asyncio.Task[None] = request.app.state.loop
        if loop.done() or not request.app.state.notifier.loop_alive(stale_after_s):
            return JSONResponse({"detail": "the sending loop is not running"}, status_code=503)
        try:
            async with request.app.state.pool.connection(timeout=2) as conn:
                cursor = await conn.execute("SELECT migration_id FROM _yoyo_migration")
                applied = {row[0] for row in await cursor.fetchall()}
        except (psycopg.Error, PoolTimeout) as error:
            return JSONResponse(
                {"detail": f"PostgreSQL at {database} is unreachable ({type(error).__name__})"}, status_code=503
            )
        missing = [m for m in expected_migrations if m not in applied]
        if missing:
            return JSONResponse(
                {"detail": f"PostgreSQL at {database} lacks migrations {', '.join(missing)}"}, status_code=503
            )
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        try:
            await request.app.state.notifier.refresh_outbox_gauges()
        except (psycopg.Error, PoolTimeout) as error:
            # The counters still answer; the outbox gauges keep their last values.
            log.warning("outbox gauges not refreshed: %s", error)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
