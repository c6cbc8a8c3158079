"""`make bench`: HTTP → database throughput, freshness, the machine's ceilings, two workers, and reads.

Method (all in one run, on a fresh Kafka and PostgreSQL in temporary folders, free ports, and the services
as real processes, as in `make run`, the alerts evaluator included so every result is also judged):

1. Ceilings for the same rows: kafka-python produce (acks=all) + a no-work Faust consumer of the messages
   the processor consumes (one ReportBatch per batch, tests/bench/ceilings.py), and COPY of the rows into a
   table shaped like `observations`.
2. Burst: `--batches` batches of `--rows` observations posted by `--clients` concurrent clients; each
   batch is one zone's twelve months of several indicators. A poller reads PostgreSQL every 0.1 s (10 ms in the
   paced run) and records when each batch's last progress row became visible. Sustained = rows / (last row visible −
   first POST sent); delay = row visible − POST sent, per batch; drain = last row visible − last POST
   answered; judged = when the evaluator had evaluated as many results as the processor published.
3. Paced: `--paced-rate` observations/s for `--paced-seconds`, POST → progress row p50/p95.
4. Two workers: a second processor process joins the consumer group; the burst again with new zones.
5. Reads: /v1/progress for one month (all zones, one zone), /board and /v1/rankings (all zones), p50/p95 over
   `--reads` calls.

Speed is reported, never asserted. Compare ratios between runs: the machines are small and noisy.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import psycopg
from kafka.admin import KafkaAdminClient

from indicators_core.db import PLANNED_PER_EXECUTION
from stack.kafka import KafkaBroker, default_jars_dir
from stack.ports import free_port
from stack.postgres import PostgresServer
from stack.run import ServiceProcess, service_processes
from tests.bench.ceilings import Ceiling, batch_messages, copy_ceiling, kafka_ceiling
from tests.bench.cpu import CpuMeter, cpu_lines
from tests.support import stable_members

# Each indicator's size in 亿元, so that the figures are plausible as a whole (ingest refuses a batch whose
# export and import exceed their total, or whose manufacturing investment exceeds all fixed-asset investment).
INDICATORS = {
    "industrial_output": 60,
    "fixed_asset_investment": 50,
    "import_export": 30,
    "export": 14,
    "import": 12,
    "signed_investment": 40,
    "major_project_investment": 25,
    "manufacturing_investment": 20,
}
CODES = list(INDICATORS)
PROCESSOR_GROUP = "indicators-processor"


def batch_rows(zone: str, rows: int) -> list[dict]:
    out = []
    for index in range(rows):
        indicator = CODES[(index // 12) % len(CODES)]
        year = 2024 - index // (12 * len(CODES))  # a long batch goes back in time: ten years of history
        month = index % 12 + 1
        # Year to date: the indicator's size spread over the months, growing a little from year to year.
        value = INDICATORS[indicator] * month / 12 * (1 + (year - 2024) * 0.08) + index * 0.001
        out.append(
            {
                "zone": zone,
                "indicator": indicator,
                "period": f"{year}-{month:02d}",
                "value": f"{value:.2f}",
                "unit": "亿元",
            }
        )
    return out


class Poster:
    """POSTs a body to ingest on a keep-alive connection of each thread's own (http.client): the load generator
    shares the two cores with what it measures. Posting a batch of 96 rows to a bare local server cost httpx 1.3-1.4
    ms of CPU, http.client 0.53-0.55 ms."""

    def __init__(self, url: str, key: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.local = threading.local()

    def post(self, path: str, body: bytes) -> None:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        connection.request("POST", path, body=body, headers=self.headers)
        answer = connection.getresponse()
        text = answer.read()
        if answer.status != 202:
            raise SystemExit(f"POST {path}: {answer.status} {text[:2000]!r}")


def batch_bodies(zones: list[str], rows: int) -> dict[str, bytes]:
    """Each zone's request body, written before the clock starts: the load generator shares the two cores with what
    it measures (upstream systems post from machines of their own), and building and encoding each body as it
    posted cost 0.22 ms a batch, about a tenth of its CPU."""
    return {zone: orjson.dumps({"observations": batch_rows(zone, rows)}) for zone in zones}


def machine_speed_ms() -> float:
    """A fixed piece of Python work (dicts, strings, decimals, as the services do), best of five, in ms.

    The VMs these runs are made on change speed from one minute to the next (this took 59 to 110 ms over half a
    minute on one): printed at a run's start and end, it says whether two runs' figures may be compared at all."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        totals: dict[str, Decimal] = {}
        for index in range(60_000):
            key = f"zone-{index % 500:04d}|{CODES[index % len(CODES)]}"
            totals[key] = totals.get(key, Decimal(0)) + Decimal(index) / 12
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine_speed_text() -> str:
    return f"a fixed Python workload took {machine_speed_ms():.0f} ms (machine_speed_ms; lower is faster)"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def delays_text(delays: list[float]) -> str:
    return (
        f"p50 {statistics.median(delays) * 1000:.0f} ms, p95 {percentile(delays, 95) * 1000:.0f} ms, "
        f"max {max(delays) * 1000:.0f} ms"
    )


def metric(url: str, name: str) -> float:
    """A counter's value on a service's /metrics (0 before its first increment)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.split(" ")[0].split("{")[0] == name)


@dataclass
class Stack:
    ingest_url: str
    query_url: str
    database_url: str
    key: str
    processors: list[str]  # each processor worker's web URL
    alerts_url: str
    cpu: CpuMeter

    def client(self) -> httpx.Client:
        return httpx.Client(headers={"Authorization": f"Bearer {self.key}"}, timeout=60)

    def results_published(self) -> float:
        return sum(metric(url, "indicators_processor_results_published_total") for url in self.processors)

    def results_judged(self) -> float:
        return metric(self.alerts_url, "indicators_alerts_results_total")


@dataclass
class Burst:
    rows: int
    accepted_rate: float
    sustained_rate: float
    seconds: float
    delays: list[float]
    drain_s: float
    judged_s: float
    cpu: list[str]  # CPU per observation of each part, from the first POST until every result was judged


def wait_visible(database_url: str, zone: str, rows: int) -> None:
    with psycopg.connect(database_url) as conn:
        deadline = time.monotonic() + 300
        while conn.execute("SELECT count(*) FROM progress WHERE zone = %s", (zone,)).fetchone()[0] < rows:
            if time.monotonic() > deadline:
                raise SystemExit(f"{zone}: not computed after 300 s")
            time.sleep(0.05)


def last_row(rows: int) -> tuple[str, date]:
    """The indicator and month of a batch's last observation (every batch of `rows` has the same layout)."""
    last = batch_rows("any", rows)[-1]
    year, month = last["period"].split("-")
    return last["indicator"], date(int(year), int(month), 1)


def watch_visible(
    database_url: str,
    rows: int,
    sent_at: dict[str, float],
    visible_at: dict[str, float],
    expected: int,
    done: threading.Event,
    interval_s: float,
) -> None:
    """Record when each posted zone's progress rows are all visible; set `done` when all `expected` are.

    A batch is one message, stored by one worker in its order, one transaction after another: once the progress
    row of its last observation is visible, all are. So the poller looks up that one row of each zone posted and
    not yet visible, by the key, and rests at least ten times as long as its query took (at most 0.2 s), so that
    it takes at most a tenth of a core of PostgreSQL from the pipeline it measures. Counting every zone's rows
    every 20 ms had cost a third of a core; asking for the pending zones every 50 ms (5.6 ms a poll with some 500
    zones pending, pg_stat_statements) still cost a tenth of a core, 16% of the PostgreSQL CPU a burst reported.
    In a burst it asks every 0.1 s, a resolution the burst's delays (seconds) do not need; paced, every 10 ms.
    Planned per execution, as the services' reads are (indicators_core.db.PLANNED_PER_EXECUTION): the table is
    empty when the poller's first plans are made."""
    indicator, period = last_row(rows)
    with psycopg.connect(database_url, autocommit=True, options=PLANNED_PER_EXECUTION) as conn:
        while not done.is_set():
            pending = [zone for zone in list(sent_at) if zone not in visible_at]
            asked = time.perf_counter()
            found = (
                conn.execute(
                    "SELECT zone FROM progress WHERE zone = ANY(%s) AND indicator = %s AND period = %s",
                    (pending, indicator, period),
                ).fetchall()
                if pending
                else []
            )
            now = time.perf_counter()
            for (zone,) in found:
                visible_at[zone] = now
            if len(visible_at) == expected:
                done.set()
            time.sleep(min(max(interval_s, 10 * (now - asked)), 0.2))


def burst(stack: Stack, zones: list[str], rows: int, clients: int, pause: float = 0.0) -> Burst:
    """Post one batch per zone from `clients` threads; time each batch until its progress rows are visible."""
    poster = Poster(stack.ingest_url, stack.key)
    published_before, judged_before = stack.results_published(), stack.results_judged()
    sent_at: dict[str, float] = {}
    visible_at: dict[str, float] = {}
    done = threading.Event()

    def poll() -> None:
        watch_visible(stack.database_url, rows, sent_at, visible_at, len(zones), done, 0.1)

    bodies = batch_bodies(zones, rows)

    def post(zone: str) -> None:
        sent_at[zone] = time.perf_counter()
        poster.post("/v1/observations", bodies[zone])
        if pause:
            time.sleep(pause)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    cpu_before = stack.cpu.read()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, zones))
    posted = time.perf_counter()
    if not done.wait(timeout=900):
        raise SystemExit(f"only {len(visible_at)}/{len(zones)} batches visible after 900 s")
    finished = max(visible_at.values())
    # Every result the processor published in this burst, evaluated by the alerts evaluator.
    deadline = time.monotonic() + 600
    while stack.results_judged() - judged_before < stack.results_published() - published_before:
        if time.monotonic() > deadline:
            raise SystemExit("the evaluator did not judge every result within 600 s")
        time.sleep(0.1)
    judged = time.perf_counter()
    cpu_after = stack.cpu.read()
    total = rows * len(zones)
    return Burst(
        rows=total,
        accepted_rate=total / (posted - started),
        sustained_rate=total / (finished - started),
        seconds=finished - started,
        delays=[visible_at[z] - sent_at[z] for z in zones],
        drain_s=max(0.0, finished - posted),
        judged_s=judged - started,
        cpu=cpu_lines(cpu_before, cpu_after, total, judged - started),
    )


def paced(stack: Stack, prefix: str, rate: float, seconds: float, rows: int) -> list[float]:
    """One batch every rows/rate seconds on a fixed schedule (not after the last answer); each batch's delay."""
    poster = Poster(stack.ingest_url, stack.key)
    interval = rows / rate
    count = max(1, round(seconds / interval))
    zones = [f"{prefix}-{i:04d}" for i in range(count)]
    sent_at: dict[str, float] = {}
    visible_at: dict[str, float] = {}
    done = threading.Event()

    def poll() -> None:
        watch_visible(stack.database_url, rows, sent_at, visible_at, len(zones), done, 0.01)

    bodies = batch_bodies(zones, rows)
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        futures = []
        for index, zone in enumerate(zones):
            time.sleep(max(0.0, start + index * interval - time.perf_counter()))
            sent_at[zone] = time.perf_counter()
            futures.append(pool.submit(poster.post, "/v1/observations", bodies[zone]))
        for future in futures:
            future.result()
    if not done.wait(timeout=600):
        raise SystemExit(f"paced: only {len(visible_at)}/{len(zones)} batches visible")
    return [visible_at[z] - sent_at[z] for z in zones]


def read_latencies(url: str, calls: int, params: dict[str, str] | None = None) -> list[float]:
    with httpx.Client(timeout=60) as client:
        client.get(url, params=params).raise_for_status()  # warm
        out = []
        for _ in range(calls):
            started = time.perf_counter()
            client.get(url, params=params).raise_for_status()
            out.append(time.perf_counter() - started)
    return out


def group_members(bootstrap: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return stable_members(admin, PROCESSOR_GROUP)
    finally:
        admin.close()


def second_processor(first: ServiceProcess, root: Path) -> tuple[ServiceProcess, str]:
    port = free_port()
    env = {
        **first.env,
        "INDICATORS_PROCESSOR_WEB_PORT": str(port),
        "INDICATORS_PROCESSOR_DATA_DIR": str(root / "faust-2"),
    }
    process = ServiceProcess(
        "processor-2", first.argv, env, f"http://127.0.0.1:{port}/readyz", root / "logs" / "processor-2.log"
    )
    return process, f"http://127.0.0.1:{port}"


def reset_database_statistics(database_url: str) -> None:
    """Start PostgreSQL's profile afresh: pg_stat_statements, and the WAL and checkpoint counters."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
        conn.execute("SELECT pg_stat_reset_shared('wal')")
        conn.execute("SELECT pg_stat_reset_shared('bgwriter')")


def database_profile(database_url: str, count: int, phase: str) -> str:
    """The `count` statements of most execution time since the reset, and what was written to the WAL."""
    with psycopg.connect(database_url) as conn:
        wal_bytes, records, images = conn.execute("SELECT wal_bytes, wal_records, wal_fpi FROM pg_stat_wal").fetchone()
        timed, requested = conn.execute("SELECT checkpoints_timed, checkpoints_req FROM pg_stat_bgwriter").fetchone()
        # JIT compiles a statement whose estimated cost passes jit_above_cost: time spent before it runs at all.
        compiled, jit_ms = conn.execute(
            "SELECT coalesce(sum(jit_functions), 0), coalesce(sum(jit_generation_time + jit_inlining_time"
            " + jit_optimization_time + jit_emission_time), 0) FROM pg_stat_statements"
        ).fetchone()
    return "\n".join(
        [
            f"PostgreSQL, the {count} statements of most execution time in the {phase}:",
            *top_statements(database_url, count),
            f"  WAL: {int(wal_bytes) / 1e6:.0f} MB in {records} records, {images} full-page images; "
            f"checkpoints {timed} timed, {requested} requested",
            f"  JIT: {compiled} functions compiled in {float(jit_ms) / 1000:.2f} s",
        ]
    )


def top_statements(database_url: str, count: int) -> list[str]:
    """The statements PostgreSQL spent most time executing since the reset: total and per call, calls, rows."""
    with psycopg.connect(database_url) as conn:
        found = conn.execute(
            "SELECT total_exec_time, calls, rows, query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT %s",
            (count,),
        ).fetchall()
    return [
        f"  {total / 1000:7.2f} s  {calls:6d} calls  {total / max(calls, 1):8.2f} ms/call  {rows:8d} rows  "
        + " ".join(query.split())[:150]
        for total, calls, rows, query in found
    ]


def backfill(stack: Stack, root: Path, observations: int) -> str:
    """The documented bulk path: a JSON file of ten years × 8 indicators × 12 months per zone, uploaded by
    `indicators upload --no-check --batch-rows 5000 --wait` (each batch all-or-nothing, validated by ingest as
    any other), timed from the command's start until it says every row is stored and computed."""
    zones, rest = divmod(observations, 960)
    rows = [row for zone in range(zones) for row in batch_rows(f"backfill-{zone:05d}", 960)]
    rows += batch_rows(f"backfill-{zones:05d}", rest) if rest else []
    path = root / "backfill.json"
    path.write_bytes(orjson.dumps({"observations": rows}))
    command = [str(Path(sys.executable).with_name("indicators")), "upload", "--no-check", "--batch-rows", "5000"]
    env = {
        **os.environ,
        "INDICATORS_URL": stack.ingest_url,
        "INDICATORS_QUERY_URL": stack.query_url,
        "INDICATORS_KEY": stack.key,
    }
    cpu_before = stack.cpu.read()
    started = time.perf_counter()
    done = subprocess.run([*command, "--wait", str(path)], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the backfill failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = cpu_lines(cpu_before, stack.cpu.read(), len(rows), seconds)
    said = next(line for line in done.stdout.splitlines() if line.startswith("stored and computed"))
    return (
        f"backfill of {len(rows)} observations ({' '.join(command[1:])} --wait): {seconds:.1f} s, "
        f"{len(rows) / seconds:.0f} observations/s; the command said: {said}\n" + "\n".join(cpu)
    )


def pid_of(server: ServiceProcess | PostgresServer | KafkaBroker) -> int:
    if server.process is None:
        raise SystemExit(f"{server} is not running")
    return server.process.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=1050, help="batches of the burst (1050 × 96 = 100,800 rows)")
    parser.add_argument(
        "--rows", type=int, default=96, help="observations per batch (≤ 8 indicators × 12 months × years)"
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds each client waits between batches")
    parser.add_argument("--paced-rate", type=float, default=1000.0, help="observations/s of the paced run (0: skip)")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, choices=(1, 2), default=2, help="2: also run the burst on two workers")
    parser.add_argument("--reads", type=int, default=50, help="calls per read measured (0: skip)")
    parser.add_argument("--no-ceilings", action="store_true")
    parser.add_argument(
        "--backfill",
        type=int,
        default=1_000_000,
        metavar="N",
        help="also load N observations of ten years' history with `indicators upload --wait` (0: skip)",
    )
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="profile PostgreSQL: after the first burst (and the backfill), the N statements of most execution time "
        "(pg_stat_statements)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="indicators-bench-") as tmp:
        root = Path(tmp)
        postgres = PostgresServer(
            root / "postgres",
            server_settings={"shared_preload_libraries": "pg_stat_statements"} if args.statements else None,
        )
        kafka = KafkaBroker(root / "kafka", jars_dir=default_jars_dir())
        postgres.start()
        kafka.start()
        database_url = postgres.create_database("bench")
        key = "bench-admin-key-0123456789"
        ports = {name: free_port() for name in ("ingest", "query", "processor", "alerts")}
        services = service_processes(
            {
                "INDICATORS_KAFKA_BOOTSTRAP": kafka.bootstrap,
                "INDICATORS_DATABASE_URL": database_url,
                "INDICATORS_ADMIN_KEY": key,
                "INDICATORS_PROCESSOR_DATA_DIR": str(root / "faust"),
                "INDICATORS_ALERTS_DATA_DIR": str(root / "faust-alerts"),
            },
            root / "logs",
            ports["ingest"],
            ports["query"],
            ports["processor"],
            alerts_port=ports["alerts"],
        )
        extra: list[ServiceProcess] = []
        try:
            for service in services.values():
                service.start()
            for service in services.values():
                service.wait_ready(180)
            stack = Stack(
                ingest_url=f"http://127.0.0.1:{ports['ingest']}",
                query_url=f"http://127.0.0.1:{ports['query']}",
                database_url=database_url,
                key=key,
                processors=[f"http://127.0.0.1:{ports['processor']}"],
                alerts_url=f"http://127.0.0.1:{ports['alerts']}",
                cpu=CpuMeter(
                    {
                        "ingest": [pid_of(services["ingest"])],
                        "processor": [pid_of(services["processor"])],
                        "alerts evaluator": [pid_of(services["alerts"])],
                        "PostgreSQL": [pid_of(postgres)],
                        "Kafka": [pid_of(kafka)],
                        "load generator and poller (this process)": [os.getpid()],
                    }
                ),
            )
            run(args, stack, kafka.bootstrap, root, services["processor"], extra)
        finally:
            for service in [*extra, *reversed(list(services.values()))]:
                service.stop()
            kafka.stop()
            postgres.stop()


def run(
    args: argparse.Namespace, stack: Stack, bootstrap: str, root: Path, processor: ServiceProcess, extra: list
) -> None:
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()};"
        f" {machine_speed_text()}"
    )
    print(
        f"load: {args.batches} batches × {args.rows} observations, {args.clients} concurrent clients, "
        f"{args.pause} s pause between a client's batches; alerts evaluator running"
    )
    with stack.client() as client:
        warm = client.post(
            f"{stack.ingest_url}/v1/observations", json={"observations": batch_rows("warm-up", args.rows)}
        )
        if warm.status_code != 202:
            raise SystemExit(f"the warm-up batch was refused: {warm.status_code} {warm.text[:2000]}")
    wait_visible(stack.database_url, "warm-up", args.rows)

    zones = [f"bench-{i:05d}" for i in range(args.batches)]
    ceilings: list[Ceiling] = []
    if not args.no_ceilings:
        batches = [batch_rows(f"ceiling-{zone}", args.rows) for zone in zones]
        rows = [row for batch in batches for row in batch]
        ceilings = [
            kafka_ceiling(bootstrap, batch_messages(batches), len(rows), 6, root),
            copy_ceiling(stack.database_url, rows),
        ]
        for ceiling in ceilings:
            print(
                f"ceiling, {ceiling.name}: {ceiling.rate:.0f} observations/s ({ceiling.rows} in {ceiling.seconds:.2f} s)"
            )

    if args.statements:
        reset_database_statistics(stack.database_url)
    one = burst(stack, zones, args.rows, args.clients, args.pause)
    print(f"HTTP accepted: {one.accepted_rate:.0f} observations/s")
    print(f"sustained HTTP→database: {one.sustained_rate:.0f} observations/s ({one.rows} rows in {one.seconds:.2f} s)")
    print(f"POST→row delay: {delays_text(one.delays)}")
    print(
        f"drain after the last POST: {one.drain_s:.2f} s; every result judged by the evaluator after {one.judged_s:.2f} s"
    )
    print("CPU per observation, first POST to every result judged:")
    print("\n".join(one.cpu))
    if args.statements:
        print(database_profile(stack.database_url, args.statements, "burst"))
    if ceilings:
        lowest = min(ceilings, key=lambda c: c.rate)
        print(f"end-to-end / min(ceilings): {one.sustained_rate / lowest.rate:.2f} (lowest: {lowest.name})")

    if args.paced_rate > 0:
        delays = paced(stack, "paced", args.paced_rate, args.paced_seconds, args.rows)
        print(
            f"paced {args.paced_rate:.0f} observations/s for {args.paced_seconds:.0f} s: POST→row {delays_text(delays)}"
        )

    if args.reads > 0:
        month = {"year": "2024", "month": "6"}
        for label, url, params in (
            ("/v1/progress, one month, all zones", f"{stack.query_url}/v1/progress", month),
            ("/v1/progress, one month, one zone", f"{stack.query_url}/v1/progress", {**month, "zone": zones[0]}),
            ("/board", f"{stack.query_url}/board", month),
            (
                "/v1/rankings, all zones, by growth",
                f"{stack.query_url}/v1/rankings",
                {**month, "indicator": CODES[0], "by": "yoy_pct"},
            ),
        ):
            print(f"read {label}: {delays_text(read_latencies(url, args.reads, params))}")

    if args.backfill > 0:
        if args.statements:
            reset_database_statistics(stack.database_url)
        print(backfill(stack, root, args.backfill))
        if args.statements:
            print(database_profile(stack.database_url, args.statements, "backfill"))

    if args.workers == 2:
        process, url = second_processor(processor, root)
        extra.append(process)
        process.start()
        process.wait_ready(180)
        deadline = time.monotonic() + 120
        while group_members(bootstrap) < 2:
            if time.monotonic() > deadline:
                raise SystemExit("the second processor worker did not join the group")
            time.sleep(0.5)
        stack.processors.append(url)
        stack.cpu.parts["processor"].append(pid_of(process))
        two = burst(stack, [f"bench2-{i:05d}" for i in range(args.batches)], args.rows, args.clients, args.pause)
        print(
            f"two processor workers: sustained {two.sustained_rate:.0f} observations/s "
            f"({two.sustained_rate / one.sustained_rate:.2f}× one worker), POST→row {delays_text(two.delays)}; "
            f"every result judged after {two.judged_s:.2f} s"
        )
        print("\n".join(two.cpu))
    print(f"at the end: {machine_speed_text()}")


if __name__ == "__main__":
    main()
