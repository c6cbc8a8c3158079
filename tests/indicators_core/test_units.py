from decimal import Decimal as D

import pytest

from indicators_core.units import MAX_PLAIN_DIGITS, FigureTooLong, UnitError, convert, plain


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


@pytest.mark.parametrize(
    ("value", "shift", "expected"),
    [
        ("75.02", 0, "75.02"),  # already plain: kept as it is
        ("7502", 0, "7502"),
        ("-3.1", 0, "-3.1"),
        ("1.50", 0, "1.5"),  # trailing zeros after the point go
        ("1.500", 1, "15"),
        ("1E+2", 0, "100"),  # no positive exponent
        ("-0.00", 0, "0"),  # no signed zero
        ("7502", -4, "0.7502"),
        ("0.000012", 4, "0.12"),
    ],
)
def test_plain_writes_the_digits_out(value, shift, expected):
    assert str(plain(D(value), shift)) == expected


def test_plain_refuses_more_digits_than_it_writes_out():
    assert format(plain(D("1E-1000")), "f") == "0." + "0" * 999 + "1"
    with pytest.raises(FigureTooLong):
        plain(D("1E-1001"))
    with pytest.raises(FigureTooLong):
        plain(D("1" * (MAX_PLAIN_DIGITS + 1) + "E-1"))
