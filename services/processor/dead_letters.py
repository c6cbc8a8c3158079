"""`python -m processor.dead_letters`: list, inspect and replay dead letters after a fix.

Both dead-letter topics: the processor's (`<reports topic>.dead-letter`: reports it could not store, each
out of an accepted batch as a batch of that one report, and batches and reports it could not decode) and the alert evaluator's (`<results topic>.dead-letter`:
results it could not evaluate). Each dead letter is the original message with headers saying why
(indicators_core.dead_letters); replaying sends the original key and value back to the topic it
came from, where the worker handles it as any other message: stored (a replay is harmless, every
figure is recomputed), or dead-lettered again, with the new reason, if the fix did not cure it.

    python -m processor.dead_letters list [--topic reports|results]
    python -m processor.dead_letters show OFFSET [--topic reports|results]
    python -m processor.dead_letters replay OFFSET... | --all [--topic reports|results]

Kafka is found through INDICATORS_KAFKA_BOOTSTRAP and the topic names through INDICATORS_TOPIC_*,
like the services.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf import text_format
from google.protobuf.message import DecodeError, Message
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from indicators_core import events
from indicators_core.dead_letters import (
    AT,
    ERROR,
    REASON,
    REPLAYED_FROM,
    SOURCE_OFFSET,
    SOURCE_PARTITION,
    SOURCE_TOPIC,
    dead_letter_topic,
    read_headers,
)
from indicators_core.settings import CommonSettings

READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Letter:
    topic: str  # the dead-letter topic
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def name(self) -> str:
        """How the operator names it: the offset, with the partition only where there are several."""
        return str(self.offset) if self.partition == 0 else f"{self.partition}:{self.offset}"


def topics(settings: CommonSettings) -> dict[str, str]:
    return {"reports": dead_letter_topic(settings.topic_reports), "results": dead_letter_topic(settings.topic_results)}


def read_letters(bootstrap: str, topic: str) -> list[Letter]:
    """Every message of `topic` up to its end now."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            return []
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        letters: list[Letter] = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise SystemExit(f"could not read {topic} to its end within {READ_TIMEOUT_S:.0f} s")
            for records in consumer.poll(timeout_ms=500).values():
                letters.extend(
                    Letter(r.topic, r.partition, r.offset, r.key, r.value, read_headers(r.headers))
                    for r in records
                    if r.offset < ends[TopicPartition(r.topic, r.partition)]
                )
        return sorted(letters, key=lambda letter: (letter.partition, letter.offset))
    finally:
        consumer.close()


def parse_name(text: str) -> tuple[int, int]:
    """`OFFSET` (partition 0) or `PARTITION:OFFSET`."""
    partition, _, offset = text.rpartition(":")
    try:
        return int(partition or 0), int(offset)
    except ValueError:
        raise SystemExit(f"'{text}' is not a dead letter's offset (OFFSET or PARTITION:OFFSET)") from None


def decode(source_topic: str, value: bytes, settings: CommonSettings) -> Message | None:
    schema: type[Message] | None = {
        settings.topic_reports: events.Report,
        settings.topic_batches: events.ReportBatch,
        settings.topic_results: events.ProgressResult,
    }.get(source_topic)
    if schema is None:
        return None
    try:
        return schema.FromString(value)
    except DecodeError:
        return None


def summary(letter: Letter, settings: CommonSettings) -> str:
    """One line: which report or result, for `list`."""
    decoded = decode(letter.headers.get(SOURCE_TOPIC, ""), letter.value, settings)
    if isinstance(decoded, events.ReportBatch) and len(decoded.reports) == 1:
        # A report the processor could not store, out of an accepted batch: the report is what the operator fixes.
        decoded = decoded.reports[0]
    if isinstance(decoded, events.Report):
        if decoded.HasField("observation"):
            obs = decoded.observation
            return f"observation {obs.zone!r} {obs.indicator} {obs.year}-{obs.month:02d} value {obs.value!r}"
        target = decoded.target
        return f"target {target.zone!r} {target.indicator} {target.year} value {target.value!r}"
    if isinstance(decoded, events.ProgressResult):
        return f"result {decoded.zone!r} {decoded.indicator} {decoded.year}-{decoded.month:02d}"
    if isinstance(decoded, events.ReportBatch):
        return f"batch {decoded.batch_id} ({len(decoded.reports)} reports)"
    return f"{len(letter.value)} bytes, not a known event"


def source(letter: Letter) -> str:
    h = letter.headers
    if not h.get(SOURCE_TOPIC):
        return "(source unknown)"
    return f"{h[SOURCE_TOPIC]}[{h.get(SOURCE_PARTITION, '?')}]@{h.get(SOURCE_OFFSET, '?')}"


def select(letters: Sequence[Letter], names: Sequence[str]) -> list[Letter]:
    by_position = {(letter.partition, letter.offset): letter for letter in letters}
    chosen = []
    for name in names:
        letter = by_position.get(parse_name(name))
        if letter is None:
            raise SystemExit(f"no dead letter {name} on {letters[0].topic if letters else 'the topic'}")
        chosen.append(letter)
    return chosen


def command_list(settings: CommonSettings, chosen: dict[str, str]) -> int:
    for label, topic in chosen.items():
        letters = read_letters(settings.kafka_bootstrap, topic)
        print(f"{topic} ({label}): {len(letters)} dead letter(s)")
        for letter in letters:
            h = letter.headers
            print(
                f"  {letter.name}  {h.get(AT, '(no time)')}  {h.get(REASON, '(no reason)')}  {source(letter)}  "
                f"{summary(letter, settings)}"
            )
            print(f"      {h.get(ERROR, '(no error recorded)')}")
    return 0


def command_show(settings: CommonSettings, topic: str, name: str) -> int:
    (letter,) = select(read_letters(settings.kafka_bootstrap, topic), [name])
    print(f"dead letter {letter.name} on {topic}")
    for header, text in letter.headers.items():
        print(f"  {header}: {text}")
    print(f"  key: {letter.key.decode('utf-8', 'replace') if letter.key else '(none)'!r}")
    decoded = decode(letter.headers.get(SOURCE_TOPIC, ""), letter.value, settings)
    if decoded is None:
        print(f"  value ({len(letter.value)} bytes, not a known event): {letter.value[:200].hex()}")
    else:
        print(f"  value ({type(decoded).__name__}):")
        for line in text_format.MessageToString(decoded, as_utf8=True).splitlines():
            print(f"    {line}")
    return 0


def command_replay(settings: CommonSettings, topic: str, names: Sequence[str], everything: bool) -> int:
    letters = read_letters(settings.kafka_bootstrap, topic)
    chosen = letters if everything else select(letters, names)
    replayable = [letter for letter in chosen if letter.headers.get(SOURCE_TOPIC)]
    for letter in chosen:
        if letter not in replayable:
            print(f"not replayed: {letter.name} has no source topic (dead-lettered before sources were recorded)")
    if not replayable:
        print(f"nothing replayed from {topic}")
        return 0 if everything else 1
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", retries=5)
    try:
        sent = []
        for letter in replayable:
            replayed_from = f"{topic}:{letter.partition}:{letter.offset}".encode()
            future = producer.send(
                letter.headers[SOURCE_TOPIC],
                key=letter.key,
                value=letter.value,
                headers=[(REPLAYED_FROM, replayed_from)],
            )
            sent.append((letter, future))
        producer.flush()
        for letter, future in sent:
            # Said only once the broker acknowledged it.
            metadata = future.get(timeout=READ_TIMEOUT_S)
            print(
                f"replayed {letter.name} ({summary(letter, settings)}) to {metadata.topic}[{metadata.partition}]"
                f"@{metadata.offset}"
            )
    finally:
        producer.close()
    print(f"{len(replayable)} dead letter(s) replayed from {topic}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = CommonSettings()
    known = topics(settings)
    parser = argparse.ArgumentParser(prog="python -m processor.dead_letters", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every dead letter: offset, time, reason, source, what, error")
    listing.add_argument("--topic", choices=sorted(known), help="one dead-letter topic (default: both)")
    show = commands.add_parser("show", help="one dead letter in full: headers and the decoded event")
    show.add_argument("offset", help="OFFSET, or PARTITION:OFFSET")
    show.add_argument("--topic", choices=sorted(known), default="reports")
    replay = commands.add_parser("replay", help="send dead letters back to their source topic")
    replay.add_argument("offsets", nargs="*", help="OFFSET or PARTITION:OFFSET of each dead letter to replay")
    replay.add_argument("--all", action="store_true", help="every dead letter of the topic")
    replay.add_argument("--topic", choices=sorted(known), default="reports")
    args = parser.parse_args(argv)

    if args.command == "list":
        return command_list(settings, {args.topic: known[args.topic]} if args.topic else known)
    if args.command == "show":
        return command_show(settings, known[args.topic], args.offset)
    if bool(args.offsets) == args.all:
        parser.error("replay takes either offsets or --all")
    return command_replay(settings, known[args.topic], args.offsets, args.all)


if __name__ == "__main__":
    sys.exit(main())
