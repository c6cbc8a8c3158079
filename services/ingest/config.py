"""Settings of the ingest service."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, model_validator

from indicators_core.settings import CommonSettings


class IngestSettings(CommonSettings):
    ingest_host: str = "127.0.0.1"
    ingest_port: int = 8000
    # The admin key writes as source "admin". In development a missing key is
    # generated and printed at start; in production it must be set.
    admin_key: SecretStr | None = None
    # More writers, each with its own name recorded as the source of what it posts:
    # INDICATORS_API_KEYS='{"stats-bureau": "…", "customs": "…"}'
    api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    max_batch_rows: int = 5000
    publish_timeout_s: float = 15.0
    broker_connect_timeout_s: float = 5.0

    @model_validator(mode="after")
    def _require_keys_outside_development(self) -> IngestSettings:
        if self.admin_key is None:
            if self.environment == "production":
                raise ValueError("INDICATORS_ADMIN_KEY must be set in production")
            self.admin_key = SecretStr(secrets.token_urlsafe(24))
            self.admin_key_generated = True
        for name, key in {"admin": self.admin_key, **self.api_keys}.items():
            if self.environment == "production" and len(key.get_secret_value()) < 16:
                raise ValueError(f"the key of '{name}' is shorter than 16 characters")
        return self

    admin_key_generated: bool = False

    def writers(self) -> dict[str, str]:
        """Key → source name of every writer."""
        assert self.admin_key is not None  # set by the validator  # noqa: S101
        keys = {self.admin_key.get_secret_value(): "admin"}
        keys.update({key.get_secret_value(): name for name, key in self.api_keys.items()})
        return keys
