"""The results topic's messages: batches of RESULTS_PER_MESSAGE, and single results (earlier processors, replays)
read the same way, neither ever read as the other."""

from __future__ import annotations

import pytest
from google.protobuf.message import DecodeError

from indicators_core import events


def result(zone: str, month: int) -> events.ProgressResult:
    return events.ProgressResult(
        zone=zone, indicator="industrial_output", year=2026, month=month, ytd_value="35.1", period=f"2026-{month:02d}"
    )


def test_results_go_500_to_a_message_in_their_order():
    results = [result(f"区{i:04d}", 1 + i % 12) for i in range(1201)]
    messages = events.result_batches(results)
    assert [len(events.results_of(m)) for m in messages] == [500, 500, 201]
    assert [r for m in messages for r in events.results_of(m)] == results
    assert events.result_batches([]) == []


def test_a_single_result_reads_as_itself_not_as_a_batch():
    single = result("杭州高新区", 5).SerializeToString()
    assert events.ProgressResultBatch.FromString(single).results == []
    assert events.results_of(single) == [result("杭州高新区", 5)]


def test_a_batch_of_one_is_not_mistaken_for_a_single_result():
    (message,) = events.result_batches([result("宁波高新区", 6)])
    assert events.ProgressResult.FromString(message).zone == ""  # the batch's field is unknown to a single result
    assert events.results_of(message) == [result("宁波高新区", 6)]


def test_bytes_that_are_neither_are_refused():
    with pytest.raises(DecodeError):
        events.results_of(b"\xff\xff\xff")
