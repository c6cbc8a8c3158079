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

from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError, RecordListTooLargeError, for_code
from kafka.record.default_records import DefaultRecordBatchBuilder

from indicators_core import events
from indicators_core.events import decimal_text, to_timestamp
from indicators_core.progress import Basis
from indicators_core.topics import ensure_topics
from ingest import metrics
from ingest.projects import ProjectRow
from ingest.validation import ObservationRow, TargetRow
from ingest.zones import ZoneRow

log = logging.getLogger(__name__)

# One message holds a whole batch; 5000 rows of ~150 bytes fit well under this.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class BrokerUnavailable(Exception):
    """The broker could not be reached or did not acknowledge: nothing was accepted."""


class BatchTooLarge(Exception):
    """The batch is larger than one message may be: sending it again would never succeed."""

    def __init__(self, size: int, rows: int):
        self.size = size
        self.rows = rows
        # Rows are alike in size; a tenth off leaves room for longer ones in the next request.
        self.rows_that_fit = max(1, rows * MAX_MESSAGE_BYTES // size * 9 // 10)
        super().__init__(
            f"the batch is {size} bytes as one message, more than the {MAX_MESSAGE_BYTES} a message may be;"
            f" send at most {self.rows_that_fit} rows per request"
        )


def check_message_size(batch: events.ReportBatch) -> bytes:
    """The batch serialised, or BatchTooLarge if the producer would refuse it (its own estimate, before any I/O)."""
    value = batch.SerializeToString()
    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(batch.batch_id.encode(), value, [])
    if size > MAX_MESSAGE_BYTES:
        raise BatchTooLarge(size, len(batch.reports))
    return value


def build_batch(
    rows: Sequence[ObservationRow | TargetRow | ZoneRow | ProjectRow],
    source: str,
    reported_at: datetime,
    batch_id: str | None = None,
) -> events.ReportBatch:
    batch_id = batch_id or str(uuid.uuid4())
    stamp = to_timestamp(reported_at)
    batch = events.ReportBatch(batch_id=batch_id, source=source, reported_at=stamp)
    for index, row in enumerate(rows):
        report = batch.reports.add(batch_id=batch_id, row_index=index, source=source, reported_at=stamp)
        if isinstance(row, ObservationRow):
            # Set in place, and only what is known (proto3 leaves "" unsent): a backfill builds a million of these,
            # and a message built apart then copied in costs half as much again.
            observation = report.observation
            observation.zone = row.zone
            observation.indicator = row.indicator
            observation.year = row.year
            observation.month = row.month
            observation.basis = events.BASIS_YTD if row.basis is Basis.YTD else events.BASIS_MONTH
            if row.value is not None:
                observation.value = decimal_text(row.value)
            if row.yoy_base is not None:
                observation.yoy_base = decimal_text(row.yoy_base)
            if row.reported_value is not None:
                observation.reported_value = decimal_text(row.reported_value)
            observation.reported_unit = row.reported_unit
            if row.explanation:
                observation.explanation = row.explanation
            if row.explained_warnings:
                observation.explained_warnings = row.explained_warnings
            if row.reported_yoy_pct is not None:
                observation.reported_yoy_pct = decimal_text(row.reported_yoy_pct)
        elif isinstance(row, ProjectRow):
            report.project.CopyFrom(project_event(row))
        elif isinstance(row, ZoneRow):
            report.zone.CopyFrom(
                events.Zone(
                    code=row.code,
                    name_zh=row.name_zh,
                    level=row.level,
                    kind=row.kind,
                    parent=row.parent or "",
                    groups=list(row.groups),
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
                    kind=row.kind,
                )
            )
    return batch


def project_event(row: ProjectRow) -> events.Project:
    return events.Project(
        id=row.id,
        zone=row.zone,
        name=row.name,
        tier=row.tier or "",
        industry=row.industry or "",
        total_investment=decimal_text(row.total_investment),
        reported_total_investment=decimal_text(row.reported_total_investment),
        reported_unit=row.reported_unit,
        stages={stage: day.isoformat() for stage, day in row.stages.items()},
        planned={stage: day.isoformat() for stage, day in row.planned.items()},
        annual_plan_investment={year: decimal_text(value) for year, value in row.annual_plan_investment.items()},
        completed_investment=[
            events.ProjectInvestment(
                year=month.year,
                month=month.month,
                basis=events.BASIS_YTD if month.basis is Basis.YTD else events.BASIS_MONTH,
                value=decimal_text(month.value),
                reported_value=decimal_text(month.reported_value),
                reported_unit=month.reported_unit,
            )
            for month in row.completed_investment
        ],
    )


class _Lease:
    """One producer and how many requests are sending through it right now."""

    def __init__(self, producer: KafkaProducer):
        self.producer = producer
        self.users = 0
        self.retired = False


# The broker refused the record itself (too large): the batch never fits, whatever the producer.
_RECORD_REFUSALS = (MessageSizeTooLargeError, RecordListTooLargeError)


def _discard(producer: KafkaProducer) -> None:
    """Close a producer without waiting for what it still holds (nobody waits on it any more)."""
    try:
        producer.close(timeout=0)
    except KafkaError:
        # kafka-python's close() gives up when its flush times out and leaves its I/O thread running with
        # the batches it holds. Those batches were answered 503 already: fail them now, so that a batch
        # the sender was told to send again can never reach the topic later as well.
        sender = getattr(producer, "_sender", None)
        if sender is not None:
            sender.force_close()


class BatchPublisher:
    """A kafka-python producer made lazily, so that the service starts (and says 503) while the broker is down.

    A producer that failed a publish is dropped and the next request makes a fresh one: kafka-python's
    idempotent producer, once a batch that was in flight when the broker died expires, resets its
    producer id and, the broker back, never gets a new one (every send then times out). Requests still
    sending through a dropped producer finish on it (acknowledged or 503); the last one closes it.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        all_topics: list[str],
        partitions: int,
        publish_timeout_s: float,
        connect_timeout_s: float,
        ready_timeout_s: float = 2.0,
    ):
        self.bootstrap = bootstrap
        self.topic = topic
        self.all_topics = all_topics
        self.partitions = partitions
        self.publish_timeout_s = publish_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.ready_timeout_s = ready_timeout_s
        self._lease: _Lease | None = None
        self._lock = threading.Lock()
        self._connect_lock = threading.Lock()
        # (when it ended, why): requests that were waiting for a connection attempt share its failure
        # instead of each trying again in turn, which would queue them for minutes while the broker is down.
        self._connect_failure: tuple[float, str] | None = None
        self._probe_lock = threading.Lock()
        self._probe_result: tuple[float, str | None] | None = None

    def _new_producer(self) -> KafkaProducer:
        ensure_topics(self.bootstrap, self.all_topics, self.partitions, timeout_s=self.connect_timeout_s)
        return KafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id="indicators-ingest",
            acks="all",
            enable_idempotence=True,
            compression_type="lz4",
            max_request_size=MAX_MESSAGE_BYTES,
            linger_ms=0,
            max_block_ms=int(self.connect_timeout_s * 1000),
            bootstrap_timeout_ms=int(self.connect_timeout_s * 1000),
            request_timeout_ms=int(self.publish_timeout_s * 1000),
            delivery_timeout_ms=int(self.publish_timeout_s * 1000) + 1000,
            # kafka-python's own sensors, which nothing reads (ingest's metrics are its own): recorded on every
            # request by the sender thread, which holds the GIL the requests' handlers need.
            metrics_enabled=False,
        )

    def _checkout(self) -> _Lease:
        asked = time.monotonic()
        with self._lock:
            if self._lease is not None:
                self._lease.users += 1
                return self._lease
        # Connecting takes up to the connect timeout: not under _lock, which requests finishing on the
        # producer need at once to answer.
        with self._connect_lock:
            with self._lock:
                if self._lease is None and self._connect_failure is not None and self._connect_failure[0] >= asked:
                    raise BrokerUnavailable(self._connect_failure[1])
                if self._lease is not None:  # made while this request waited for _connect_lock
                    self._lease.users += 1
                    return self._lease
            try:
                producer = self._new_producer()
            except (KafkaError, OSError) as error:
                reason = f"Kafka at {self.bootstrap} is unreachable ({type(error).__name__}: {error})"
                with self._lock:
                    self._connect_failure = (time.monotonic(), reason)
                raise BrokerUnavailable(reason) from error
            with self._lock:
                self._lease = _Lease(producer)
                self._lease.users += 1
                return self._lease

    def _checkin(self, lease: _Lease, healthy: bool) -> None:
        with self._lock:
            lease.users -= 1
            if not healthy and not lease.retired:
                lease.retired = True
                if self._lease is lease:
                    self._lease = None
                log.warning("dropped the Kafka producer after a failed publish; the next batch gets a fresh one")
            closing = lease.retired and lease.users == 0
        if closing:
            _discard(lease.producer)

    def connect(self) -> None:
        """Make the producer now (at start), so that the first batch does not wait for it."""
        self._checkin(self._checkout(), healthy=True)

    def publish(self, batch: events.ReportBatch) -> None:
        """Send and wait for the broker's acknowledgement (blocking: call it from a worker thread)."""
        lease = self._checkout()
        started = time.perf_counter()
        healthy = False
        try:
            future = lease.producer.send(self.topic, key=batch.batch_id.encode(), value=batch.SerializeToString())
            future.get(timeout=self.publish_timeout_s + 2)
            healthy = True
        except _RECORD_REFUSALS as error:
            # Not healthy all the same: kafka-python's idempotent producer takes the broker's MESSAGE_TOO_LARGE
            # as fatal and refuses every later batch with it (tests/ingest/test_broker_message_limit.py).
            healthy = False
            metrics.PUBLISH_ERRORS.inc()
            raise BrokerUnavailable(
                f"Kafka at {self.bootstrap} refused the batch ({type(error).__name__}: {error})"
            ) from error
        except (KafkaError, OSError) as error:
            metrics.PUBLISH_ERRORS.inc()
            raise BrokerUnavailable(
                f"Kafka at {self.bootstrap} did not acknowledge the batch ({type(error).__name__}: {error})"
            ) from error
        finally:
            metrics.PUBLISH_SECONDS.observe(time.perf_counter() - started)
            self._checkin(lease, healthy)

    def readiness(self) -> str | None:
        """Why a batch could not be published now, or None: asked of the broker at every call, never from a
        producer's cached metadata, and bounded by `ready_timeout_s` so that a health check never hangs."""
        asked = time.monotonic()
        with self._probe_lock:
            # Callers that queued behind a probe take its answer rather than each asking the broker again.
            if self._probe_result is not None and self._probe_result[0] >= asked:
                return self._probe_result[1]
            problem = self._probe()
            self._probe_result = (time.monotonic(), problem)
            return problem

    def _probe(self) -> str | None:
        # Half the bound to connect, half to describe: a broker that accepts connections but never answers
        # (hung, stopped) still gets its 503 within ready_timeout_s.
        half_ms = max(100, int(self.ready_timeout_s * 500))
        try:
            # A fresh client each time: a long-lived one keeps failing with NodeNotReady for seconds after the
            # broker is back, and connecting costs ~20 ms on a reachable broker.
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                client_id="indicators-ingest-ready",
                request_timeout_ms=half_ms,
                bootstrap_timeout_ms=half_ms,
            )
            try:
                (topic,) = admin.describe_topics([self.topic])
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as error:
            return f"Kafka at {self.bootstrap} did not answer within {self.ready_timeout_s:g} s ({type(error).__name__}: {error})"
        return batches_topic_problem(self.topic, topic)

    def ready(self) -> bool:
        return self.readiness() is None

    def close(self) -> None:
        with self._lock:
            lease, self._lease = self._lease, None
        if lease is not None:
            try:
                lease.producer.close(timeout=5)
            except KafkaError:
                _discard(lease.producer)


def batches_topic_problem(name: str, topic: dict) -> str | None:
    """What in the broker's description of the batches topic keeps a batch from being published, or None."""
    if topic.get("error_code"):
        return f"Kafka cannot describe topic {name}: {for_code(topic['error_code']).__name__}"
    partitions = topic.get("partitions") or []
    if not partitions:
        return f"topic {name} has no partitions"
    leaderless = sorted(p["partition_index"] for p in partitions if p.get("leader_id", -1) < 0)
    if leaderless:
        return f"topic {name} has no leader for partition(s) {', '.join(map(str, leaderless))}"
    return None
