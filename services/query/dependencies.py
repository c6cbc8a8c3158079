"""What the routes are given (FastAPI dependencies): the settings, the catalog and the database, read from app.state.

create_app sets the settings and the catalog once (the catalog is loaded once, for every router), and the
lifespan sets the pools once PostgreSQL is reachable. A route names what it needs (`catalog: CatalogDep`), so
no router builds or loads anything itself and each can be given another app's state in a test.
Each is `async def` although none waits: a plain `def` dependency runs in FastAPI's thread pool, a thread hand-off
per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from indicators_core.catalog import Catalog
from query.answer_cache import AnswerCache
from query.config import QuerySettings
from query.repository import ProgressRepository


async def app_settings(request: Request) -> QuerySettings:
    settings: QuerySettings = request.app.state.settings
    return settings


async def app_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


async def app_repository(request: Request) -> ProgressRepository:
    """The read-only repository over the service's read-only pool."""
    repository: ProgressRepository = request.app.state.repository
    return repository


async def answer_cache(request: Request) -> AnswerCache:
    cache: AnswerCache = request.app.state.answer_cache
    return cache


async def subscriptions_pool(request: Request) -> AsyncConnectionPool:
    """The small read-write pool of the subscription API (the service's own pool is read-only)."""
    pool: AsyncConnectionPool = request.app.state.subscriptions_pool
    return pool


SettingsDep = Annotated[QuerySettings, Depends(app_settings)]
CatalogDep = Annotated[Catalog, Depends(app_catalog)]
RepositoryDep = Annotated[ProgressRepository, Depends(app_repository)]
AnswerCacheDep = Annotated[AnswerCache, Depends(answer_cache)]
SubscriptionsPoolDep = Annotated[AsyncConnectionPool, Depends(subscriptions_pool)]
