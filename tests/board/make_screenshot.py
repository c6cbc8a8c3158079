"""Regenerate docs/images/board.png, the README's picture of the built-in board.

    .venv/bin/python -m tests.board.make_screenshot            # writes docs/images/board.png
    .venv/bin/python -m tests.board.make_screenshot --out /tmp/board.png --size 1920x1080

Starts a throw-away stack in a temporary folder (its own PostgreSQL and Kafka, the three services and the alert
evaluator as real processes, as `make run` does), posts `make sample`'s figures for today through the ingest API
(this year's months up to the last one released), waits until the query API shows every zone and indicator of
the latest month and the alert evaluator has judged every result, and has headless Chromium take the screenshot
of three indicators with the open alerts above them. Nothing of the local `make run`
stack is touched. The picture depends on the day it is made: the sample's latest month follows the calendar.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import httpx

from stack.kafka import KafkaBroker, default_jars_dir
from stack.ports import free_port
from stack.postgres import PostgresServer
from stack.run import service_processes
from stack.sample import ZONES, build
from tests.board.chromium import png_size, screenshot
from tests.support import caught_up

ROOT = Path(__file__).resolve().parents[2]
# The README shows three indicators: the whole board of eight is nearly three times as tall.
INDICATORS = ["industrial_output", "fixed_asset_investment", "signed_projects"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "board.png")
    parser.add_argument("--size", default="1600x2150", help="browser window, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    observations, targets = build(date.today())
    year, month = (int(part) for part in max(o["period"] for o in observations).split("-"))

    with tempfile.TemporaryDirectory(prefix="indicators-board-") as tmp:
        root = Path(tmp)
        postgres = PostgresServer(root / "postgres")
        kafka = KafkaBroker(root / "kafka", jars_dir=default_jars_dir())
        postgres.start()
        kafka.start()
        key = "board-screenshot-key-0123456789"
        ports = {name: free_port() for name in ("ingest", "query", "processor", "alerts")}
        services = service_processes(
            {
                "INDICATORS_KAFKA_BOOTSTRAP": kafka.bootstrap,
                "INDICATORS_DATABASE_URL": postgres.create_database("board"),
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
        try:
            for service in services.values():
                service.start()
            for service in services.values():
                service.wait_ready(180)
            ingest, query = f"http://127.0.0.1:{ports['ingest']}", f"http://127.0.0.1:{ports['query']}"
            with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
                client.post(f"{ingest}/v1/observations", json={"observations": observations}).raise_for_status()
                client.put(f"{ingest}/v1/targets", json={"targets": targets}).raise_for_status()
            wait_until_complete(query, year, month, len(ZONES) * len(INDICATORS))
            wait_until_judged(kafka.bootstrap)
            url = f"{query}/board?" + urlencode([("indicator", code) for code in INDICATORS])
            screenshot(url, args.out, width, height)
        finally:
            for service in reversed(list(services.values())):
                service.stop()
            kafka.stop()
            postgres.stop()
    print(f"wrote {args.out} ({'x'.join(map(str, png_size(args.out)))}, {args.out.stat().st_size} bytes)")


def wait_until_complete(query_url: str, year: int, month: int, expected: int, timeout: float = 300) -> None:
    """Every zone × indicator of the month judged, with its growth (last year's base arrived too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{query_url}/v1/progress", params={"year": year, "month": month, "indicator": INDICATORS}, timeout=10
        )
        items = response.json()["items"] if response.status_code == 200 else []
        if len(items) == expected and all(i["on_track"] is not None and i["yoy_pct"] is not None for i in items):
            return
        time.sleep(0.5)
    raise SystemExit(f"the sample was not fully processed within {timeout:.0f} s")


def wait_until_judged(bootstrap: str, timeout: float = 300) -> None:
    """The processor and the alert evaluator have committed every message (twice in a row: the processor may
    publish more results between the two groups' reads), so the alerts on the picture are all there are."""
    groups = {
        "indicators-processor": ["indicators.batches", "indicators.reports"],
        "indicators-alerts": ["indicators.results"],
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if caught_up(bootstrap, groups) and caught_up(bootstrap, groups):
            return
        time.sleep(0.5)
    raise SystemExit(f"the alert evaluator did not judge every result within {timeout:.0f} s")


if __name__ == "__main__":
    main()
