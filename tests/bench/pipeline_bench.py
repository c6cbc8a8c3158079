"""`make bench`: sustained observations/s from HTTP to database, and POST-to-row delay.

Method: a fresh Kafka and PostgreSQL (temporary folders, free ports) and the
three services as real processes, as in `make run`. A warm-up batch first.
Then `--batches` batches of `--rows` observations each are posted by
`--clients` concurrent HTTP clients; every batch is one zone's twelve months
of several indicators, so it also recomputes that many series. A poller reads
PostgreSQL every 20 ms and records when each batch's last progress row became
visible. Throughput = rows / (last row visible − first POST sent). Delay =
row visible − POST sent, per batch (p50/p95/max). Reported with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg

from stack.kafka import KafkaBroker, default_jars_dir
from stack.ports import free_port
from stack.postgres import PostgresServer
from stack.run import service_processes

INDICATORS = [
    "industrial_output",
    "fixed_asset_investment",
    "import_export",
    "export",
    "import",
    "signed_investment",
    "major_project_investment",
    "manufacturing_investment",
]


def batch_rows(zone: str, rows: int) -> list[dict]:
    out = []
    for index in range(rows):
        indicator = INDICATORS[(index // 12) % len(INDICATORS)]
        year = 2024 + index // (12 * len(INDICATORS))
        month = index % 12 + 1
        out.append(
            {
                "zone": zone,
                "indicator": indicator,
                "period": f"{year}-{month:02d}",
                "value": f"{10 + month * 1.37 + index * 0.01:.2f}",
                "unit": "亿元",
            }
        )
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument(
        "--rows", type=int, default=96, help="observations per batch (≤ 8 indicators × 12 months × years)"
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--pause", type=float, default=0.0, help="seconds each client waits between batches (paced load)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="indicators-bench-") as tmp:
        root = Path(tmp)
        postgres = PostgresServer(root / "postgres")
        kafka = KafkaBroker(root / "kafka", jars_dir=default_jars_dir())
        postgres.start()
        kafka.start()
        database_url = postgres.create_database("bench")
        key = "bench-admin-key-0123456789"
        ports = {name: free_port() for name in ("ingest", "query", "processor")}
        services = service_processes(
            {
                "INDICATORS_KAFKA_BOOTSTRAP": kafka.bootstrap,
                "INDICATORS_DATABASE_URL": database_url,
                "INDICATORS_ADMIN_KEY": key,
                "INDICATORS_PROCESSOR_DATA_DIR": str(root / "faust"),
            },
            root / "logs",
            ports["ingest"],
            ports["query"],
            ports["processor"],
        )
        try:
            for service in services.values():
                service.start()
            for service in services.values():
                service.wait_ready(180)
            run(args, f"http://127.0.0.1:{ports['ingest']}", key, database_url)
        finally:
            for service in reversed(list(services.values())):
                service.stop()
            kafka.stop()
            postgres.stop()


def run(args: argparse.Namespace, ingest_url: str, key: str, database_url: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    client = httpx.Client(headers=headers, timeout=60)

    def expected_rows(zone: str) -> int:
        return len(batch_rows(zone, args.rows))

    # Warm-up: connections, topic metadata, the first transaction.
    warm = client.post(f"{ingest_url}/v1/observations", json={"observations": batch_rows("warm-up", args.rows)})
    warm.raise_for_status()
    with psycopg.connect(database_url) as conn:
        while conn.execute("SELECT count(*) FROM progress WHERE zone = 'warm-up'").fetchone()[0] < expected_rows(
            "warm-up"
        ):
            time.sleep(0.05)

    zones = [f"bench-{i:04d}" for i in range(args.batches)]
    sent_at: dict[str, float] = {}
    visible_at: dict[str, float] = {}
    done = threading.Event()

    def poll() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            while not done.is_set():
                rows = conn.execute(
                    "SELECT zone, count(*) FROM progress WHERE zone LIKE 'bench-%' GROUP BY zone"
                ).fetchall()
                now = time.perf_counter()
                for zone, count in rows:
                    if count >= args.rows and zone not in visible_at:
                        visible_at[zone] = now
                if len(visible_at) == len(zones):
                    done.set()
                time.sleep(0.02)

    def post(zone: str) -> None:
        rows = batch_rows(zone, args.rows)
        sent_at[zone] = time.perf_counter()
        response = client.post(f"{ingest_url}/v1/observations", json={"observations": rows})
        response.raise_for_status()
        time.sleep(args.pause)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(post, zones))
    posted = time.perf_counter()
    if not done.wait(timeout=600):
        raise SystemExit(f"only {len(visible_at)}/{len(zones)} batches visible after 600 s")
    finished = max(visible_at.values())
    delays = [visible_at[z] - sent_at[z] for z in zones]
    total_rows = args.rows * args.batches

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"load: {args.batches} batches × {args.rows} observations, {args.clients} concurrent clients, "
        f"{args.pause} s pause between a client's batches"
    )
    print(f"HTTP accepted: {total_rows / (posted - started):.0f} observations/s")
    print(
        f"sustained HTTP→database: {total_rows / (finished - started):.0f} observations/s "
        f"({total_rows} rows in {finished - started:.2f} s)"
    )
    print(
        f"POST→row delay: p50 {statistics.median(delays) * 1000:.0f} ms, p95 {percentile(delays, 95) * 1000:.0f} ms, "
        f"max {max(delays) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
