"""The Protocol Buffers event schema (generated from proto/indicators/v1/events.proto) and conversions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from indicators_core.gen.indicators.v1 import events_pb2 as pb
from indicators_core.progress import MonthProgress, period_text

Observation = pb.Observation
Target = pb.Target
Zone = pb.Zone
Project = pb.Project
ProjectInvestment = pb.ProjectInvestment
Report = pb.Report
ReportBatch = pb.ReportBatch
ProgressResult = pb.ProgressResult
ProgressResultBatch = pb.ProgressResultBatch
BASIS_YTD = pb.BASIS_YTD
BASIS_MONTH = pb.BASIS_MONTH


# Timestamps built and read by their parts: protobuf's FromDatetime/ToDatetime cost 4.8 and 1.7 µs, a third of
# building a result, for what is a subtraction (tests/indicators_core/test_events.py checks they agree).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_timestamp(moment: datetime) -> Timestamp:
    """A datetime on the wire; a naive one is taken as local time, as astimezone takes it."""
    if moment.tzinfo is None:
        moment = moment.astimezone(UTC)
    since = moment - EPOCH
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def from_timestamp(stamp: Timestamp) -> datetime:
    """The wire's timestamp as an aware UTC datetime (nanoseconds below a microsecond dropped, as ToDatetime)."""
    return EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def epoch_seconds(stamp: Timestamp) -> float:
    """The wire's timestamp as time.time() counts: for latencies, per report and result, without a datetime."""
    return stamp.seconds + stamp.nanos / 1e9


def decimal_text(value: Decimal | None) -> str:
    """Decimal to the wire: plain notation, "" for unknown."""
    if value is None:
        return ""
    return format(value, "f")


def text_decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def progress_result(
    zone: str, indicator: str, row: MonthProgress, computed_at: datetime, frequency: str = "month"
) -> pb.ProgressResult:
    result = pb.ProgressResult()
    fill_progress_result(result, zone, indicator, row, to_timestamp(computed_at), frequency)
    return result


def fill_progress_result(
    result: pb.ProgressResult, zone: str, indicator: str, row: MonthProgress, computed_at: Timestamp, frequency: str
) -> None:
    """Set a new result's fields in place, only the known ones (proto3 sends no empty string): the processor builds
    each transaction's results straight into their messages (progress_result_messages), not apart and copied in."""
    result.zone = zone
    result.indicator = indicator
    result.year = row.year
    result.month = row.month
    for name in _DECIMAL_FIELDS:
        value = getattr(row, name)
        if value is not None:
            setattr(result, name, decimal_text(value))
    result.yoy_base_comparable = row.yoy_base_comparable
    if row.on_track is not None:
        result.on_track = _flag(row.on_track)
    result.computed_at.CopyFrom(computed_at)
    if row.yoy_source:
        result.yoy_source = row.yoy_source
    if row.growth_on_track is not None:
        result.growth_on_track = _flag(row.growth_on_track)
    result.frequency = frequency
    result.period = period_text(row.year, row.month, 3 if frequency == "quarter" else 1)
    if row.reported_at is not None:
        result.reported_at.CopyFrom(to_timestamp(row.reported_at))


# The figures of a MonthProgress a result carries as decimal text, under the same names.
_DECIMAL_FIELDS = (
    "ytd_value",
    "month_value",
    "ytd_last_year",
    "month_last_year",
    "yoy_base",
    "yoy_pct",
    "month_yoy_pct",
    "target_value",
    "completion_pct",
    "time_progress_pct",
    "progress_gap_pp",
    "reported_yoy_pct",
    "growth_target_pct",
    "growth_gap_pp",
)


# Results per message on the results topic: ~100 KB, well under the producer's and the broker's 1 MB.
RESULTS_PER_MESSAGE = 500


def progress_result_messages(
    results: Sequence[tuple[str, str, MonthProgress, datetime, str]],
) -> list[tuple[tuple[str, str], bytes]]:
    """(zone, indicator, row, computed_at, frequency) as messages of the results topic, RESULTS_PER_MESSAGE to a
    message, each with the (zone, indicator) of its first result."""
    stamps: dict[datetime, Timestamp] = {}  # a transaction's results share one computed_at
    messages: list[tuple[tuple[str, str], bytes]] = []
    for first in range(0, len(results), RESULTS_PER_MESSAGE):
        batch = pb.ProgressResultBatch()
        for zone, indicator, row, computed_at, frequency in results[first : first + RESULTS_PER_MESSAGE]:
            stamp = stamps.get(computed_at)
            if stamp is None:
                stamp = stamps[computed_at] = to_timestamp(computed_at)
            fill_progress_result(batch.results.add(), zone, indicator, row, stamp, frequency)
        messages.append(((results[first][0], results[first][1]), batch.SerializeToString()))
    return messages


def results_of(value: bytes) -> list[pb.ProgressResult]:
    """The results one message of the results topic carries: a ProgressResultBatch, or a single ProgressResult
    (as earlier processors sent them, and as a dead-lettered result is replayed). DecodeError for neither."""
    batch = pb.ProgressResultBatch.FromString(value)
    if batch.results:
        return list(batch.results)
    return [pb.ProgressResult.FromString(value)]
