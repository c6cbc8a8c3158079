"""Kafka topic keys and creation."""

from __future__ import annotations

import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)


def series_key(zone: str, indicator: str) -> bytes:
    """The partition key of a series: every report of one zone and indicator goes to one partition, in order."""
    return f"{zone}|{indicator}".encode()


def ensure_topics(bootstrap: str, names: list[str], partitions: int, timeout_s: float = 15.0) -> None:
    """Create the topics that do not exist yet (idempotent; safe to race)."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="indicators-admin",
        request_timeout_ms=int(timeout_s * 1000),
        bootstrap_timeout_ms=int(timeout_s * 1000),
    )
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names if name not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing)
                log.info("created topics %s", [t.name for t in missing])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def wait_for_topics(
    bootstrap: str, names: list[str], partitions: int, service_log: logging.Logger, deadline_s: float = 300.0
) -> None:
    """ensure_topics, waiting (and saying so) while Kafka is not up yet; SystemExit after `deadline_s`.

    A Faust worker creates its topics before it subscribes: a consumer subscribed to a topic that does
    not exist yet would only notice it on its next metadata refresh, minutes later.
    """
    started = time.monotonic()
    while True:
        try:
            ensure_topics(bootstrap, names, partitions, timeout_s=10)
            return
        except (KafkaError, OSError) as error:
            if time.monotonic() - started > deadline_s:
                raise SystemExit(f"Kafka at {bootstrap} unreachable for {deadline_s:.0f} s: {error}") from error
            service_log.warning("waiting for Kafka at %s (%s)", bootstrap, error)
            time.sleep(2)
