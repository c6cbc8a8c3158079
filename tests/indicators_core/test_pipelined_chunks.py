"""pipelined_chunks: a worker handles up to N chunks at once, acks each chunk's events only when its own work is
done, and raises the first failure with the events of unfinished chunks unacked.

The stream here is a list of chunks with Faust's two calls the helper uses (noack_take, ack); the helper's use of
a real Faust stream is the processor's, exercised by the pipeline, SIGKILL and poison tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from indicators_core.faust_worker import pipelined_chunks

pytestmark = pytest.mark.anyio


class ChunkStream:
    """Faust's noack_take over fixed chunks (then the stream ends), and the events acked, in order."""

    def __init__(self, chunks: list[list[str]]):
        self.chunks = chunks
        self.acked: list[str] = []

    async def noack_take(self, take_max: int, within: float) -> AsyncIterator[list[str]]:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            yield chunk

    async def ack(self, event: str) -> None:
        self.acked.append(event)


class Worker:
    """Work that waits on a gate per chunk, recording how many chunks ran at once."""

    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.running = 0
        self.most = 0
        self.log: list[str] = []

    async def handle(self, chunk: list[str]) -> None:
        name = chunk[0].split(".")[0]
        gate = self.gates.setdefault(name, asyncio.Event())
        self.running += 1
        self.most = max(self.most, self.running)
        self.log.append(f"start {name}")
        try:
            await gate.wait()
            if name.startswith("bad"):
                raise ValueError(f"{name} cannot be stored")
        finally:
            self.running -= 1
            self.log.append(f"end {name}")


async def drive(stream: ChunkStream, worker: Worker, in_flight: int, open_order: list[str]) -> None:
    """Consume the stream while opening the gates in `open_order`, one per turn of the loop."""

    async def open_gates() -> None:
        for name in open_order:
            while name not in worker.gates:
                await asyncio.sleep(0)
            await asyncio.sleep(0.01)
            worker.gates[name].set()

    opener = asyncio.ensure_future(open_gates())
    try:
        async for _ in pipelined_chunks(stream, 100, 0.2, worker.handle, in_flight):
            pass
    finally:
        opener.cancel()


async def test_two_chunks_overlap_and_each_is_acked_when_its_own_work_is_done():
    stream = ChunkStream([["a.1", "a.2"], ["b.1"], ["c.1"]])
    worker = Worker()
    # b finishes before a: its event is acked first (Faust commits an offset only once the earlier ones are acked).
    await drive(stream, worker, 2, ["b", "a", "c"])
    assert worker.most == 2
    assert stream.acked == ["b.1", "a.1", "a.2", "c.1"]
    assert worker.log[:3] == ["start a", "start b", "end b"]


async def test_with_one_in_flight_the_chunks_take_turns():
    stream = ChunkStream([["a.1"], ["b.1"], ["c.1"]])
    worker = Worker()
    await drive(stream, worker, 1, ["a", "b", "c"])
    assert worker.most == 1
    assert worker.log == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert stream.acked == ["a.1", "b.1", "c.1"]


async def test_a_failure_is_raised_and_the_chunk_in_flight_beside_it_is_cancelled_unacked():
    stream = ChunkStream([["a.1"], ["bad.1"], ["c.1"], ["d.1"]])
    worker = Worker()
    with pytest.raises(ValueError, match="bad cannot be stored"):
        await drive(stream, worker, 2, ["bad"])
    # a never finished (its gate stayed shut): cancelled when the failure was raised, its event not acked.
    assert stream.acked == []
    assert worker.running == 0
    assert "start d" not in worker.log
