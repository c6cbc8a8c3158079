"""Settings of the notifier (environment prefix INDICATORS_, e.g. INDICATORS_NOTIFIER_PORT)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from indicators_core.netguard import AllowedNetworks
from indicators_core.settings import CommonSettings


class NotifierSettings(CommonSettings):
    # /metrics, /healthz, /readyz
    notifier_host: str = "127.0.0.1"
    notifier_port: int = 8003
    # How many deliveries are sent at once (each to its own subscriber): a dead endpoint
    # holds one slot for at most the send timeout, never the others.
    notifier_concurrency: int = Field(default=16, ge=1)
    # How often the outbox is polled for due deliveries.
    notifier_poll_interval_s: float = Field(default=1.0, gt=0)
    # One HTTP call or SMTP conversation, start to end.
    notifier_send_timeout_s: float = Field(default=10.0, gt=0)
    # A claimed delivery belongs to its notifier this long; one that died mid-send leaves
    # a lease that expires, and the delivery is sent again. Must exceed the send timeout.
    notifier_lease_s: float = Field(default=60.0, gt=0)
    # Retries: the n-th failure waits base × 2^(n−1) seconds, at most max; the delivery is
    # given up (status failed) after max_attempts tries or once it is older than max_age.
    notifier_backoff_base_s: float = Field(default=5.0, gt=0)
    notifier_backoff_max_s: float = Field(default=600.0, gt=0)
    notifier_max_attempts: int = Field(default=12, ge=1)
    notifier_max_age_s: float = Field(default=86_400.0, gt=0)
    # At start, how long to wait for PostgreSQL (saying so) before giving up.
    notifier_db_connect_timeout_s: float = Field(default=60.0, gt=0)
    # E-mail (channel "email"). starttls upgrades a plain connection (port 587);
    # ssl is TLS from the first byte (port 465).
    notifier_smtp_host: str = "127.0.0.1"
    notifier_smtp_port: int = 25
    notifier_smtp_user: str | None = None
    notifier_smtp_password: SecretStr | None = None
    notifier_smtp_from: str = "indicators@localhost"
    notifier_smtp_starttls: bool = False
    notifier_smtp_ssl: bool = False
    # Webhook and robot targets must resolve to public addresses at send time (checked on every send, and the
    # connection goes to the checked address), unless in one of these networks ("127.0.0.1/32,10.1.0.0/16").
    # The same setting as the query service's. Link-local and 0.0.0.0 are refused even if listed. The SMTP
    # host is the operator's own setting and is not checked.
    notify_allow_networks: AllowedNetworks = ()

    @field_validator("notifier_smtp_user", "notifier_smtp_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `INDICATORS_NOTIFIER_SMTP_USER=` in an .env file means "no login", not a user with an empty name.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotifierSettings:
        if self.notifier_lease_s <= self.notifier_send_timeout_s:
            raise ValueError(
                f"INDICATORS_NOTIFIER_LEASE_S ({self.notifier_lease_s:g}) must exceed "
                f"INDICATORS_NOTIFIER_SEND_TIMEOUT_S ({self.notifier_send_timeout_s:g}): "
                "otherwise a slow send is claimed again by another notifier while it is still running"
            )
        if self.notifier_smtp_starttls and self.notifier_smtp_ssl:
            raise ValueError("INDICATORS_NOTIFIER_SMTP_STARTTLS and INDICATORS_NOTIFIER_SMTP_SSL exclude each other")
        return self
