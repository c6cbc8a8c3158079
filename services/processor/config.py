"""Settings of the stream processor."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from indicators_core.settings import CommonSettings, take_deprecated


class ProcessorSettings(CommonSettings):
    processor_app_id: str = "indicators-processor"
    processor_web_host: str = "127.0.0.1"
    processor_web_port: int = 8002
    processor_data_dir: Path = Path(".data/faust")
    # Reports are written in chunks of up to take_max reports, one database transaction each. The batches of
    # up to batches_take_max accepted HTTP requests, or whatever arrived within take_within_s, are taken at once
    # and acknowledged once every report of them is stored (or dead-lettered). 5,000: a bulk upload's batch
    # (`indicators upload --batch-rows 5000`) is one transaction, and a series' years are recomputed once rather
    # than in each transaction its reports are split over (a 300,000-observation backfill 42.4 → 33.6 s with the
    # evaluator's take at 5,000 too, against 1,000 and 500; docs/benchmark.md).
    take_max: int = Field(default=5000, ge=1)
    take_within_s: float = Field(default=0.2, gt=0)
    processor_batches_take_max: int = Field(default=100, ge=1)
    # Chunks of batches handled at once by one worker: the next one's Python work overlaps the last one's wait on
    # the database. 1: one after the other.
    processor_chunks_in_flight: int = Field(default=2, ge=1)
    processor_db_pool_max: int = Field(default=4, ge=1)
    # The old, shared INDICATORS_DB_POOL_MAX (the query service read it too, meaning 8): still read, with a warning.
    legacy_db_pool_max: int | None = Field(default=None, ge=1, validation_alias="INDICATORS_DB_POOL_MAX")
    # Wait between attempts while the database is down (never drop an event).
    db_retry_max_wait_s: float = 30.0
    # How often a worker checks whether a month began (Asia/Shanghai), to give the project lists' figures to it.
    processor_derived_refresh_s: float = Field(default=600.0, gt=0)
    # How often a worker looks whether a burst grew the tables by half since their statistics (then ANALYZE).
    processor_analyze_check_s: float = Field(default=10.0, gt=0)
    # How often the consumer lag gauge is read from the broker (Prometheus scrapes every 15 s).
    lag_refresh_s: float = 10.0

    @model_validator(mode="after")
    def _deprecated_names(self) -> Self:
        take_deprecated(self, "db_pool_max", "processor_db_pool_max")
        return self
