"""Two transactions storing versions of one project at once (two chunks in flight, or two workers: a project that
moves zone moves partition) both recompute every zone the project leaves: the version a transaction replaces is
read under the project's own lock, after the other transaction committed.

The schedule is forced with the series' own locks, held by the test: version 1 (zone 乙) is read and waits on
乙's series; version 2 (zone 丙, later) is begun and waits too; 乙 is released first, so version 1 commits before
version 2 reads what it replaces. Read too early, version 2 would replace the first version (zone 甲) and leave
乙 counting a project that is no longer there."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from indicators_core import events
from indicators_core.catalog import load_catalog
from ingest.projects import validate_projects
from ingest.publisher import build_batch
from processor.projects_store import PROJECT_SERIES, PROJECTS_KEY
from processor.store import ProgressStore

pytestmark = pytest.mark.anyio

ZONES = {"first": "版本甲区", "second": "版本乙区", "third": "版本丙区"}
REPORTED_AT = datetime(2017, 7, 1, 9, 0, tzinfo=UTC)
LOCK_KEYS = "SELECT count({}(hashtextextended(key, 0))) FROM unnest(%s::text[]) AS key"


def version(zone: str, minutes: int) -> list[events.Report]:
    row = {
        "id": "版本-P1",
        "zone": zone,
        "name": "版本一号项目",
        "total_investment": "2",
        "unit": "亿元",
        "stages": {"meeting": "2017-01-05", "signed": "2017-02-10"},
    }
    rows = validate_projects({"projects": [row]}, date(2017, 12, 31), 10)
    return list(build_batch(rows, "versions-test", REPORTED_AT + timedelta(minutes=minutes)).reports)


def series_keys(zone: str) -> list[str]:
    catalog = load_catalog()
    return [f"{zone}|{code}" for code in PROJECT_SERIES if catalog.get(code) is not None] + [f"{zone}|{PROJECTS_KEY}"]


async def lock_waits(conn: psycopg.AsyncConnection, count: int) -> None:
    """Until `count` transactions wait on an advisory lock."""
    for _ in range(600):
        cursor = await conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        row = await cursor.fetchone()
        if row is not None and row[0] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} transaction(s) never waited on a lock")


def signed(database: str, zone: str) -> list[tuple[int, object]]:
    """projects_signed of 2017 in `zone`, by month, as stored."""
    with psycopg.connect(database) as conn:
        return conn.execute(
            "SELECT month, ytd_value FROM progress WHERE zone = %s AND indicator = 'projects_signed' AND year = 2017 "
            "ORDER BY month",
            (zone,),
        ).fetchall()


async def test_a_version_stored_beside_another_recomputes_the_zone_the_other_moved_it_to(database: str):
    async with AsyncConnectionPool(database, min_size=3, max_size=3, open=False) as pool:
        await pool.wait(timeout=30)
        store = ProgressStore(pool, load_catalog())
        await store.apply(version(ZONES["first"], 0))
        assert signed(database, ZONES["first"])[1] == (2, 1)  # 1-2月: the project signed on February 10th

        holder = await psycopg.AsyncConnection.connect(database, autocommit=True)
        try:
            await holder.execute(LOCK_KEYS.format("pg_advisory_lock"), (series_keys(ZONES["second"]),))
            await holder.execute(LOCK_KEYS.format("pg_advisory_lock"), (series_keys(ZONES["third"]),))
            moved = asyncio.ensure_future(store.apply(version(ZONES["second"], 1)))
            await lock_waits(holder, 1)
            moved_again = asyncio.ensure_future(store.apply(version(ZONES["third"], 2)))
            await lock_waits(holder, 2)
            await holder.execute(LOCK_KEYS.format("pg_advisory_unlock"), (series_keys(ZONES["second"]),))
            await asyncio.wait_for(moved, 60)
            await holder.execute(LOCK_KEYS.format("pg_advisory_unlock"), (series_keys(ZONES["third"]),))
            await asyncio.wait_for(moved_again, 60)
        finally:
            await holder.close()

    # The project is in 丙 alone: 甲 and 乙 count none of it, whichever month.
    assert [value for month, value in signed(database, ZONES["third"]) if month >= 2] == [1] * 11
    assert all(value == 0 for _, value in signed(database, ZONES["first"]))
    assert all(value == 0 for _, value in signed(database, ZONES["second"]))
