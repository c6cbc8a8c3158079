"""A wall screen must outlive a database outage: while PostgreSQL is down /board answers an HTML page that
keeps refreshing (not JSON a browser would show forever), and shows the board again once it is back.

A PostgreSQL of its own (the session's is shared), stopped and started for real; the app runs in-process.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from query.config import QuerySettings
from stack.postgres import PostgresServer
from tests.board.reading import read_board
from tests.in_process import query_api

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


async def test_board_during_a_database_outage_says_so_and_retries():
    # A folder of our own rather than pytest's tmp_path: a concurrent pytest session on the same machine may
    # prune old basetemp folders, and a cluster whose folder vanished can no longer be stopped by pg_ctl.
    with tempfile.TemporaryDirectory(prefix="board-outage-") as folder:
        await _outage(PostgresServer(Path(folder) / "postgres"))


async def _outage(server: PostgresServer) -> None:
    server.start()
    try:
        settings = QuerySettings(database_url=server.create_database("board_outage"), db_pool_timeout_s=1.0)
        async with query_api(settings, timeout=30) as client:
            up = await client.get("/board")
            assert up.status_code == 200
            assert read_board(up.text).texts["empty"].startswith("暂无数据")  # nothing ingested: not an error

            unavailable_before = await board_503s(client)
            server.stop()
            with pytest.raises(psycopg.OperationalError):  # really down
                psycopg.connect(server.url("postgres"), connect_timeout=3).close()
            down = await client.get("/board")
            assert down.status_code == 503
            assert down.headers["content-type"] == "text/html; charset=utf-8"
            assert down.headers["retry-after"] == "15"
            assert '<meta http-equiv="refresh" content="15">' in down.text
            assert read_board(down.text).texts["unavailable"].startswith("数据库暂不可用（503）")

            server.start()
            answered_503 = 1
            deadline = time.monotonic() + 30
            while (again := await client.get("/board")).status_code == 503 and time.monotonic() < deadline:
                answered_503 += 1  # the pool may need a moment to reconnect
                await asyncio.sleep(0.5)
            assert again.status_code == 200, again.text
            assert await board_503s(client) - unavailable_before == answered_503
    finally:
        server.stop()


async def board_503s(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    match = re.search(
        r'^indicators_query_requests_total\{method="GET",route="/board",status="503"\} (\S+)$', text, re.M
    )
    return float(match.group(1)) if match else 0.0
