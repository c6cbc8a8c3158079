"""The wire's timestamps: built and read by their parts, and equal to what protobuf's own conversions give."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from indicators_core.events import epoch_seconds, from_timestamp, to_timestamp


def protobuf_stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def test_timestamps_agree_with_protobufs_conversions_to_the_microsecond():
    chance = random.Random(20261203)
    first = datetime(1990, 1, 1, tzinfo=UTC)
    for _ in range(20_000):
        moment = first + timedelta(microseconds=chance.randrange(0, 140 * 365 * 86_400 * 10**6))
        stamp = to_timestamp(moment)
        assert stamp == protobuf_stamp(moment), moment
        assert from_timestamp(stamp) == moment == stamp.ToDatetime(tzinfo=UTC)


def test_a_zone_offset_and_a_naive_time_land_on_the_same_instant():
    beijing = datetime(2026, 6, 10, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    stamp = to_timestamp(beijing)
    assert (stamp.seconds, stamp.nanos) == (1781053200, 123456000)  # 2026-06-10 01:00:00.123456 UTC
    assert from_timestamp(stamp) == beijing and from_timestamp(stamp).tzinfo is UTC
    naive = datetime(2026, 6, 10, 9, 0)  # taken as local time, as datetime.astimezone takes it
    assert to_timestamp(naive) == protobuf_stamp(naive)


def test_nanoseconds_below_a_microsecond_are_dropped_as_protobuf_drops_them():
    stamp = Timestamp(seconds=1_700_000_000, nanos=123_456_789)
    assert from_timestamp(stamp) == stamp.ToDatetime(tzinfo=UTC) == datetime(2023, 11, 14, 22, 13, 20, 123456, UTC)


def test_epoch_seconds_count_as_time_time_does_for_latencies():
    moment = datetime(2026, 12, 3, 9, 30, 15, 250000, tzinfo=UTC)
    assert epoch_seconds(to_timestamp(moment)) == moment.timestamp() == 1796290215.25
    assert epoch_seconds(Timestamp(seconds=1, nanos=500_000_000)) == 1.5
