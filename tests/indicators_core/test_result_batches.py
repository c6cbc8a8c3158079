"""The results topic's messages: batches of RESULTS_PER_MESSAGE, and single results (earlier processors, replays)
read the same way, neither ever read as the other."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from google.protobuf.message import DecodeError

from indicators_core import events
from indicators_core.progress import MonthProgress
from tests.support import result_messages


def result(zone: str, month: int) -> events.ProgressResult:
    return events.ProgressResult(
        zone=zone, indicator="industrial_output", year=2026, month=month, ytd_value="35.1", period=f"2026-{month:02d}"
    )


def test_results_go_500_to_a_message_in_their_order():
    results = [result(f"区{i:04d}", 1 + i % 12) for i in range(1201)]
    messages = result_messages(results)
    assert [len(events.results_of(m)) for m in messages] == [500, 500, 201]
    assert [r for m in messages for r in events.results_of(m)] == results
    assert result_messages([]) == []


def test_a_single_result_reads_as_itself_not_as_a_batch():
    single = result("杭州高新区", 5).SerializeToString()
    assert events.ProgressResultBatch.FromString(single).results == []
    assert events.results_of(single) == [result("杭州高新区", 5)]


def test_a_batch_of_one_is_not_mistaken_for_a_single_result():
    (message,) = result_messages([result("宁波高新区", 6)])
    assert events.ProgressResult.FromString(message).zone == ""  # the batch's field is unknown to a single result
    assert events.results_of(message) == [result("宁波高新区", 6)]


def test_bytes_that_are_neither_are_refused():
    with pytest.raises(DecodeError):
        events.results_of(b"\xff\xff\xff")


def progress_row(month: int, **figures: object) -> MonthProgress:
    known: dict[str, object] = {
        "ytd_value": None,
        "month_value": None,
        "ytd_last_year": None,
        "month_last_year": None,
        "yoy_base": None,
        "yoy_base_comparable": False,
        "yoy_pct": None,
        "month_yoy_pct": None,
        "target_value": None,
        "completion_pct": None,
        "time_progress_pct": Decimal("50.00"),
        "progress_gap_pp": None,
        "on_track": None,
        "reported_at": None,
    }
    return MonthProgress(2026, month, **{**known, **figures})  # type: ignore[arg-type]


def test_the_processors_messages_carry_each_figure_as_its_digits_and_unknown_as_empty():
    computed_at = datetime(2026, 7, 20, 8, 30, 15, 250000, tzinfo=UTC)
    reported_at = datetime(2026, 7, 10, 1, 2, 3, tzinfo=UTC)
    full = progress_row(
        6,
        ytd_value=Decimal("35.10"),
        month_value=Decimal("6.2"),
        ytd_last_year=Decimal("32.5"),
        yoy_base=Decimal("32.4"),
        yoy_base_comparable=True,
        yoy_pct=Decimal("8.33"),
        target_value=Decimal("70"),
        completion_pct=Decimal("50.14"),
        progress_gap_pp=Decimal("0.14"),
        on_track=True,
        reported_at=reported_at,
        yoy_source="computed",
        growth_target_pct=Decimal("10"),
        growth_gap_pp=Decimal("-1.67"),
        growth_on_track=False,
    )
    rows = [("杭州高新区", "industrial_output", full, computed_at, "month")]
    rows += [("杭州高新区", "foreign_capital", progress_row(6), computed_at, "quarter")]
    rows += [(f"区{i:04d}", "export", progress_row(1 + i % 12), computed_at, "month") for i in range(999)]
    messages = events.progress_result_messages(rows)
    assert [key for key, _ in messages] == [
        ("杭州高新区", "industrial_output"),
        ("区0498", "export"),
        ("区0998", "export"),
    ]
    assert [len(events.results_of(value)) for _, value in messages] == [500, 500, 1]
    first, quarter = events.results_of(messages[0][1])[:2]
    assert (first.zone, first.indicator, first.year, first.month, first.period) == (
        "杭州高新区",
        "industrial_output",
        2026,
        6,
        "2026-06",
    )
    assert (first.ytd_value, first.month_value, first.ytd_last_year, first.month_last_year) == (
        "35.10",
        "6.2",
        "32.5",
        "",
    )
    assert (first.yoy_base, first.yoy_base_comparable, first.yoy_pct, first.month_yoy_pct) == ("32.4", True, "8.33", "")
    assert (first.target_value, first.completion_pct, first.time_progress_pct, first.progress_gap_pp) == (
        "70",
        "50.14",
        "50.00",
        "0.14",
    )
    assert (first.on_track, first.yoy_source, first.reported_yoy_pct) == ("true", "computed", "")
    assert (first.growth_target_pct, first.growth_gap_pp, first.growth_on_track) == ("10", "-1.67", "false")
    assert (first.computed_at.seconds, first.computed_at.nanos) == (1784536215, 250000000)
    assert events.from_timestamp(first.reported_at) == reported_at
    assert first.frequency == "month"
    assert (quarter.period, quarter.frequency, quarter.ytd_value, quarter.on_track) == ("2026-Q2", "quarter", "", "")
    assert not quarter.HasField("reported_at")
    # The same result as progress_result builds for one row, byte for byte.
    assert first.SerializeToString() == events.progress_result(*rows[0][:4], "month").SerializeToString()
