"""Settings of the ingest service."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator

from indicators_core.settings import CommonSettings
from indicators_core.writers import Writer, WritersInvalid, parse_writers


class IngestSettings(CommonSettings):
    ingest_host: str = "127.0.0.1"
    ingest_port: int = 8000
    # The admin key writes as source "admin". In development a missing key is
    # generated and printed at start; in production it must be set.
    admin_key: SecretStr | None = None
    # More writers, each with its own name recorded as the source of what it posts:
    # INDICATORS_API_KEYS='{"stats-bureau": "…", "customs": {"keys": ["…", "sha256:…"], "zones": […],
    # "indicators": […], "targets": false}}' (indicators_core.writers: scopes, rotation, hashed keys).
    api_keys: dict[str, SecretStr | dict[str, Any]] = Field(default_factory=dict, repr=False)
    max_batch_rows: int = 5000
    # A larger body is refused with 413 before it is read (Content-Length) or as soon as it
    # exceeds this while streaming in; 5000 rows are 0.65 MB (short zone names) to 2.8 MB (100-character ones).
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    publish_timeout_s: float = 15.0
    broker_connect_timeout_s: float = 5.0
    # /readyz asks the broker at every call; this bounds the answer so a health check never hangs.
    broker_probe_timeout_s: float = 2.0
    # Plausibility warnings (indicators_core/plausibility.py): the thresholds file (default: the packaged
    # plausibility.toml), and how long reading the stored history may take before the batch is checked on
    # its own figures only (ingest keeps accepting while PostgreSQL is down).
    plausibility_path: Path | None = None
    plausibility_lookup_timeout_s: float = Field(default=2.0, gt=0)
    # true: an observation or target of a zone code nobody registered (PUT /v1/zones) is a 422 naming the
    # closest registered codes; the registry is then read at every batch (503 while PostgreSQL is down).
    zones_strict: bool = False

    @model_validator(mode="after")
    def _require_keys_outside_development(self) -> IngestSettings:
        if self.admin_key is None:
            if self.environment == "production":
                raise ValueError("INDICATORS_ADMIN_KEY must be set in production")
            self.admin_key = SecretStr(secrets.token_urlsafe(24))
            self.admin_key_generated = True
        if self.environment == "production" and len(self.admin_key.get_secret_value()) < 16:
            raise ValueError("the key of 'admin' is shorter than 16 characters")
        self.scoped_writers()  # refuse a bad INDICATORS_API_KEYS at start, naming the writer and field
        return self

    admin_key_generated: bool = False

    def scoped_writers(self) -> list[Writer]:
        """The admin writer and every writer of INDICATORS_API_KEYS, with their key digests and scopes."""
        assert self.admin_key is not None  # set by the validator  # noqa: S101
        specs = {
            source: spec.get_secret_value() if isinstance(spec, SecretStr) else spec
            for source, spec in self.api_keys.items()
        }
        try:
            return parse_writers(self.admin_key.get_secret_value(), specs, production=self.environment == "production")
        except WritersInvalid as error:
            raise ValueError(f"INDICATORS_API_KEYS: {error}") from error
