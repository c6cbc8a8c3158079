"""`python -m tests.bench.null_consumer worker`: a Faust worker that only counts messages (the bench's ceiling).

Configured as the processor consumes (noack_take chunks, acked after each chunk), it does no work: the
time it takes is what Kafka and Faust alone cost for these messages. When BENCH_EXPECTED messages are
counted it writes "count first_seen last_seen" (time.time()) to BENCH_OUTPUT.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import faust

from indicators_core.faust_worker import acked_chunks

BOOTSTRAP = os.environ["BENCH_KAFKA_BOOTSTRAP"]
TOPIC = os.environ["BENCH_TOPIC"]
PARTITIONS = int(os.environ.get("BENCH_PARTITIONS", "6"))
EXPECTED = int(os.environ["BENCH_EXPECTED"])
OUTPUT = Path(os.environ["BENCH_OUTPUT"])

app = faust.App(
    f"bench-null-{TOPIC}",
    broker=f"kafka://{BOOTSTRAP}",
    store="memory://",
    datadir=os.environ["BENCH_DATADIR"],
    topic_partitions=PARTITIONS,
    topic_replication_factor=1,
    consumer_auto_offset_reset="earliest",
    web_port=int(os.environ.get("BENCH_WEB_PORT", "6099")),
    web_in_thread=False,
)
raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
topic = app.topic(TOPIC, partitions=PARTITIONS, **raw)
seen = {"count": 0, "first": 0.0}


@app.agent(topic)
async def count(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
    async for chunk in acked_chunks(stream, 1000, 0.2):
        if seen["count"] == 0:
            seen["first"] = time.time()
        seen["count"] += len(chunk)
        if seen["count"] >= EXPECTED:
            OUTPUT.write_text(f"{seen['count']} {seen['first']} {time.time()}")
        yield None


if __name__ == "__main__":
    app.main()
