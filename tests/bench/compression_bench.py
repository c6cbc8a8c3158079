"""TimescaleDB's compression of old chunks, measured on the reads and the revision of an old month.

Issue 11 asks whether the Timescale features help the reads. This measures compression on the WASM build of
TimescaleDB the Timescale tests use (PGlite, stack.pglite). Its times are not a native server's, so compare
the two states of the same run, not these figures with `make bench`'s.

1. Seed `--years` years of `progress` (1,000 zones × 10 indicators × 12 months each, by default), generated in
   the server (PGlite's wire server takes no COPY). The latest year is the year in progress.
2. Time, over `--reads` calls each, the query service's own statements (query.repository): a month of every
   zone of the latest year and of the oldest year, one zone and indicator's whole history, and the month's keys
   (a rebuilt answer's first read). Then time the processor's upsert of one series' year in the oldest year,
   as when a bureau revises a past year.
3. Compress every chunk but the latest year's (by default segmented by indicator, ordered by zone and period:
   `--segment-by`, `--order-by`), and time the same again. Also print the table's size in both states.

    .venv/bin/python -m tests.bench.compression_bench [--zones 1000] [--years 5] [--reads 20] [--segment-by ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from indicators_core.db import apply_migrations
from indicators_core.progress import MonthProgress, completion_pct, is_on_track, progress_gap_pp, time_progress_pct
from processor.store import PROGRESS_COLUMNS, UPSERT_PROGRESS, json_parameter, json_records, progress_params
from query.repository import ProgressRepository
from stack.pglite import PgliteServer

LATEST_YEAR = 2024
INDICATORS = 10

# One year of every zone's and indicator's months, made in the server: ytd grows by month, a target, the
# figures derived as the processor would store them (to 12 places), so that the rows are as wide as real ones.
SEED_YEAR = """
INSERT INTO progress (zone, indicator, period, year, month, ytd_value, month_value, ytd_last_year, yoy_base,
                      yoy_pct, target_value, completion_pct, time_progress_pct, progress_gap_pp, on_track,
                      reported_at, computed_at, yoy_source)
SELECT zone, indicator, make_date(%(year)s, month, 1), %(year)s, month, ytd, scale, last, last,
       round((ytd - last) * 100 / last, 12), scale * 12, round(ytd * 100 / (scale * 12), 12),
       round(month * 100 / 12.0, 12), round(ytd * 100 / (scale * 12) - month * 100 / 12.0, 12),
       ytd * 100 / (scale * 12) >= month * 100 / 12.0, %(reported_at)s, %(reported_at)s, 'computed'
FROM (
    SELECT format('bench-zone-%%s', lpad(z::text, 4, '0')) AS zone, format('indicator_%%s', i) AS indicator, month,
           (10 + (z * 7 + i * 13) %% 90)::numeric AS scale,
           round((10 + (z * 7 + i * 13) %% 90) * month * (100 + (z + i + month + %(year)s) %% 11) / 100.0, 2) AS ytd,
           round((10 + (z * 7 + i * 13) %% 90) * month * (100 + (z + i + month + %(year)s) %% 11) / 100.0 * 0.93, 2)
               AS last
    FROM generate_series(0, %(zones)s - 1) AS z, generate_series(0, %(indicators)s - 1) AS i,
         generate_series(1, 12) AS month
) AS rows
"""


def summary(taken: list[float]) -> str:
    ordered = sorted(taken)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.1f} ms / p95 {p95:7.1f} ms"


async def timed_calls(reads: int, call: Callable[[], Awaitable[Any]]) -> list[float] | str:
    """Each call's time in ms, or what PostgreSQL answered when the statement fails."""
    try:
        await call()  # one warm-up: the first call pays for the connection's caches
    except psycopg.Error as error:
        return f"fails: {type(error).__name__}: {error}".strip()
    taken = []
    for _ in range(reads):
        started = time.perf_counter()
        await call()
        taken.append((time.perf_counter() - started) * 1000)
    return taken


def shown(taken: list[float] | str) -> str:
    return taken if isinstance(taken, str) else summary(taken)


def revised_year(oldest: int) -> bytes:
    """One series' twelve months of the oldest year, revised: the processor's upsert payload."""
    computed_at = datetime.now(UTC)
    rows = []
    for month in range(1, 13):
        ytd, target = Decimal(month * 11), Decimal(120)
        row = MonthProgress(
            year=oldest,
            month=month,
            ytd_value=ytd,
            month_value=Decimal(11),
            ytd_last_year=None,
            month_last_year=None,
            yoy_base=None,
            yoy_base_comparable=False,
            yoy_pct=None,
            month_yoy_pct=None,
            target_value=target,
            completion_pct=completion_pct(ytd, target),
            time_progress_pct=time_progress_pct(month),
            progress_gap_pp=progress_gap_pp(ytd, target, month),
            on_track=is_on_track(ytd, target, month),
            reported_at=computed_at,
        )
        rows.append(progress_params("bench-zone-0007", "indicator_3", row, computed_at))
    return json_records(PROGRESS_COLUMNS, rows)


# The series read without the row version (xmin) the query service reads with every row: what a zone's history
# across the compressed years would cost if the reads did not key their kept answers by it.
SERIES_WITHOUT_VERSION = (
    "SELECT zone, indicator, period, ytd_value, completion_pct, progress_gap_pp, on_track FROM progress"
    " WHERE zone = %s AND indicator = %s ORDER BY period"
)


async def measure(url: str, reads: int, oldest: int) -> list[tuple[str, list[float] | str]]:
    async with AsyncConnectionPool(url, min_size=1, max_size=1, open=False) as pool:
        await pool.wait(timeout=60)
        repository = ProgressRepository(pool)

        async def upsert() -> None:
            async with pool.connection() as conn:
                await conn.execute(UPSERT_PROGRESS, (json_parameter(revised_year(oldest)),))

        async def series_without_version() -> None:
            async with pool.connection() as conn:
                await (await conn.execute(SERIES_WITHOUT_VERSION, ("bench-zone-0007", "indicator_3"))).fetchall()

        return [
            (
                f"a month of every zone, {LATEST_YEAR} (uncompressed in both)",
                await timed_calls(reads, lambda: repository.progress(LATEST_YEAR, 6, None, None)),
            ),
            (
                f"a month of every zone, {oldest}",
                await timed_calls(reads, lambda: repository.progress(oldest, 6, None, None)),
            ),
            (
                f"the keys of a month of every zone, {oldest}",
                await timed_calls(reads, lambda: repository.progress_reusing(oldest, 6, None, lambda key: True)),
            ),
            (
                "one zone and indicator, every year",
                await timed_calls(reads, lambda: repository.series("bench-zone-0007", "indicator_3", None, None)),
            ),
            (
                "the same without the row version (not a statement the service runs)",
                await timed_calls(reads, series_without_version),
            ),
            (f"the upsert of one series' year in {oldest} (a revision)", await timed_calls(reads, upsert)),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--segment-by", default="indicator", help="timescaledb.compress_segmentby")
    parser.add_argument("--order-by", default="zone, period", help="timescaledb.compress_orderby")
    args = parser.parse_args()
    oldest = LATEST_YEAR - args.years + 1
    with tempfile.TemporaryDirectory(prefix="compression-bench-") as folder:
        server = PgliteServer(Path(folder))
        server.start()
        try:
            url = server.url()
            apply_migrations(url)
            started = time.perf_counter()
            with psycopg.connect(url, autocommit=True) as conn:
                for year in range(oldest, LATEST_YEAR + 1):
                    conn.execute(
                        SEED_YEAR,
                        {"year": year, "zones": args.zones, "indicators": INDICATORS, "reported_at": datetime.now(UTC)},
                    )
                conn.execute("ANALYZE progress")
                count = conn.execute("SELECT count(*) FROM progress").fetchone()[0]  # type: ignore[index]
                size_before = conn.execute("SELECT pg_size_pretty(hypertable_size('progress'))").fetchone()[0]  # type: ignore[index]
            print(
                f"TimescaleDB {server.build} (PGlite, WASM); seeded {count:,} progress rows ({args.years} years × "
                f"{args.zones} zones × {INDICATORS} indicators × 12 months) in {time.perf_counter() - started:.1f} s"
            )
            before = asyncio.run(measure(url, args.reads, oldest))
            started = time.perf_counter()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL(
                        "ALTER TABLE progress SET (timescaledb.compress, timescaledb.compress_segmentby = {},"
                        " timescaledb.compress_orderby = {})"
                    ).format(sql.Literal(args.segment_by), sql.Literal(args.order_by))
                )
                compressed = conn.execute(
                    "SELECT count(compress_chunk(chunk)) FROM show_chunks('progress', older_than => %s::date) AS chunk",
                    (f"{LATEST_YEAR}-01-01",),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute("ANALYZE progress")
                size_after = conn.execute("SELECT pg_size_pretty(hypertable_size('progress'))").fetchone()[0]  # type: ignore[index]
                ratio = conn.execute(
                    "SELECT pg_size_pretty(sum(before_compression_total_bytes)),"
                    " pg_size_pretty(sum(after_compression_total_bytes)) FROM chunk_compression_stats('progress')"
                    " WHERE compression_status = 'Compressed'"
                ).fetchone()
            print(
                f"compressed {compressed} chunks (every year before {LATEST_YEAR}) in {time.perf_counter() - started:.1f} s"
            )
            print(f"size of progress: {size_before} uncompressed, {size_after} with the old years compressed")
            print(f"the compressed chunks: {ratio[0]} before, {ratio[1]} after (chunk_compression_stats)")  # type: ignore[index]
            after = asyncio.run(measure(url, args.reads, oldest))
            for (label, taken), (_, taken_after) in zip(before, after, strict=True):
                print(f"{label}:\n  uncompressed {shown(taken)}\n  compressed   {shown(taken_after)}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
