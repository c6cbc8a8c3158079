"""Statements over arrays of series are planned for each execution (indicators_core.db.PLANNED_PER_EXECUTION).

Found by `make bench --statements`: ingest's plausibility read took 9 ms a batch in a burst on a fresh
installation, the most of PostgreSQL's time. Its connection had planned it generically while `observations` was
nearly empty, a hash join over the whole table, and kept that plan as the table grew. The tests below build that
history on purpose and check the plan our connections use afterwards.
"""

from __future__ import annotations

import logging

import psycopg
import pytest
from prometheus_client import Counter

from indicators_core.catalog import load_catalog
from indicators_core.db import with_options
from indicators_core.faust_worker import database_retrying, open_pool_after_migrations
from ingest.config import IngestSettings
from ingest.history import SELECT_SERIES
from ingest.readonly_db import ReadOnlyConnections

# A batch's plausibility read for one zone's eight series, as SQL literals: PREPARE and EXPLAIN EXECUTE take
# no bound parameters, and a PREPAREd statement shows the plan the connection's cache chooses.
PREPARE = "PREPARE series_read(text[], text[], int[], int[]) AS " + SELECT_SERIES.replace("%s", "${}").format(
    1, 2, 3, 4
)
EXECUTE = (
    "EXECUTE series_read('{new,new,new,new,new,new,new,new}', '{a,b,c,d,e,f,g,h}',"
    " '{2021,2021,2021,2021,2021,2021,2021,2021}', '{2024,2024,2024,2024,2024,2024,2024,2024}')"
)
# 2,000 zones × 8 indicators × 12 months of 2024, without the processor: only the table's size matters here.
FILL = """
INSERT INTO observations (zone, indicator, period, basis, value, reported_value, reported_unit, source, batch_id,
                          row_index, reported_at)
SELECT 'z' || z, i, make_date(2024, m, 1), 'ytd', 1, 1, '亿元', 'test', gen_random_uuid(), 0, now()
FROM generate_series(1, 2000) z, unnest(ARRAY['a','b','c','d','e','f','g','h']) i, generate_series(1, 12) m
"""


def plan_after_growth(conn: psycopg.Connection, writer: psycopg.Connection) -> str:
    """The plan `conn` uses for the read once it ran it ten times on an empty table and the table then grew."""
    conn.execute(PREPARE)
    for _ in range(10):
        conn.execute(EXECUTE).fetchall()
    writer.execute(FILL)
    return "\n".join(row[0] for row in conn.execute("EXPLAIN " + EXECUTE))


def test_options_are_added_to_the_urls_own() -> None:
    assert with_options("postgresql://u@h/db", "-c a=1") == "-c a=1"
    assert with_options("postgresql://u@h/db?options=-c%20work_mem%3D8MB", "-c a=1") == "-c work_mem=8MB -c a=1"
    assert with_options("host=h dbname=db options='-c x=2'", "-c a=1") == "-c x=2 -c a=1"


@pytest.mark.integration
def test_a_plan_kept_from_an_empty_table_would_read_every_row(database: str) -> None:
    """What happens without the option, so that the next test is known to test something."""
    with psycopg.connect(database, autocommit=True) as conn, psycopg.connect(database, autocommit=True) as writer:
        plan = plan_after_growth(conn, writer)
    assert "Seq Scan on observations" in plan, plan
    assert "observations_pkey" not in plan, plan


@pytest.mark.integration
def test_ingest_reads_the_history_by_the_key_however_the_table_grew(database: str) -> None:
    connections = ReadOnlyConnections(database, IngestSettings().plausibility_lookup_timeout_s, max_idle=1)
    conn = connections._connect()
    try:
        with psycopg.connect(database, autocommit=True) as writer:
            plan = plan_after_growth(conn, writer)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
    finally:
        conn.close()
    assert "Index Scan using observations_pkey on observations" in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.integration
@pytest.mark.anyio
async def test_the_workers_pool_plans_each_execution(database: str) -> None:
    retrying = database_retrying(1.0, Counter("test_db_retries", "retries", registry=None), logging.getLogger("test"))
    pool = await open_pool_after_migrations(database, load_catalog(IngestSettings().catalog_path), 1, retrying)
    try:
        async with pool.connection() as conn:
            shown = await (await conn.execute("SHOW plan_cache_mode")).fetchone()
    finally:
        await pool.close()
    assert shown == ("force_custom_plan",)
