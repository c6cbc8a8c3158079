"""Consumer lag of a Faust worker's group, read from the broker, for Prometheus.

Shared by the stream processor and the alert evaluator: each has its own gauges (its own metric
names), and reads its own group's lag the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client import Gauge


class ConsumerLagReader:
    """Reads a consumer group's lag from the broker, as `kafka-consumer-groups --describe` shows it.

    The committed offsets are the broker's, not the worker's memory: they are what a restarted
    worker resumes from, so they are what "not processed yet" means. A partition the group has
    never committed counts from its first offset, because the workers start at the earliest.
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


class ConsumerLagMetric:
    """One worker's lag gauge (labels topic, partition) and the time it was last read.

    The worker says which partitions it has (Faust's assignment); only those of the topics it
    consumes are read, so every worker of a group reports its own share and none twice.
    """

    def __init__(
        self,
        reader: ConsumerLagReader,
        consumed: Collection[str],
        lag: Gauge,
        read_at: Gauge,
        log: logging.Logger,
    ):
        self.reader = reader
        self.consumed = frozenset(consumed)
        self.lag = lag
        self.read_at = read_at
        self.log = log

    def publish(self, lag: Mapping[tuple[str, int], int]) -> None:
        """Replace every lag series at once: partitions moved to another worker disappear from this one."""
        self.lag.clear()
        for (topic, partition), messages in sorted(lag.items()):
            self.lag.labels(topic, str(partition)).set(messages)
        self.read_at.set_to_current_time()

    async def refresh(self, assigned: Iterable[tuple[str, int]]) -> None:
        """Read the lag of the assigned partitions of the consumed topics, and publish it."""
        try:
            lag = await self.reader.read(tp for tp in assigned if tp[0] in self.consumed)
        except (KafkaError, OSError) as error:
            # Unknown is not zero: the series go away until the broker answers again.
            self.log.warning("consumer lag not refreshed: %r", error)
            self.lag.clear()
            return
        self.publish(lag)

    async def close(self) -> None:
        await self.reader.close()
