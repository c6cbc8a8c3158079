from decimal import Decimal as D

import pytest

from indicators_core.units import UnitError, convert


@pytest.mark.parametrize(
    ("value", "unit", "to", "scale", "expected"),
    [
        ("750200", "万元", "亿元", "cny", "75.02"),
        ("7502000000", "元", "亿元", "cny", "75.02"),
        ("75.02", "亿元", "亿元", "cny", "75.02"),
        ("1.5", "亿元", "万元", "cny", "15000"),
        ("635", "万美元", "万美元", "usd", "635"),
        ("6350000", "美元", "万美元", "usd", "635"),
        ("0.0635", "亿美元", "万美元", "usd", "635"),
        ("28", "项", "个", "count", "28"),
    ],
)
def test_conversions_are_exact(value, unit, to, scale, expected):
    assert convert(D(value), unit, to, scale) == D(expected)
    assert str(convert(D(value), unit, to, scale)) == expected


def test_currency_does_not_convert_into_another():
    with pytest.raises(UnitError, match="'万美元' cannot be converted to '亿元'"):
        convert(D("1"), "万美元", "亿元", "cny")


def test_unknown_unit_is_named():
    with pytest.raises(UnitError, match="unknown unit '亿'"):
        convert(D("1"), "亿", "亿元", "cny")
