"""`python -m stack run` (the whole local stack) or `python -m stack kafka|postgres --data-dir DIR` (one part)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m stack")
    parser.add_argument("what", choices=["run", "kafka", "postgres"])
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    if args.what == "run":
        from stack.run import main as run_main

        return run_main()
    from stack.supervise import wait_until_set

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.what == "kafka":
        from stack.kafka import KafkaBroker

        broker = KafkaBroker(args.data_dir / "kafka", port=args.port)
        broker.start()
        print(f"Kafka ready on {broker.bootstrap}; Ctrl-C stops it", flush=True)
        wait_until_set(stop)
        broker.stop()
    else:
        from stack.postgres import PostgresServer

        server = PostgresServer(args.data_dir / "postgres", port=args.port)
        server.start()
        print(f"PostgreSQL ready: {server.url('postgres')}; Ctrl-C stops it", flush=True)
        wait_until_set(stop)
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
