"""Publishing accepted batches to Kafka (kafka-python, acks=all).

A whole HTTP batch is one ReportBatch message: the broker acknowledges all of
it or none of it, which is what makes the batch all-or-nothing. The processor
fans it out per zone and indicator.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError

from indicators_core import events
from indicators_core.events import decimal_text, to_timestamp
from indicators_core.progress import Basis
from indicators_core.topics import ensure_topics
from ingest import metrics
from ingest.validation import ObservationRow, TargetRow

log = logging.getLogger(__name__)

# One message holds a whole batch; 5000 rows of ~150 bytes fit well under this.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class BrokerUnavailable(Exception):
    """The broker could not be reached or did not acknowledge: nothing was accepted."""


def build_batch(
    rows: Sequence[ObservationRow | TargetRow], source: str, reported_at: datetime, batch_id: str | None = None
) -> events.ReportBatch:
    batch_id = batch_id or str(uuid.uuid4())
    stamp = to_timestamp(reported_at)
    batch = events.ReportBatch(batch_id=batch_id, source=source, reported_at=stamp)
    for index, row in enumerate(rows):
        report = batch.reports.add(batch_id=batch_id, row_index=index, source=source, reported_at=stamp)
        if isinstance(row, ObservationRow):
            report.observation.CopyFrom(
                events.Observation(
                    zone=row.zone,
                    indicator=row.indicator,
                    year=row.year,
                    month=row.month,
                    basis=events.BASIS_YTD if row.basis is Basis.YTD else events.BASIS_MONTH,
                    value=decimal_text(row.value),
                    yoy_base=decimal_text(row.yoy_base),
                    reported_value=decimal_text(row.reported_value),
                    reported_unit=row.reported_unit,
                )
            )
        else:
            report.target.CopyFrom(
                events.Target(
                    zone=row.zone,
                    indicator=row.indicator,
                    year=row.year,
                    value=decimal_text(row.value),
                    reported_value=decimal_text(row.reported_value),
                    reported_unit=row.reported_unit,
                )
            )
    return batch


class BatchPublisher:
    """A kafka-python producer made lazily, so that the service starts (and says 503) while the broker is down."""

    def __init__(self, bootstrap: str, topic: str, all_topics: list[str], partitions: int,
                 publish_timeout_s: float, connect_timeout_s: float):
        self.bootstrap = bootstrap
        self.topic = topic
        self.all_topics = all_topics
        self.partitions = partitions
        self.publish_timeout_s = publish_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _connect(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                try:
                    ensure_topics(self.bootstrap, self.all_topics, self.partitions, timeout_s=self.connect_timeout_s)
                    self._producer = KafkaProducer(
                        bootstrap_servers=self.bootstrap,
                        client_id="indicators-ingest",
                        acks="all",
                        enable_idempotence=True,
                        compression_type="gzip",
                        max_request_size=MAX_MESSAGE_BYTES,
                        linger_ms=0,
                        max_block_ms=int(self.connect_timeout_s * 1000),
                        bootstrap_timeout_ms=int(self.connect_timeout_s * 1000),
                        request_timeout_ms=int(self.publish_timeout_s * 1000),
                        delivery_timeout_ms=int(self.publish_timeout_s * 1000) + 1000,
                    )
                except (KafkaError, OSError) as error:
                    raise BrokerUnavailable(f"Kafka at {self.bootstrap} is unreachable ({error})") from error
            return self._producer

    def publish(self, batch: events.ReportBatch) -> None:
        """Send and wait for the broker's acknowledgement (blocking: call it from a worker thread)."""
        producer = self._connect()
        started = time.perf_counter()
        try:
            future = producer.send(self.topic, key=batch.batch_id.encode(), value=batch.SerializeToString())
            future.get(timeout=self.publish_timeout_s + 2)
        except (KafkaError, OSError) as error:
            metrics.PUBLISH_ERRORS.inc()
            raise BrokerUnavailable(
                f"Kafka at {self.bootstrap} did not acknowledge the batch ({type(error).__name__}: {error})"
            ) from error
        finally:
            metrics.PUBLISH_SECONDS.observe(time.perf_counter() - started)

    def ready(self) -> bool:
        """The broker answers a metadata request for the batches topic (bounded by the connect timeout)."""
        try:
            producer = self._connect()
            return bool(producer.partitions_for(self.topic))
        except (BrokerUnavailable, KafkaError, OSError):
            return False

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=5)
                self._producer = None
