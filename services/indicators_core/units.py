"""Unit scales and exact conversion between them.

Conversions are exact in Decimal: 1 亿元 = 10 000 万元 = 100 000 000 元, so a
figure sent in 万元 is stored in 亿元 without a rounding step. Every unit of a
scale is a power of ten of the scale's smallest unit, so a conversion only
moves the decimal point: it is done on the digits themselves, never through a
Decimal context (whose 28-digit precision would round a long figure and whose
quantize raises on a large one).
"""

from __future__ import annotations

from decimal import Decimal

# unit -> multiplier to the scale's smallest unit; a scale is a set of units
# that convert into each other. Currencies never convert into each other: an
# exchange rate is a figure with a date, not a unit.
SCALES: dict[str, dict[str, Decimal]] = {
    "cny": {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)},
    "usd": {"美元": Decimal(1), "万美元": Decimal(10_000), "亿美元": Decimal(100_000_000)},
    "count": {"个": Decimal(1), "项": Decimal(1), "家": Decimal(1)},
    # The figures derived from the project list (indicators_core.projects): rates and average durations.
    "percent": {"%": Decimal(1)},
    "days": {"天": Decimal(1)},
}

# A figure whose plain form would need more digits than this is refused rather
# than written out: Decimal("1e100000000") is 20 bytes, its digits 100 MB.
MAX_PLAIN_DIGITS = 1000


def _power_of_ten(multiplier: Decimal) -> int:
    sign, digits, exponent = multiplier.normalize().as_tuple()
    if sign or digits != (1,):
        raise ValueError(f"unit multiplier {multiplier} is not a power of ten")
    return int(exponent)


# unit -> its multiplier as a power of ten (万元 -> 4), per scale.
_EXPONENTS: dict[str, dict[str, int]] = {
    scale: {unit: _power_of_ten(multiplier) for unit, multiplier in units.items()} for scale, units in SCALES.items()
}


class UnitError(ValueError):
    """A unit that is unknown or does not convert into the indicator's unit."""


class FigureTooLong(ValueError):
    """A figure whose plain digits would be too many to write out."""


def unit_shift(from_unit: str, to_unit: str, scale: str) -> int:
    """How many places the decimal point moves from `from_unit` to `to_unit` (万元 → 亿元: −4).

    >>> unit_shift("元", "亿元", "cny")
    -8
    """
    exponents = _EXPONENTS[scale]
    if from_unit not in exponents:
        known = "、".join(exponents)
        other = next((name for name, members in SCALES.items() if from_unit in members), None)
        if other is not None:
            raise UnitError(f"unit '{from_unit}' cannot be converted to '{to_unit}' (expected one of {known})")
        raise UnitError(f"unknown unit '{from_unit}' (expected one of {known})")
    return exponents[from_unit] - exponents[to_unit]


def convert(value: Decimal, from_unit: str, to_unit: str, scale: str) -> Decimal:
    """Convert `value` from `from_unit` to `to_unit`, both of `scale`, exactly.

    The result has no trailing zeros after the point and no positive exponent
    (100, not 1E+2). FigureTooLong for a finite figure of more than
    MAX_PLAIN_DIGITS digits; callers bound figures first (ingest.validation).

    >>> convert(Decimal("7502"), "万元", "亿元", "cny")
    Decimal('0.7502')
    """
    shift = unit_shift(from_unit, to_unit, scale)
    return plain(value, shift)


def plain(value: Decimal, shift: int = 0) -> Decimal:
    """`value` × 10^shift in plain form, computed on its digits (exact, no context)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite  # noqa: S101
    exponent += shift
    if value.is_zero():
        return Decimal(0)  # also for -0: a figure has no signed zero
    already_plain = exponent == 0 or (-MAX_PLAIN_DIGITS <= exponent < 0 and digits[-1] != 0)
    if shift == 0 and already_plain and len(digits) <= MAX_PLAIN_DIGITS:
        return value  # already plain, as most figures come (75.02 in the unit they are kept in)
    significant = len(digits)
    while digits[significant - 1] == 0 and exponent < 0:
        significant -= 1
        exponent += 1
    digits = digits[:significant]
    if len(digits) + max(exponent, 0) > MAX_PLAIN_DIGITS or exponent < -MAX_PLAIN_DIGITS:
        raise FigureTooLong(f"{value} has too many digits to write out")
    if exponent > 0:
        digits, exponent = digits + (0,) * exponent, 0
    return Decimal((sign, digits, exponent))
