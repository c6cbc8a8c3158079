"""Settings shared by every service: where Kafka, PostgreSQL and the catalog are.

Each service has its own settings class that extends this one (one class per
service, environment prefix INDICATORS_); nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INDICATORS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    database_url: str = "postgresql://indicators@127.0.0.1:5433/indicators"
    catalog_path: Path | None = None

    topic_batches: str = "indicators.batches"
    topic_reports: str = "indicators.reports"
    topic_results: str = "indicators.results"
    topic_alerts: str = "indicators.alerts"  # AlertEvent: every alert transition, after it is committed
    topic_partitions: int = 6
    log_level: str = "INFO"
