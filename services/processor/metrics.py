"""Prometheus metrics of the stream processor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Counter, Gauge, Histogram

BATCHES_SPLIT = Counter("indicators_processor_batches_total", "Upstream batches fanned out to the reports topic")
REPORTS_CONSUMED = Counter("indicators_processor_reports_total", "Reports applied to the database", ["kind"])
UNDECODABLE = Counter("indicators_processor_undecodable_total", "Messages that are not valid events (sent to the dead-letter topic)", ["topic"])
RESULTS_WRITTEN = Counter("indicators_processor_results_written_total", "Progress rows upserted")
RESULTS_PUBLISHED = Counter("indicators_processor_results_published_total", "Progress results published on the results topic")
DB_RETRIES = Counter("indicators_processor_db_retries_total", "Database transactions retried after an outage")
DB_WRITE_SECONDS = Histogram(
    "indicators_processor_db_write_seconds", "Duration of one chunk's database transaction",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LATENCY_SECONDS = Histogram(
    "indicators_processor_latency_seconds", "From acceptance by the ingest API to the figures committed in the database",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
CONSUMER_LAG = Gauge(
    "indicators_processor_consumer_lag",
    "Messages in each partition assigned to this worker that the processor has not committed yet "
    "(the partition's end offset minus the group's committed offset, read from the broker)",
    ["topic", "partition"],
)
CONSUMER_LAG_READ_AT = Gauge(
    "indicators_processor_consumer_lag_read_timestamp_seconds",
    "When the consumer lag was last read from the broker (stale while the broker does not answer)",
)


class ConsumerLagReader:
    """Reads a consumer group's lag from the broker, as `kafka-consumer-groups --describe` shows it.

    The committed offsets are the broker's, not the worker's memory: they are what a restarted
    worker resumes from, so they are what "not processed yet" means. A partition the group has
    never committed counts from its first offset, because the processor starts at the earliest.
    """

    def __init__(self, bootstrap: str, group_id: str):
        self.bootstrap = bootstrap
        self.group_id = group_id
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        # Made on first use: aiokafka clients belong to the running event loop.
        if self._admin is None or self._offsets is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.group_id}-lag")
            # Only asks for offsets: no group, never subscribes, never commits.
            offsets = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap, enable_auto_commit=False, client_id=f"{self.group_id}-lag"
            )
            try:
                await admin.start()
                await offsets.start()
            except BaseException:
                await offsets.stop()
                await admin.close()
                raise
            self._admin, self._offsets = admin, offsets
        return self._admin, self._offsets

    async def read(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Lag per (topic, partition); an empty set of partitions asks the broker nothing."""
        tps = sorted(TopicPartition(topic, partition) for topic, partition in partitions)
        if not tps:
            return {}
        admin, offsets = await self._clients()
        committed = await admin.list_consumer_group_offsets(self.group_id, partitions=tps)
        ends = await offsets.end_offsets(tps)
        never_committed = [tp for tp in tps if tp not in committed or committed[tp].offset < 0]
        starts = await offsets.beginning_offsets(never_committed) if never_committed else {}
        lag = {}
        for tp in tps:
            position = starts[tp] if tp in starts else committed[tp].offset
            lag[(tp.topic, tp.partition)] = max(0, ends[tp] - position)
        return lag

    async def close(self) -> None:
        if self._admin is not None and self._offsets is not None:
            await self._offsets.stop()
            await self._admin.close()
        self._admin = self._offsets = None


def publish_consumer_lag(lag: Mapping[tuple[str, int], int]) -> None:
    """Replace every lag series at once: partitions moved to another worker disappear from this one."""
    CONSUMER_LAG.clear()
    for (topic, partition), messages in sorted(lag.items()):
        CONSUMER_LAG.labels(topic, str(partition)).set(messages)
    CONSUMER_LAG_READ_AT.set_to_current_time()
