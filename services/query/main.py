"""The query API: progress against goals for boards (Grafana), alerts and people.

Read-only over the `progress` table that the processor keeps (the subscription API aside, with its own
small read-write pool). This module only wires the app: each router is a module of its own
(progress_api, alerts_api, board, subscriptions, health) and is given the settings, the catalog and the
repository through query.dependencies, which read what create_app and the lifespan put on app.state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from yoyo import read_migrations

from indicators_core.catalog import load_catalog
from indicators_core.db import MIGRATIONS_DIR, describe_database
from query import (
    alerts_api,
    batches_api,
    board,
    board_projects,
    board_rankings,
    health,
    progress_api,
    projects_api,
    rankings_api,
    subscriptions,
    zones_api,
)
from query.answer_cache import AnswerCache
from query.config import QuerySettings
from query.database import DatabaseUnavailable, open_database, open_subscriptions_pool
from query.metrics import RequestMetrics
from query.params import checked_query_text
from query.problems import document_problems, install_problem_handlers
from query.repository import ProgressRepository

# What callers of the service's entry point import from here (tests, the stack).
__all__ = ["DatabaseUnavailable", "create_app", "describe_database"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the read-only pool (migrating first, waiting for PostgreSQL), then the subscription API's pool."""
    settings: QuerySettings = app.state.settings
    pool = await open_database(settings, app.state.catalog)
    try:
        app.state.repository = ProgressRepository(pool)
        app.state.subscriptions_pool = await open_subscriptions_pool(settings)
        try:
            yield
        finally:
            await app.state.subscriptions_pool.close()
    finally:
        await pool.close()


def create_app(settings: QuerySettings | None = None) -> FastAPI:
    app = FastAPI(
        title="Development-zone indicators: query",
        description=(
            "Progress of every zone and indicator against its annual target and time progress (序时进度). "
            "Percentages are rounded half up (四舍五入); values are exactly as stored; null means unknown, never zero."
        ),
        version="1.0",
        lifespan=lifespan,
        # Every route, the board and the subscription API included: one check of every query parameter.
        dependencies=[Depends(checked_query_text)],
    )
    app.state.settings = settings = settings or QuerySettings()
    # Loaded once, for every router (query.dependencies.CatalogDep).
    app.state.catalog = load_catalog(settings.catalog_path)
    app.state.answer_cache = AnswerCache()
    app.state.expected_migrations = [migration.id for migration in read_migrations(str(MIGRATIONS_DIR))]
    app.add_middleware(RequestMetrics)
    install_problem_handlers(app)
    routers = (
        subscriptions.router,
        board.router,
        board_rankings.router,
        board_projects.router,
        alerts_api.router,
        progress_api.router,
        zones_api.router,
        projects_api.router,
        rankings_api.router,
        batches_api.router,
        health.router,
    )
    for router in routers:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
