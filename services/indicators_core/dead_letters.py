"""Dead letters: what a worker could not store or evaluate, kept on a topic with the reason.

A dead letter is the original message, byte for byte (key and value), on `<topic>.dead-letter`
(one partition, so an offset names it), with Kafka headers saying why and where from:

| header | example |
|---|---|
| `dead-letter-reason` | `invalid_data` (one of REASONS: the metric's label) |
| `dead-letter-error` | `NumericValueOutOfRange: value overflows numeric format` (exception type and message) |
| `source-topic` / `source-partition` / `source-offset` | `indicators.reports` / `3` / `1207` |
| `dead-lettered-at` | `2026-06-10T01:00:02.512+00:00` (UTC) |
| `dead-lettered-by` | `indicators-processor` (the worker's consumer group) |

Headers rather than an envelope message: the payload stays exactly what was consumed, so replaying
it (`python -m processor.dead_letters replay`) is sending the value back to `source-topic`, and any
Kafka tool shows the reason without knowing our schemas.

Which failures are the data's fault decides what is dead-lettered: a database that is down,
read-only or refusing the worker's role is waited out (`is_transient`), never blamed on the reports.
"""

from __future__ import annotations

import asyncio
import decimal
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import psycopg
from aiokafka.errors import KafkaError, KafkaTimeoutError
from faust.exceptions import ProducerSendError
from google.protobuf.message import DecodeError
from prometheus_client import Counter

from indicators_core.isolation import isolate_failures

# The metric's label values: a closed set, so every series exists from the start.
UNDECODABLE = "undecodable"  # not a valid event of the topic's schema
INVALID_DATA = "invalid_data"  # the database refuses the values (NUL in text, a number out of range, …)
ARITHMETIC = "arithmetic"  # the figures cannot be computed (a decimal result beyond its precision, …)
OTHER = "other"  # any other error that is not an outage: a bug, most likely; replay after the fix
REASONS = (UNDECODABLE, INVALID_DATA, ARITHMETIC, OTHER)

REASON = "dead-letter-reason"
ERROR = "dead-letter-error"
SOURCE_TOPIC = "source-topic"
SOURCE_PARTITION = "source-partition"
SOURCE_OFFSET = "source-offset"
AT = "dead-lettered-at"
BY = "dead-lettered-by"
REPLAYED_FROM = "replayed-from"  # set on a replayed message: "<dead-letter topic>:<offset>"

MAX_ERROR_CHARS = 2000

# Not the data's fault: the database is unreachable (OperationalError covers connection loss,
# shutdown, deadlocks, serialisation failures, disk full, pool timeouts), read-only, or refuses the
# worker's role. Waiting (and alerting on the retries) is right; dead-lettering would empty a topic.
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.errors.ReadOnlySqlTransaction,
    psycopg.errors.InsufficientPrivilege,
)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dead-letter"


def is_transient(error: BaseException) -> bool:
    """A database failure to wait out and retry, for ever, rather than blame on the data."""
    return isinstance(error, TRANSIENT_DATABASE_ERRORS)


def reason_of(error: BaseException) -> str:
    if isinstance(error, psycopg.DataError | psycopg.IntegrityError | ValueError | UnicodeError):
        return INVALID_DATA
    if isinstance(error, ArithmeticError):
        return ARITHMETIC
    return OTHER


def describe(error: BaseException) -> str:
    """Exception type and message, as an operator reads it (decimal's signals by name, not as a class list)."""
    if isinstance(error, decimal.DecimalException) and error.args and isinstance(error.args[0], list):
        signals = ", ".join(getattr(signal, "__name__", str(signal)) for signal in error.args[0])
        message = f"decimal arithmetic signalled {signals} (a result beyond 28 significant digits, or undefined)"
    else:
        # One line (PostgreSQL's errors add CONTEXT: lines), so a listing shows one error per letter.
        message = "; ".join(line.strip() for line in str(error).splitlines() if line.strip()) or "(no message)"
    text = f"{type(error).__name__}: {message}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


@dataclass(frozen=True)
class DeadLetter:
    """One message that goes to the dead-letter topic, and why."""

    key: bytes | None
    value: bytes
    reason: str
    error: str
    topic: str
    partition: int | None
    offset: int | None

    def headers(self, worker: str, at: datetime) -> list[tuple[str, bytes]]:
        found = [
            (REASON, self.reason),
            (ERROR, self.error),
            (SOURCE_TOPIC, self.topic),
            (SOURCE_PARTITION, "" if self.partition is None else str(self.partition)),
            (SOURCE_OFFSET, "" if self.offset is None else str(self.offset)),
            (AT, at.astimezone(UTC).isoformat(timespec="milliseconds")),
            (BY, worker),
        ]
        return [(name, text.encode()) for name, text in found]

    @classmethod
    def of_event(cls, event: Any, reason: str, error: BaseException | str) -> DeadLetter:
        """From a Faust event: its raw key and value, and where it was consumed."""
        message = event.message
        return cls(
            key=event.key,
            value=event.value,
            reason=reason,
            error=error if isinstance(error, str) else describe(error),
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )


def read_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Kafka headers as text (what the operator tool shows)."""
    return {name: (value or b"").decode("utf-8", "replace") for name, value in headers or []}


def init_dead_letter_metric(counter: Counter) -> None:
    """Every reason exists at 0 from the start, so increase() counts the first dead letter."""
    for reason in REASONS:
        counter.labels(reason)


def send_failure_is_transient(error: BaseException) -> bool:
    """The broker is away or electing a leader: send again. A refusal that will never succeed is not."""
    cause = error.__cause__ if isinstance(error, ProducerSendError) else error
    return isinstance(cause, KafkaTimeoutError) or (isinstance(cause, KafkaError) and bool(cause.retriable))


async def send_acknowledged(
    topic: Any,
    messages: Sequence[tuple[bytes | None, bytes]],
    log: logging.Logger,
    headers: Sequence[list[tuple[str, bytes]] | None] | None = None,
    max_wait_s: float = 30.0,
) -> None:
    """Send every message on the Faust `topic` and wait until the broker acknowledged each; while the
    broker is away, say so and send them all again (consumers of our topics take duplicates in their
    stride: every figure is recomputed, every judgement idempotent). Nothing is acked upstream before."""
    wait = 0.5
    while True:
        try:
            pending = [
                await topic.send(key=key, value=value, headers=None if headers is None else headers[index])
                for index, (key, value) in enumerate(messages)
            ]
            await asyncio.gather(*pending)
            return
        except Exception as error:
            if not send_failure_is_transient(error):
                raise
            log.warning(
                "the broker did not acknowledge %d message(s) for %s (%s); sending again in %.1f s",
                len(messages),
                topic.get_topic_name(),
                describe(error),
                wait,
            )
            await asyncio.sleep(wait)
            wait = min(wait * 2, max_wait_s)


class PendingSends:
    """Messages for one topic whose acknowledgements are awaited later, all at once: a worker sends the results
    of one transaction and goes on with the next while the producer delivers them. `acknowledged()` returns once
    the broker has acknowledged every message; after a failure to wait out, it sends them all again
    (send_acknowledged), so nothing is acked upstream before every message is on the topic."""

    def __init__(self, topic: Any, log: logging.Logger):
        self.topic = topic
        self.log = log
        self.messages: list[tuple[bytes | None, bytes]] = []
        self.futures: list[Any] = []
        self.interrupted = False

    async def add(self, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        self.messages.extend(messages)
        if self.interrupted:
            return
        # Straight to the app's producer (the same partitioner, keyed the same): Faust's Topic.send wraps every
        # message in futures, callbacks and sensors of its own, a quarter of the processor's time under load.
        producer, name = self.topic.app.producer, self.topic.get_topic_name()
        try:
            for key, value in messages:
                self.futures.append(await producer.send(name, key, value, None, None, None))
        except Exception as error:
            if not send_failure_is_transient(error):
                raise
            self.interrupted = True

    async def acknowledged(self) -> None:
        if not self.interrupted:
            try:
                await asyncio.gather(*self.futures)
                return
            except Exception as error:
                if not send_failure_is_transient(error):
                    raise
        await send_acknowledged(self.topic, self.messages, self.log)


async def send_dead_letters(
    topic: Any, letters: Sequence[DeadLetter], counter: Counter, worker: str, log: logging.Logger
) -> None:
    """Put the letters on the dead-letter topic, acknowledged by the broker, then count and say each."""
    if not letters:
        return
    at = datetime.now(UTC)
    await send_acknowledged(
        topic,
        [(letter.key, letter.value) for letter in letters],
        log,
        [letter.headers(worker, at) for letter in letters],
    )
    for letter in letters:
        counter.labels(letter.reason).inc()
        log.error(
            "dead-lettered %s[%s]@%s to %s (%s): %s",
            letter.topic,
            letter.partition,
            letter.offset,
            topic.get_topic_name(),
            letter.reason,
            letter.error,
        )


M = TypeVar("M")
R = TypeVar("R")


@dataclass
class ChunkOutcome(Generic[M, R]):
    """A chunk after `apply_or_dead_letter`: the messages applied, what applying them returned, and the
    dead letters (undecodable messages, and those that failed on their own) still to be sent."""

    applied: list[M] = field(default_factory=list)
    results: list[R] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)


async def apply_or_dead_letter(
    chunk: Sequence[Any],
    decode: Callable[[bytes], M],
    apply: Callable[[Sequence[M]], Awaitable[list[R]]],
    *,
    noun: str,
    what: Callable[[M], str],
    on_undecodable: Callable[[], None],
    log: logging.Logger,
) -> ChunkOutcome[M, R]:
    """Decode a chunk of Faust events and apply it at once; when that fails, bisect it down to the messages
    that fail on their own (isolation.isolate_failures). `apply` waits out outages itself: whatever it raises
    is the messages' fault. Every event ends up applied or in `letters`, so the chunk can be acked once the
    letters are sent."""
    undecodable: list[DeadLetter] = []
    decoded: list[tuple[Any, M]] = []
    for event in chunk:
        try:
            decoded.append((event, decode(event.value)))
        except DecodeError as error:
            on_undecodable()
            undecodable.append(DeadLetter.of_event(event, UNDECODABLE, error))
    outcome = await apply_isolating(
        decoded,
        apply,
        letter_of=lambda event, message, reason, error: DeadLetter.of_event(event, reason, error),
        noun=noun,
        what=what,
        log=log,
    )
    outcome.letters[:0] = undecodable
    return outcome


Origin = TypeVar("Origin")


async def apply_isolating(
    items: Sequence[tuple[Origin, M]],
    apply: Callable[[Sequence[M]], Awaitable[list[R]]],
    *,
    letter_of: Callable[[Origin, M, str, Exception], DeadLetter],
    noun: str,
    what: Callable[[M], str],
    log: logging.Logger,
) -> ChunkOutcome[M, R]:
    """Apply decoded messages at once, each with where it came from (`Origin`: a Faust event, or the batch a report
    came in); when that fails, bisect down to the messages that fail on their own, and make each of those a
    dead letter with `letter_of(origin, message, reason, error)`."""
    outcome: ChunkOutcome[M, R] = ChunkOutcome()

    async def apply_part(part: Sequence[tuple[Origin, M]]) -> list[R]:
        try:
            return await apply([message for _, message in part])
        except Exception as error:
            log.warning("%d %s(s) failed (%s); isolating the offending ones", len(part), noun, describe(error))
            raise

    isolated = await isolate_failures(items, apply_part)
    for failure in isolated.failures:
        origin, message = failure.item
        log.error("%s failed on its own: %s", noun, what(message))
        outcome.letters.append(letter_of(origin, message, reason_of(failure.error), failure.error))
    failed = {id(message) for _, message in isolated.failed}
    outcome.applied = [message for _, message in items if id(message) not in failed]
    outcome.results = isolated.results
    return outcome
