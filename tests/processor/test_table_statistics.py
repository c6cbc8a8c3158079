"""A burst that grows `observations` far beyond its last statistics has them refreshed by the processor
(store.analyze_grown_tables), so that a batch's reads go by the key again rather than by a scan of every row.

Against a real PostgreSQL: 100 rows analyzed, then 5,000 more (a fresh installation loading its history)."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from ingest.history import SELECT_SERIES
from processor.store import analyze_grown_tables

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

INSERT = """
INSERT INTO observations (zone, indicator, period, basis, value, reported_unit, source, batch_id, row_index, reported_at)
SELECT '统计区' || z, 'industrial_output', make_date(2016 + m / 12, m %% 12 + 1, 1), 'ytd', m, '亿元', 'test',
       gen_random_uuid(), 0, now()
FROM generate_series(%s::int, %s::int) z, generate_series(0, 99) m
"""


def statistics(conn: psycopg.Connection) -> tuple[float, int]:
    """The planner's row count of observations, and the rows changed since its last ANALYZE."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    found = conn.execute(
        "SELECT c.reltuples, s.n_mod_since_analyze FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
        "WHERE c.relname = 'observations' AND s.schemaname = current_schema()"
    ).fetchone()
    assert found is not None
    return float(found[0]), int(found[1])


def plan_of_a_batch_read(conn: psycopg.Connection) -> str:
    rows = conn.execute("EXPLAIN " + SELECT_SERIES, (["统计区7"], ["industrial_output"], [2023], [2024])).fetchall()
    return "\n".join(row[0] for row in rows)


async def test_a_table_grown_by_half_since_its_statistics_is_analyzed_once(database: str):
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(INSERT, (1, 1))
        conn.execute("ANALYZE observations")
        conn.execute(INSERT, (2, 51))  # 5,000 rows more
        deadline = time.monotonic() + 30
        while statistics(conn)[1] < 5000:  # the server publishes its counters within a second
            assert time.monotonic() < deadline, "the changes never showed in pg_stat_user_tables"
            time.sleep(0.2)
        assert statistics(conn)[0] == 100
        # The statistics know one zone: every row matches the zone, so the read goes by the month's index.
        assert "observations_pkey" not in plan_of_a_batch_read(conn)

        async with AsyncConnectionPool(database, min_size=1, max_size=1, open=False) as pool:
            await pool.wait(timeout=30)
            assert await analyze_grown_tables(pool) == ["observations"]
            assert statistics(conn) == (5100, 0)
            assert "observations_pkey" in plan_of_a_batch_read(conn)  # by the zone and indicator
            # Analyzed: nothing to do until it grows by half again.
            assert await analyze_grown_tables(pool) == []
            conn.execute(INSERT, (52, 60))  # 900 rows: under 1,000 + half of 5,100
            assert await analyze_grown_tables(pool) == []
