"""Start-up without a database: wait, say so, then fail with a clear error (no PostgreSQL needed)."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from query.config import QuerySettings
from query.main import DatabaseUnavailable, create_app, describe_database


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_describe_database_never_shows_the_password():
    assert (
        describe_database("postgresql://indicators:s3cret@db.example:6543/indicators") == "db.example:6543/indicators"
    )


def test_an_unreachable_database_is_awaited_then_named(caplog: pytest.LogCaptureFixture):
    port = unused_port()
    app = create_app(
        QuerySettings(
            database_url=f"postgresql://indicators:s3cret@127.0.0.1:{port}/indicators", db_connect_timeout_s=1.5
        )
    )

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with caplog.at_level(logging.WARNING, logger="query"), pytest.raises(DatabaseUnavailable) as raised:
        asyncio.run(start())
    where = f"127.0.0.1:{port}/indicators"
    assert f"PostgreSQL at {where} unreachable for 1.5 s" in str(raised.value)
    assert any(f"waiting for PostgreSQL at {where}" in record.getMessage() for record in caplog.records)
    assert "s3cret" not in str(raised.value) + caplog.text
