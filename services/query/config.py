"""Settings of the query service (environment prefix INDICATORS_, e.g. INDICATORS_QUERY_PORT)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from indicators_core.netguard import AllowedNetworks
from indicators_core.settings import CommonSettings, take_deprecated


class QuerySettings(CommonSettings):
    query_host: str = "127.0.0.1"
    query_port: int = 8001
    # Decimals of percentages (*_pct, progress_gap_pp) when a request does not say (?digits=).
    default_pct_digits: int = Field(default=1, ge=0, le=4)
    db_pool_min: int = Field(default=1, ge=0)
    query_db_pool_max: int = Field(default=8, ge=1)
    # The old, shared INDICATORS_DB_POOL_MAX (the processor read it too, meaning 4): still read, with a warning.
    legacy_db_pool_max: int | None = Field(default=None, ge=1, validation_alias="INDICATORS_DB_POOL_MAX")
    # How long a request waits for a free connection before answering 503.
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    # A query running longer than this is cancelled by PostgreSQL (a board must not pile up requests).
    db_statement_timeout_ms: int = Field(default=10_000, ge=0)
    # At start, how long to wait for PostgreSQL (saying so) before giving up with an error.
    db_connect_timeout_s: float = Field(default=60.0, gt=0)
    # The same INDICATORS_ADMIN_KEY as ingest: it manages alert subscriptions. Unset, the
    # subscription API refuses every request (the read API needs no key).
    admin_key: SecretStr | None = None
    # Subscription targets (webhook, robot URLs) must resolve to public addresses, unless in one of these
    # networks ("127.0.0.1/32,10.1.0.0/16"); the notifier's setting of the same name should say the same.
    # Link-local (169.254.0.0/16 with the metadata service, fe80::/10) and 0.0.0.0 are refused even if listed.
    notify_allow_networks: AllowedNetworks = ()

    @model_validator(mode="after")
    def _deprecated_names(self) -> Self:
        take_deprecated(self, "db_pool_max", "query_db_pool_max")
        return self
