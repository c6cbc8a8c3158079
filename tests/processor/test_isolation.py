"""The bisection that keeps one bad report from taking its chunk down, and the dead-letter wording, as pure functions."""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg
import pytest

from indicators_core.dead_letters import (
    ARITHMETIC,
    INVALID_DATA,
    OTHER,
    DeadLetter,
    describe,
    is_transient,
    reason_of,
)
from indicators_core.isolation import isolate_failures


class Refused(Exception):
    pass


def store_unless_poison(poison: set[int], calls: list[list[int]]):
    """What a chunk's transaction does: all or nothing; the stored items' squares come back."""

    async def apply(part: Sequence[int]) -> list[int]:
        calls.append(list(part))
        bad = sorted(poison.intersection(part))
        if bad:
            raise Refused(f"item {bad[0]} refused")
        return [item * item for item in part]

    return apply


def test_nothing_failing_is_one_call_with_every_result_in_order():
    calls: list[list[int]] = []
    isolated = asyncio.run(isolate_failures(list(range(1000)), store_unless_poison(set(), calls)))
    assert isolated.results == [i * i for i in range(1000)]
    assert isolated.failures == [] and isolated.attempts == 1 and len(calls) == 1


def test_one_poison_in_a_thousand_is_isolated_with_its_error_and_the_rest_stored():
    calls: list[list[int]] = []
    isolated = asyncio.run(isolate_failures(list(range(1000)), store_unless_poison({617}, calls)))
    assert isolated.failed == [617]
    assert str(isolated.failures[0].error) == "item 617 refused"
    assert isolated.results == [i * i for i in range(1000) if i != 617]
    # 1 + 2 per halving level (10 levels for 1000 items): 21 transactions, not 1000.
    assert isolated.attempts == 21 == len(calls)
    stored = [item for part in calls if 617 not in part for item in part]
    assert sorted(stored) == [i for i in range(1000) if i != 617]  # each good item stored exactly once


def test_several_poisons_anywhere_including_the_ends():
    poison = {0, 1, 500, 999}
    isolated = asyncio.run(isolate_failures(list(range(1000)), store_unless_poison(poison, [])))
    assert isolated.failed == [0, 1, 500, 999]
    assert isolated.results == [i * i for i in range(1000) if i not in poison]


def test_everything_failing_fails_item_by_item_and_an_empty_chunk_does_nothing():
    isolated = asyncio.run(isolate_failures([1, 2, 3], store_unless_poison({1, 2, 3}, [])))
    assert isolated.failed == [1, 2, 3] and isolated.results == []
    assert isolated.attempts == 5  # [1,2,3], [1], [2,3], [2], [3]
    empty = asyncio.run(isolate_failures([], store_unless_poison(set(), [])))
    assert (empty.results, empty.failures, empty.attempts) == ([], [], 0)


def test_cancellation_is_not_taken_for_poison():
    async def cancelled(part: Sequence[int]) -> list[int]:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(isolate_failures([1, 2], cancelled))


def test_outages_are_waited_out_and_only_the_datas_faults_are_blamed_on_it():
    assert is_transient(psycopg.OperationalError("connection refused"))
    assert is_transient(psycopg.errors.AdminShutdown("terminating connection due to administrator command"))
    assert is_transient(psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"))
    assert is_transient(psycopg.errors.InsufficientPrivilege("permission denied for table observations"))
    assert not is_transient(psycopg.errors.NumericValueOutOfRange("value overflows numeric format"))
    assert not is_transient(decimal.InvalidOperation([decimal.InvalidOperation]))

    assert reason_of(psycopg.errors.NumericValueOutOfRange("value overflows numeric format")) == INVALID_DATA
    assert reason_of(psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")) == INVALID_DATA
    assert reason_of(ValueError("year 0 is out of range")) == INVALID_DATA
    assert reason_of(decimal.InvalidOperation([decimal.InvalidOperation])) == ARITHMETIC
    assert reason_of(KeyError("industrial_output")) == OTHER


def test_the_error_is_said_with_its_type_and_decimal_signals_by_name():
    assert describe(psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")) == (
        "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes"
    )
    try:
        decimal.Decimal("1e30").quantize(decimal.Decimal("1e-12"))
    except decimal.InvalidOperation as error:
        assert describe(error) == (
            "InvalidOperation: decimal arithmetic signalled InvalidOperation "
            "(a result beyond 28 significant digits, or undefined)"
        )
    assert len(describe(ValueError("x" * 5000))) == 2000
    assert describe(psycopg.errors.RaiseException("refused\nCONTEXT:  PL/pgSQL function f() line 1")) == (
        "RaiseException: refused; CONTEXT:  PL/pgSQL function f() line 1"
    )


def test_the_headers_say_why_where_from_when_and_by_whom():
    letter = DeadLetter(
        key=b"k",
        value=b"v",
        reason=INVALID_DATA,
        error="DataError: no",
        topic="indicators.reports",
        partition=3,
        offset=1207,
    )
    at = datetime(2026, 6, 10, 1, 0, 2, 512000, tzinfo=UTC)
    assert letter.headers("indicators-processor", at) == [
        ("dead-letter-reason", b"invalid_data"),
        ("dead-letter-error", b"DataError: no"),
        ("source-topic", b"indicators.reports"),
        ("source-partition", b"3"),
        ("source-offset", b"1207"),
        ("dead-lettered-at", b"2026-06-10T01:00:02.512+00:00"),
        ("dead-lettered-by", b"indicators-processor"),
    ]
