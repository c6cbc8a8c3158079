"""The exact JSON rendering of stored decimals: pure, no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from query.schemas import dumps
from query.wording import Status


def test_decimals_are_written_with_their_own_digits():
    # 20 significant digits: float(Decimal) would lose the last five.
    value = Decimal("12345678.123456789012")
    assert dumps({"v": value}) == '{"v":12345678.123456789012}'
    assert json.loads(dumps(value), parse_float=Decimal) == value


def test_decimal_exponents_become_plain_json_numbers():
    assert dumps([Decimal("1E+2"), Decimal("0E-12"), Decimal("-0.50"), Decimal("7.5E-7")]) == (
        "[100,0.000000000000,-0.50,0.00000075]"
    )


def test_non_finite_numerics_are_unknown_not_invalid_json():
    assert dumps([Decimal("NaN"), Decimal("Infinity"), float("nan")]) == "[null,null,null]"


def test_other_values():
    moment = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
    text = dumps({"zone": "高新区", "ok": True, "no": False, "n": None, "i": 3, "s": Status.ON_TRACK, "at": moment})
    assert json.loads(text) == {
        "zone": "高新区",
        "ok": True,
        "no": False,
        "n": None,
        "i": 3,
        "s": "on_track",
        "at": "2025-06-01T08:30:00+00:00",
    }
    assert "高新区" in text  # UTF-8, not \u escapes


def test_what_the_fast_encoder_refuses_is_written_the_same_by_the_python_one():
    # orjson takes integers up to 64 bits; a larger one (a count summed in Python) still comes out exact.
    big = 2**70
    assert dumps({"n": big, "d": Decimal("0.1"), 3: "key"}) == '{"n":1180591620717411303424,"d":0.1,"3":"key"}'


def test_keys_that_are_not_strings_and_models():
    from query.schemas import IndicatorItem

    item = IndicatorItem(code="gdp", name_zh="地区生产总值", unit="亿元", part_of=None)
    assert dumps({1: [item]}) == '{"1":[{"code":"gdp","name_zh":"地区生产总值","unit":"亿元","part_of":null}]}'
