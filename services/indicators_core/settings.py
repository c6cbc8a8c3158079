"""Settings shared by every service: where Kafka, PostgreSQL and the catalog are.

Each service has its own settings class that extends this one (one class per
service, environment prefix INDICATORS_); nothing else reads the environment.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("indicators.settings")


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


def take_deprecated(settings: BaseSettings, old: str, new: str) -> None:
    """Carry a value set under an old, shared name (field `legacy_<old>`) over to its per-service name.

    `make run` gives every service one environment, so a name two services read with different
    meanings (INDICATORS_DB_POOL_MAX: the processor's 4, the query service's 8) is now prefixed per
    service; the old name still works for a while, with a log line saying what to set instead.
    The new name wins when both are set.
    """
    value = getattr(settings, f"legacy_{old}")
    if value is None:
        return
    old_env, new_env = f"INDICATORS_{old.upper()}", f"INDICATORS_{new.upper()}"
    if new in settings.model_fields_set:
        log.warning("%s is deprecated and ignored: %s is set (%s)", old_env, new_env, getattr(settings, new))
        return
    setattr(settings, new, value)
    log.warning("%s is deprecated: set %s=%s instead (the old name is still read, for now)", old_env, new_env, value)
