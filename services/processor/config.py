"""Settings of the stream processor."""

from __future__ import annotations

from pathlib import Path

from indicators_core.settings import CommonSettings


class ProcessorSettings(CommonSettings):
    processor_app_id: str = "indicators-processor"
    processor_web_host: str = "127.0.0.1"
    processor_web_port: int = 8002
    processor_data_dir: Path = Path(".data/faust")
    # Reports are written in chunks: up to take_max events, or whatever
    # arrived within take_within_s, in one database transaction.
    take_max: int = 1000
    take_within_s: float = 0.2
    db_pool_max: int = 4
    # Wait between attempts while the database is down (never drop an event).
    db_retry_max_wait_s: float = 30.0
    # How often the consumer lag gauge is read from the broker (Prometheus scrapes every 15 s).
    lag_refresh_s: float = 10.0
