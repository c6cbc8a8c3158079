"""The ingest API: upstream systems post monthly statistics and annual targets here.

This module only wires the app: the routes are module-level routers (reports_api, health) given the
app's IngestContext (ingest.context) and the request's writer through ingest.dependencies; the path of a
write is ingest.acceptance, its refusals ingest.problems.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from ingest import health, metrics, projects_api, reports_api, templates_api, zones_api
from ingest.config import IngestSettings
from ingest.context import IngestContext, build_context
from ingest.history import StoredHistory
from ingest.problems import install_problem_handlers
from ingest.publisher import BatchPublisher, BrokerUnavailable
from ingest.schemas import with_catalog_codes

log = logging.getLogger("ingest")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    context: IngestContext = app.state.ingest
    settings = context.settings
    if settings.admin_key_generated:
        assert settings.admin_key is not None  # noqa: S101
        log.warning("no INDICATORS_ADMIN_KEY set; generated admin key: %s", settings.admin_key.get_secret_value())
    try:
        await run_in_threadpool(context.publisher.connect)
    except BrokerUnavailable as error:
        # Start anyway: requests answer 503 until the broker is back.
        log.warning("%s; batches will be refused with 503 until it is reachable", error)
    context.history.open()  # connects in the background: ingest never waits for PostgreSQL to start
    yield
    await run_in_threadpool(context.publisher.close)
    await run_in_threadpool(context.history.close)
    await run_in_threadpool(context.zones.close)


def create_app(
    settings: IngestSettings | None = None,
    publisher: BatchPublisher | None = None,
    history: StoredHistory | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Development-zone indicators: ingest",
        description="Upstream systems post monthly statistics and annual targets. A batch is all-or-nothing.",
        version="1.0",
        lifespan=lifespan,
    )
    app.state.ingest = context = build_context(settings or IngestSettings(), publisher, history)
    metrics.start_sources(writer.source for writer in context.writers)
    install_problem_handlers(app)
    for router in (reports_api.router, zones_api.router, projects_api.router, templates_api.router, health.router):
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = with_catalog_codes(spec, context.catalog)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
