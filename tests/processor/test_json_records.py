"""The JSON the processor sends its rows in: every decimal as its own digits, dates in ISO 8601, JSON as JSON, and
text PostgreSQL cannot hold refused by column."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import psycopg
import pytest

from processor.store import json_records


def test_decimals_keep_their_digits_and_scale_and_nothing_is_rounded():
    rows = [
        (
            "东区",
            Decimal("12.50"),
            Decimal("0E-12"),
            Decimal("-4.761904761905"),
            None,
            True,
            date(2026, 6, 1),
            datetime(2026, 7, 1, 8, 30, 0, 123456, tzinfo=UTC),
            orjson.Fragment(b'{"warnings":["plausibility"]}'),
        )
    ]
    columns = ("zone", "a", "b", "c", "d", "e", "f", "g", "h")
    assert json_records(columns, rows).decode() == (
        '[{"zone":"东区","a":"12.50","b":"0E-12","c":"-4.761904761905","d":null,"e":true,'
        '"f":"2026-06-01","g":"2026-07-01T08:30:00.123456+00:00","h":{"warnings":["plausibility"]}}]'
    )


def test_text_with_a_nul_byte_is_refused_naming_the_column():
    with pytest.raises(psycopg.DataError) as refused:
        json_records(("zone", "source"), [("东区", "ok"), ("西区", "bad\x00source")])
    assert str(refused.value) == "source 'bad\\x00source' holds a NUL (0x00) byte, which PostgreSQL text cannot hold"


def test_a_backslash_u0000_written_out_is_text_not_a_nul():
    assert json_records(("explanation",), [("见附件\\u0000",)]).decode() == '[{"explanation":"见附件\\\\u0000"}]'
