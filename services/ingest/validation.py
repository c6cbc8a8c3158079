"""Row-by-row validation of upstream batches: pure, no I/O.

A batch is all-or-nothing, so every row is checked before anything is
published, and every problem is reported (row, field, reason), not only the
first: an upstream fixing a spreadsheet wants the whole list at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from indicators_core.catalog import Catalog, Indicator
from indicators_core.progress import Basis
from indicators_core.units import UnitError, convert

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
MIN_YEAR = 1990
MAX_ZONE_LENGTH = 100
OBSERVATION_FIELDS = {"zone", "indicator", "period", "value", "unit", "basis", "yoy_base"}
TARGET_FIELDS = {"zone", "indicator", "year", "value", "unit"}


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the batch as a whole
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class ObservationRow:
    zone: str
    indicator: str
    year: int
    month: int
    basis: Basis
    value: Decimal  # in the catalog unit
    yoy_base: Decimal | None  # in the catalog unit
    reported_value: Decimal
    reported_unit: str


@dataclass(frozen=True)
class TargetRow:
    zone: str
    indicator: str
    year: int
    value: Decimal
    reported_value: Decimal
    reported_unit: str


class BatchInvalid(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the batch")
        self.errors = errors


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def parse_json_body(body: bytes) -> Any:
    """JSON with exact decimals: 75.02 becomes Decimal('75.02'), never a binary float; NaN is refused."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise BatchInvalid([RowError(None, "body", f"not valid JSON: {error}")]) from None


def _rows(payload: Any, key: str, max_rows: int) -> list[Any]:
    if not isinstance(payload, dict) or key not in payload:
        raise BatchInvalid([RowError(None, key, f'the body must be an object {{"{key}": [...]}}')])
    extra = sorted(set(payload) - {key})
    if extra:
        raise BatchInvalid([RowError(None, extra[0], f"unknown field '{extra[0]}'")])
    rows = payload[key]
    if not isinstance(rows, list) or not rows:
        raise BatchInvalid([RowError(None, key, "must be a non-empty list")])
    if len(rows) > max_rows:
        raise BatchInvalid([RowError(None, key, f"{len(rows)} rows exceed the limit of {max_rows} per batch; split the batch")])
    return rows


class _RowChecker:
    def __init__(self, index: int, errors: list[RowError]):
        self.index = index
        self.errors = errors
        self.ok = True

    def fail(self, field: str, reason: str) -> None:
        self.errors.append(RowError(self.index, field, reason))
        self.ok = False

    def text(self, row: dict[str, Any], field: str) -> str | None:
        value = row.get(field)
        if value is None:
            self.fail(field, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "must be a non-empty string")
            return None
        return value.strip()

    def number(self, row: dict[str, Any], field: str, required: bool = True) -> Decimal | None:
        value = row.get(field)
        if value is None:
            if required:
                self.fail(field, "is required")
            return None
        if isinstance(value, bool):
            self.fail(field, f"must be a number, got {json.dumps(value)}")
            return None
        if isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, float):
            # Only reached by callers that parsed JSON themselves; the shortest
            # repr is the decimal the sender wrote.
            number = Decimal(repr(value))
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip().replace(",", ""))
            except InvalidOperation:
                self.fail(field, f"'{value}' is not a number")
                return None
        else:
            self.fail(field, f"must be a number, got {type(value).__name__}")
            return None
        if not number.is_finite():
            self.fail(field, f"'{value}' is not a finite number")
            return None
        return number

    def indicator(self, row: dict[str, Any], catalog: Catalog) -> Indicator | None:
        code = self.text(row, "indicator")
        if code is None:
            return None
        indicator = catalog.get(code)
        if indicator is None:
            self.fail("indicator", f"unknown indicator '{code}' (known: {', '.join(catalog.codes())})")
        return indicator

    def zone(self, row: dict[str, Any]) -> str | None:
        zone = self.text(row, "zone")
        if zone is not None and len(zone) > MAX_ZONE_LENGTH:
            self.fail("zone", f"is longer than {MAX_ZONE_LENGTH} characters")
            return None
        if zone is not None and "|" in zone:
            self.fail("zone", "must not contain '|'")
            return None
        return zone

    def convert(self, field: str, number: Decimal, unit: str, indicator: Indicator) -> Decimal | None:
        try:
            converted = convert(number, unit, indicator.unit, indicator.scale)
        except UnitError as error:
            self.fail("unit", f"{error} for {indicator.code} ({indicator.name_zh}, {indicator.unit})")
            return None
        if converted < 0:
            self.fail(field, f"{number} is negative; {indicator.name_zh} cannot be negative")
            return None
        if indicator.integer and converted != converted.to_integral_value():
            self.fail(field, f"{number} is not a whole number; {indicator.name_zh} is a count")
            return None
        return converted

    def unknown_fields(self, row: dict[str, Any], allowed: set[str]) -> None:
        for field in sorted(set(row) - allowed):
            self.fail(field, f"unknown field '{field}' (allowed: {', '.join(sorted(allowed))})")

    def series(self, row: Any, allowed: set[str], catalog: Catalog) -> tuple[str | None, Indicator | None] | None:
        """The checks every row starts with: an object, known fields, a zone, a known indicator.

        None when the row is not an object at all (nothing more can be checked).
        """
        if not isinstance(row, dict):
            self.fail("row", "must be an object")
            return None
        self.unknown_fields(row, allowed)
        return self.zone(row), self.indicator(row, catalog)


def validate_observations(payload: Any, catalog: Catalog, today: date, max_rows: int) -> list[ObservationRow]:
    """Check every row of a `{"observations": [...]}` body; raise BatchInvalid listing every problem."""
    rows = _rows(payload, "observations", max_rows)
    errors: list[RowError] = []
    accepted: list[ObservationRow] = []
    first_row_of_key: dict[tuple[str, str, int, int], int] = {}
    for index, row in enumerate(rows):
        check = _RowChecker(index, errors)
        series = check.series(row, OBSERVATION_FIELDS, catalog)
        if series is None:
            continue
        zone, indicator = series
        year = month = None
        period = row.get("period")
        match = PERIOD_RE.match(period) if isinstance(period, str) else None
        if period is None:
            check.fail("period", "is required (YYYY-MM)")
        elif match is None:
            check.fail("period", f"'{period}' is not a month in the form YYYY-MM")
        else:
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12:
                check.fail("period", f"'{period}': month {month} is not 1..12")
            elif year < MIN_YEAR:
                check.fail("period", f"'{period}' is before {MIN_YEAR}")
            elif (year, month) > (today.year, today.month):
                check.fail("period", f"'{period}' is in the future")
        basis_text = row.get("basis", "ytd")
        basis = None
        try:
            basis = Basis(basis_text)
        except ValueError:
            check.fail("basis", f"'{basis_text}' is not 'ytd' (累计) or 'month' (当月)")
        unit = check.text(row, "unit")
        value = check.number(row, "value")
        yoy_base = check.number(row, "yoy_base", required=False)
        converted = converted_base = None
        if indicator is not None and unit is not None:
            if value is not None:
                converted = check.convert("value", value, unit, indicator)
            if yoy_base is not None:
                converted_base = check.convert("yoy_base", yoy_base, unit, indicator)
        if not check.ok:
            continue
        assert zone and indicator and year and month and basis and unit and value is not None  # noqa: S101
        assert converted is not None  # noqa: S101
        key = (zone, indicator.code, year, month)
        if key in first_row_of_key:
            check.fail("period", f"row {first_row_of_key[key]} already reports {zone} {indicator.code} {period}; send one row per zone, indicator and month")
            continue
        first_row_of_key[key] = index
        accepted.append(
            ObservationRow(zone, indicator.code, year, month, basis, converted, converted_base, value, unit)
        )
    if errors:
        raise BatchInvalid(errors)
    return accepted


def validate_targets(payload: Any, catalog: Catalog, max_rows: int) -> list[TargetRow]:
    """Check every row of a `{"targets": [...]}` body; unit defaults to the indicator's own."""
    rows = _rows(payload, "targets", max_rows)
    errors: list[RowError] = []
    accepted: list[TargetRow] = []
    first_row_of_key: dict[tuple[str, str, int], int] = {}
    for index, row in enumerate(rows):
        check = _RowChecker(index, errors)
        series = check.series(row, TARGET_FIELDS, catalog)
        if series is None:
            continue
        zone, indicator = series
        year = row.get("year")
        if year is None:
            check.fail("year", "is required")
        elif isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= 2100:
            check.fail("year", f"{json.dumps(year, default=str)} is not a year between {MIN_YEAR} and 2100")
        value = check.number(row, "value")
        unit = row.get("unit")
        if unit is not None and (not isinstance(unit, str) or not unit.strip()):
            check.fail("unit", "must be a non-empty string")
        converted = None
        if indicator is not None and value is not None and (unit is None or isinstance(unit, str)):
            unit = (unit or indicator.unit).strip()
            converted = check.convert("value", value, unit, indicator)
            if converted is not None and converted == 0:
                check.fail("value", "an annual target of zero cannot be judged against; omit the target instead")
        if not check.ok:
            continue
        assert zone and indicator and isinstance(year, int) and value is not None and converted is not None  # noqa: S101
        key = (zone, indicator.code, year)
        if key in first_row_of_key:
            check.fail("year", f"row {first_row_of_key[key]} already sets the {year} target of {zone} {indicator.code}")
            continue
        first_row_of_key[key] = index
        accepted.append(TargetRow(zone, indicator.code, year, converted, value, str(unit)))
    if errors:
        raise BatchInvalid(errors)
    return accepted
