"""Read latencies at the size issue 11 names: 1,000 zones × 10 indicators × 12 months stored.

Starts a PostgreSQL of its own (a temporary folder), applies the migrations, seeds the progress table with
COPY (figures from the core arithmetic, as the processor stores them; every zone registered, in peer
groups), then starts the query service as a real process and times, over `--reads` calls each:
/v1/progress for one month (all zones, one zone), /v1/series for one zone, /board, and /v1/rankings (all,
one group). `--profile` also runs /v1/progress (all zones) and /board in-process under cProfile, each after a change, and prints the top
functions, so an optimisation starts from where the time goes. The all-zones answers are kept while their rows
are unchanged (query.answer_cache), so the two are also timed each right after a row of the month changed.

    .venv/bin/python -m tests.bench.reads_bench [--zones 1000] [--reads 50] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

from indicators_core.catalog import load_catalog
from indicators_core.db import apply_migrations
from indicators_core.progress import completion_pct, growth_pct, is_on_track, progress_gap_pp, time_progress_pct
from stack.ports import free_port
from stack.postgres import PostgresServer
from stack.run import service_processes

YEAR = 2024
REPORTED_AT = datetime(2024, 12, 10, 9, 0, tzinfo=UTC)
GROUPS = ("浙江省级以上开发区", "杭州市开发区", "宁波市开发区", "温州市开发区")


def progress_rows(zones: int, indicators: list[str]):
    """One row per zone, indicator and month of YEAR: ytd grows by month, last year ~7% lower, a target."""
    for z in range(zones):
        zone = f"bench-zone-{z:04d}"
        for i, indicator in enumerate(indicators):
            scale = Decimal(10 + (z * 7 + i * 13) % 90)
            target = scale * 12
            for month in range(1, 13):
                ytd = (scale * month * Decimal(100 + (z + i + month) % 11) / 100).quantize(Decimal("0.01"))
                last = (ytd * Decimal("0.93")).quantize(Decimal("0.01"))
                yield (
                    zone,
                    indicator,
                    date(YEAR, month, 1),
                    YEAR,
                    month,
                    ytd,
                    (scale * Decimal("1.01")).quantize(Decimal("0.01")),
                    last,
                    last,
                    growth_pct(ytd, last),
                    target,
                    completion_pct(ytd, target),
                    time_progress_pct(month),
                    progress_gap_pp(ytd, target, month),
                    is_on_track(ytd, target, month),
                    REPORTED_AT,
                    "computed",
                )


def seed(database_url: str, zones: int, indicators: list[str]) -> int:
    columns = (
        "zone, indicator, period, year, month, ytd_value, month_value, ytd_last_year, yoy_base, yoy_pct,"
        " target_value, completion_pct, time_progress_pct, progress_gap_pp, on_track, reported_at, yoy_source"
    )
    count = 0
    with psycopg.connect(database_url) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY progress ({columns}) FROM STDIN") as copy:
            for row in progress_rows(zones, indicators):
                copy.write_row(row)
                count += 1
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO zones (code, name_zh, level, kind, parent, groups, source, batch_id, row_index, reported_at)"
                " VALUES (%s, %s, 'provincial', '经开区', NULL, %s, 'bench', gen_random_uuid(), 0, now())"
                " ON CONFLICT DO NOTHING",
                [(f"bench-zone-{z:04d}", f"基准开发区{z:04d}", [GROUPS[z % len(GROUPS)]]) for z in range(zones)],
            )
        conn.execute("ANALYZE")
    return count


def latencies(url: str, params: dict[str, str], reads: int) -> list[float]:
    taken = []
    with httpx.Client(timeout=60) as client:
        client.get(url, params=params).raise_for_status()  # warm: plans, pool, catalog
        for _ in range(reads):
            started = time.perf_counter()
            response = client.get(url, params=params)
            taken.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return taken


def latencies_after_changes(url: str, params: dict[str, str], reads: int, database_url: str) -> list[float]:
    """Each call after a revision of one of the month's rows: the answer must be built again (no kept answer)."""
    taken = []
    with httpx.Client(timeout=60) as client, psycopg.connect(database_url, autocommit=True) as conn:
        for call in range(reads):
            conn.execute(
                "UPDATE progress SET ytd_value = ytd_value + 0.01 WHERE zone = %s AND year = %s AND month = 6",
                (f"bench-zone-{call % 1000:04d}", YEAR),
            )
            started = time.perf_counter()
            response = client.get(url, params=params)
            taken.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return taken


def summary(taken: list[float]) -> str:
    ordered = sorted(taken)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):.1f} ms / p95 {p95:.1f} ms / max {ordered[-1]:.1f} ms"


def profile_in_process(database_url: str, params: dict[str, str]) -> str:
    """cProfile of /v1/progress (all zones) and /board, each call right after a change of the month (the kept
    answer is what a wall screen gets between reports; the answer built again is what costs)."""
    from query.config import QuerySettings
    from tests.in_process import query_api

    async def calls() -> None:
        async with query_api(QuerySettings(database_url=database_url), timeout=60) as client:
            with psycopg.connect(database_url, autocommit=True) as conn:
                for path in ("/v1/progress", "/board"):
                    (await client.get(path, params=params)).raise_for_status()
                    profiler = cProfile.Profile()
                    for call in range(5):
                        conn.execute(
                            "UPDATE progress SET ytd_value = ytd_value + 0.01 WHERE zone = %s AND year = %s"
                            " AND month = 6",
                            (f"bench-zone-{call:04d}", YEAR),
                        )
                        profiler.enable()
                        (await client.get(path, params=params)).raise_for_status()
                        profiler.disable()
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                    report.append(f"{path}, five calls each after a change:\n{out.getvalue()}")

    report: list[str] = []
    asyncio.run(calls())
    return "\n".join(report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    indicators = load_catalog().codes()[: args.indicators]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="reads-bench-") as folder:
        root = Path(folder)
        postgres = PostgresServer(root / "postgres")
        postgres.start()
        try:
            database_url = postgres.create_database("bench")
            apply_migrations(database_url)
            started = time.perf_counter()
            rows = seed(database_url, args.zones, indicators)
            print(
                f"seeded {rows:,} progress rows ({args.zones} zones × {len(indicators)} indicators × 12 months)"
                f" in {time.perf_counter() - started:.1f} s"
            )
            port = free_port()
            env = {"INDICATORS_DATABASE_URL": database_url, "INDICATORS_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"}
            query = service_processes(env, root, free_port(), port, free_port())["query"]
            query.start()
            try:
                query.wait_ready(120)
                base = f"http://127.0.0.1:{port}"
                month = {"year": str(YEAR), "month": "6"}
                one = {**month, "zone": "bench-zone-0007"}
                checks = (
                    ("/v1/progress, one month, all zones", "/v1/progress", month),
                    ("/v1/progress, one month, one zone", "/v1/progress", one),
                    (
                        "/v1/series, one zone and indicator, the year",
                        "/v1/series",
                        {"zone": "bench-zone-0007", "indicator": indicators[0], "year": str(YEAR)},
                    ),
                    ("/board", "/board", month),
                    (
                        "/v1/rankings, all zones",
                        "/v1/rankings",
                        {**month, "indicator": indicators[0], "by": "completion_pct"},
                    ),
                    (
                        "/v1/rankings, one group",
                        "/v1/rankings",
                        {**month, "indicator": indicators[0], "by": "completion_pct", "group": GROUPS[0]},
                    ),
                )
                for label, path, params in checks:
                    print(f"{label}: {summary(latencies(base + path, params, args.reads))}")
                # A kept answer is served only while its rows are unchanged (query.answer_cache): the cost of
                # the first read after a report arrived.
                for label, path in (("/v1/progress, all zones", "/v1/progress"), ("/board", "/board")):
                    taken = latencies_after_changes(base + path, month, args.reads, database_url)
                    print(f"{label}, each after a change: {summary(taken)}")
            finally:
                query.stop()
            if args.profile:
                print(profile_in_process(database_url, month))
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
