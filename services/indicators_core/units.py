"""Unit scales and exact conversion between them.

Conversions are exact in Decimal: 1 亿元 = 10 000 万元 = 100 000 000 元, so a
figure sent in 万元 is stored in 亿元 without a rounding step.
"""

from __future__ import annotations

from decimal import Decimal

# unit -> multiplier to the scale's smallest unit; a scale is a set of units
# that convert into each other. Currencies never convert into each other: an
# exchange rate is a figure with a date, not a unit.
SCALES: dict[str, dict[str, Decimal]] = {
    "cny": {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)},
    "usd": {"美元": Decimal(1), "万美元": Decimal(10_000), "亿美元": Decimal(100_000_000)},
    "count": {"个": Decimal(1), "项": Decimal(1)},
}


class UnitError(ValueError):
    """A unit that is unknown or does not convert into the indicator's unit."""


def convert(value: Decimal, from_unit: str, to_unit: str, scale: str) -> Decimal:
    """Convert `value` from `from_unit` to `to_unit`, both of `scale`.

    >>> convert(Decimal("7502"), "万元", "亿元", "cny")
    Decimal('0.7502')
    """
    units = SCALES[scale]
    if from_unit not in units:
        known = "、".join(units)
        other = next((name for name, members in SCALES.items() if from_unit in members), None)
        if other is not None:
            raise UnitError(f"unit '{from_unit}' cannot be converted to '{to_unit}' (expected one of {known})")
        raise UnitError(f"unknown unit '{from_unit}' (expected one of {known})")
    if from_unit == to_unit:
        return value
    # Decimal division of powers of ten is exact; normalize drops trailing zeros
    # the division introduces without changing the value.
    converted = value * units[from_unit] / units[to_unit]
    return _strip_exponent(converted)


def _strip_exponent(value: Decimal) -> Decimal:
    normalized = value.normalize()
    # normalize() writes 100 as 1E+2; quantize back to an integer exponent.
    if normalized.as_tuple().exponent > 0:  # type: ignore[operator]
        return normalized.quantize(Decimal(1))
    return normalized
