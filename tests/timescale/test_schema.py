"""The schema's TimescaleDB path, on TimescaleDB 2.23 (PGlite): the project's migrations (yoyo) create
the extension and turn the series tables into hypertables; a second run changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from yoyo import read_migrations

from indicators_core.db import MIGRATIONS_DIR

pytestmark = pytest.mark.integration

HYPERTABLES = {"observations", "observation_revisions", "progress"}
# 0002 asks for INTERVAL '1 year'; TimescaleDB turns an interval into a fixed length with months of
# 30 days, so a chunk spans 360 days and its bounds do not fall on 1 January (calendar-aligned chunks
# came after 2.23). For monthly rows this only means one year's months may sit in two chunks.
CHUNK_INTERVAL = timedelta(days=360)


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_migrations_apply_once_then_are_a_no_op(timescale):
    every = [migration.id for migration in read_migrations(str(MIGRATIONS_DIR))]
    assert timescale.first == every
    assert timescale.second == []
    applied = query(timescale.url, "SELECT migration_id FROM _yoyo_migration ORDER BY applied_at_utc, migration_id")
    assert sorted(row[0] for row in applied) == sorted(every)


def test_timescaledb_extension_is_created(timescale):
    ((version,),) = query(timescale.url, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
    assert version.startswith("2.23"), version


def test_series_tables_are_hypertables_partitioned_by_period(timescale):
    rows = query(
        timescale.url,
        "SELECT h.hypertable_name, d.column_name, d.column_type::text, d.time_interval, h.num_dimensions "
        "FROM timescaledb_information.hypertables h JOIN timescaledb_information.dimensions d "
        "USING (hypertable_schema, hypertable_name) ORDER BY h.hypertable_name",
    )
    assert rows == [(name, "period", "date", CHUNK_INTERVAL, 1) for name in sorted(HYPERTABLES)]


def test_other_tables_stay_plain(timescale):
    """Targets, alerts, the outbox and the catalog are keyed by identity and need foreign keys: plain tables."""
    plain = {
        "targets",
        "target_revisions",
        "alerts",
        "alert_events",
        "subscriptions",
        "deliveries",
        "delivery_items",
        "indicator_catalog",
    }
    hyper = {row[0] for row in query(timescale.url, "SELECT hypertable_name FROM timescaledb_information.hypertables")}
    tables = {row[0] for row in query(timescale.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert plain <= tables
    assert hyper == HYPERTABLES


def test_seeded_months_live_in_chunks_not_in_the_parent_tables(seeded):
    """The processor's upserts went through TimescaleDB's chunk routing: the parents hold no rows."""
    for table in sorted(HYPERTABLES):
        ((in_parent,),) = query(seeded, f"SELECT count(*) FROM ONLY {table}")  # noqa: S608 (fixed names)
        ((in_chunks,),) = query(seeded, f"SELECT count(*) FROM {table}")  # noqa: S608
        assert in_parent == 0, table
        assert in_chunks > 0, table
    chunks = query(
        seeded,
        "SELECT c.range_start::date, c.range_end::date FROM timescaledb_information.chunks c "
        "WHERE c.hypertable_name = 'progress' ORDER BY c.range_start",
    )
    assert chunks, "progress has no chunks"
    assert all(end - start == CHUNK_INTERVAL for start, end in chunks)
    # Every seeded month falls inside one chunk's range.
    periods = [row[0] for row in query(seeded, "SELECT DISTINCT period FROM progress ORDER BY period")]
    for period in periods:
        assert sum(start <= period < end for start, end in chunks) == 1, period
    assert date(2022, 4, 1) in periods and date(2023, 5, 1) in periods


def test_time_bucket_groups_the_seed_by_calendar_year(seeded):
    """TimescaleDB's own functions answer on the hypertable (the boards' $__timeGroup would use time_bucket)."""
    rows = query(
        seeded,
        "SELECT time_bucket('1 year'::interval, period) AS year_start, count(*) FROM progress "
        "WHERE zone = ANY(%s) GROUP BY 1 ORDER BY 1",
        (["时序A区", "时序B区", "时序C区"],),
    )
    assert rows == [(date(2022, 1, 1), 8), (date(2023, 1, 1), 10)]
