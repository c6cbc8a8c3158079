"""A service's FastAPI app called in-process: its lifespan run (migrations, pool, catalog), requests through
httpx's ASGI transport, no socket and no port. For what a process test cannot reach or time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI

from query.config import QuerySettings
from query.main import create_app


@asynccontextmanager
async def in_process(app: FastAPI, base_url: str, timeout: float = 5.0) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app`, started as uvicorn starts it and stopped on exit."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=timeout) as client:
            yield client


def query_api(settings: QuerySettings, timeout: float = 5.0) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """A client of the query service configured by `settings`."""
    return in_process(create_app(settings), "http://query", timeout)
