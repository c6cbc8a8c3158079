"""Row-by-row validation of upstream batches: pure, no I/O.

A batch is all-or-nothing, so every row is checked before anything is
published, and every problem is reported (row, field, reason), not only the
first: an upstream fixing a spreadsheet wants the whole list at once.

What is accepted here is what the processor can store and compute, so that no
row can poison a chunk downstream:

- Text (zone, indicator, unit, period, basis) is normalised to NFC (one zone
  however its characters were composed) and stripped of surrounding
  whitespace; control characters (C0, C1, ESC, DEL), invisible formatting
  characters (bidirectional controls U+202A–202E, U+2066–2069, U+200E/200F,
  U+061C, zero-width characters), line/paragraph separators and lone
  surrogates are refused, naming the character.
- Figures are JSON numbers or plain ASCII decimal strings
  ("-12.5", "7.5e3"), at most MAX_NUMBER_CHARS characters: no thousands
  separators, underscores, other scripts' digits, NaN, Infinity or hex. In the
  indicator's unit a figure is below 10^MAX_INTEGER_DIGITS with at most
  MAX_DECIMAL_PLACES decimal places: at most 25 significant digits, so sums and
  differences are exact in Decimal's default 28-digit context and PostgreSQL
  NUMERIC holds every figure. The bounds are checked on the exponent before any
  digit is written out (Decimal("1e100000000") is 11 characters; its plain form
  is 100 MB).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from indicators_core.catalog import Catalog, Indicator
from indicators_core.progress import Basis, growth_pct, period_text
from indicators_core.units import UnitError, plain, unit_shift
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from ingest.limits import MAX_JSON_DEPTH, json_depth_exceeds

BASES = {basis.value: basis for basis in Basis}
PERIOD_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
QUARTER_RE = re.compile(r"^([0-9]{4})-Q([1-4])$")
# A growth rate (reported_yoy_pct, a growth target) below −100% would make an amount negative.
MIN_GROWTH_PCT = Decimal(-100)
TARGET_KINDS = ("absolute", "growth")
MAX_ZONE_LENGTH = 100
# Any text field longer than this is refused before it is normalised or scanned.
MAX_TEXT_CHARS = 1000
OBSERVATION_FIELDS = {
    "zone",
    "indicator",
    "period",
    "value",
    "unit",
    "basis",
    "yoy_base",
    "explanation",
    "reported_yoy_pct",
}
# Why a row whose figures look implausible is right (plausibility.py): kept with the report, shown by the query API.
MAX_EXPLANATION_CHARS = 500
TARGET_FIELDS = {"zone", "indicator", "year", "value", "unit", "kind"}

# Figures, in the indicator's (stored) unit: |figure| < 10^15 and at most 10
# decimal places (1 分 in 亿元 is 10^-10). 10^15 亿元 is a thousand times the
# world's output; the plausibility of a figure is another check's business.
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 10
# A figure as sent (string or JSON number): longer is refused before parsing.
MAX_NUMBER_CHARS = 50
# ASCII only ([0-9], not \d, which matches ٣ and ３); surrounding spaces, tabs
# and line breaks are allowed and dropped, as in a spreadsheet export.
NUMBER_SPACE = " \t\r\n"
PLAIN_NUMBER_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")

# Unicode categories a text field may not contain, and what to call them.
FORBIDDEN_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a lone surrogate (half of a UTF-16 pair, not a character)",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
# Control characters have no Unicode name; the ones people meet have these.
CONTROL_NAMES = {0x00: "NUL", 0x09: "TAB", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL", 0x85: "NEL"}


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the batch as a whole
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": _encodable(self.field), "reason": _encodable(self.reason)}


def _encodable(text: str) -> str:
    """`text` with lone surrogates written as \\udXXX: they cannot be encoded as UTF-8 (the response would fail)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class ObservationRow:
    zone: str
    indicator: str
    year: int
    month: int
    basis: Basis
    value: Decimal | None  # in the catalog unit; None for a growth-only row
    yoy_base: Decimal | None  # in the catalog unit
    reported_value: Decimal | None
    reported_unit: str
    explanation: str | None = None  # the sender's words for figures that look implausible
    explained_warnings: str | None = None  # JSON: the plausibility warnings the explanation answers
    reported_yoy_pct: Decimal | None = None  # the upstream's published growth rate, %


@dataclass(frozen=True)
class TargetRow:
    zone: str
    indicator: str
    year: int
    value: Decimal  # an amount in the catalog unit, or a rate in % (kind growth)
    reported_value: Decimal
    reported_unit: str
    kind: str = "absolute"  # "absolute" | "growth" (增长X%以上)


class BatchInvalid(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the batch")
        self.errors = errors


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


@dataclass(frozen=True)
class UnreadNumber:
    """A JSON number left unparsed (too long, or an exponent beyond Decimal's), so that validation names its row and field."""

    text: str
    problem: str

    def __str__(self) -> str:
        return _head(self.text)


def _head(text: str) -> str:
    return f"{text[:20]}…" if len(text) > MAX_NUMBER_CHARS else text


def _too_long(text: str) -> str:
    return f"'{_head(text)}' has {len(text)} characters; a figure has at most {MAX_NUMBER_CHARS}"


def _exponent_out_of_range(text: str) -> str:
    return f"'{text}' has an exponent beyond any figure's: figures must be below 1E+{MAX_INTEGER_DIGITS}"


def _decimal(text: str) -> Decimal | UnreadNumber:
    """Decimal(text) for a syntactically valid number of at most MAX_NUMBER_CHARS characters."""
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond ±999999999999999999, e.g. 0E1000000000000000000
        return UnreadNumber(text, _exponent_out_of_range(text))


def _json_float(text: str) -> Decimal | UnreadNumber:
    return UnreadNumber(text, _too_long(text)) if len(text) > MAX_NUMBER_CHARS else _decimal(text)


def _json_int(text: str) -> int | UnreadNumber:
    # Before int(): a 5000-digit integer would otherwise fail the whole body on Python's digit limit.
    return UnreadNumber(text, _too_long(text)) if len(text) > MAX_NUMBER_CHARS else int(text)


def parse_json_body(body: bytes) -> Any:
    """JSON with exact decimals: 75.02 becomes Decimal('75.02'), never a binary float; NaN is refused.

    Arrays and objects nested deeper than MAX_JSON_DEPTH are refused before parsing (the parser
    recurses: 100 000 nested '[' would exhaust the stack).
    """
    if json_depth_exceeds(body, MAX_JSON_DEPTH):
        raise BatchInvalid(
            [RowError(None, "body", f"arrays and objects are nested deeper than {MAX_JSON_DEPTH} levels")]
        )
    try:
        return json.loads(body, parse_float=_json_float, parse_int=_json_int, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise BatchInvalid([RowError(None, "body", f"not valid JSON: {error}")]) from None
    except RecursionError:
        # Only reached if the depth scan was fooled; the batch is refused all the same.
        raise BatchInvalid([RowError(None, "body", "arrays and objects are nested too deeply")]) from None


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
        raise BatchInvalid(
            [RowError(None, key, f"{len(rows)} rows exceed the limit of {max_rows} per batch; split the batch")]
        )
    return rows


def describe_character(char: str) -> str:
    """U+202E (RIGHT-TO-LEFT OVERRIDE): how a refused character is named in a reason."""
    name = CONTROL_NAMES.get(ord(char)) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


# A batch repeats its zones, indicators, periods and units on every row: each distinct text is checked once.
@lru_cache(maxsize=8192)
def clean_text(value: str, max_chars: int = MAX_TEXT_CHARS) -> tuple[str | None, str]:
    """(problem, text): the text in NFC without surrounding whitespace, or why it is refused.

    NFC first, so that a zone typed with a combining accent and one typed precomposed are one
    zone; then the refused characters, each of which either cannot be stored (NUL, a lone
    surrogate), rewrites the operator's console (ESC) or makes two names that look alike differ
    (bidirectional and zero-width characters).
    """
    if len(value) > max_chars:
        return f"is longer than {max_chars} characters", ""
    text = unicodedata.normalize("NFC", value).strip()
    # Every refused category is one str.isprintable() refuses too (Cc, Cf, Cs, Zl, Zp of Other and Separator):
    # a printable text, as nearly every zone and indicator is, holds none, and is checked in C, not per character.
    if text.isprintable():
        return None, text
    for char in text:
        kind = FORBIDDEN_CATEGORIES.get(unicodedata.category(char))
        if kind is not None:
            return f"contains {describe_character(char)}, {kind}", ""
    return None, text


def parse_figure(value: Any) -> tuple[Decimal | None, str | None]:
    """(figure, problem) for a JSON number or a plain decimal string; the range is checked per unit (range_problem)."""
    if isinstance(value, bool):
        return None, f"must be a number, got {json.dumps(value)}"
    if isinstance(value, UnreadNumber):
        return None, value.problem
    if isinstance(value, int):
        if value.bit_length() > 4 * MAX_NUMBER_CHARS:  # more digits than any figure may have; int → str is quadratic
            return None, f"has more than {MAX_NUMBER_CHARS} digits; a figure has at most {MAX_NUMBER_CHARS}"
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        # Only reached by callers that parsed JSON themselves; the shortest
        # repr is the decimal the sender wrote.
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip(NUMBER_SPACE)
        if len(text) > MAX_NUMBER_CHARS:
            return None, _too_long(text)
        if not PLAIN_NUMBER_RE.match(text):
            return None, (
                f"'{value}' is not a number: send a JSON number or ASCII digits with an optional '-', '.' and"
                " exponent (75.02, 7.502e5), no thousands separators"
            )
        parsed = _decimal(text)
        if isinstance(parsed, UnreadNumber):
            return None, parsed.problem
        number = parsed
    else:
        return None, f"must be a number, got {type(value).__name__}"
    if not number.is_finite():
        return None, f"'{value}' is not a finite number"
    return number, None


def show(number: Decimal) -> str:
    """A figure as a reason shows it: plain digits when short (0.00000000123), else 1.23E-20."""
    if not number.is_zero() and not -12 <= number.adjusted() <= 16:
        return str(number)
    return format(number, "f")


def range_problem(number: Decimal, unit: str, shift: int, stored_unit: str) -> str | None:
    """Why `number` in `unit` (10^shift of `stored_unit`) cannot be stored, or None.

    On the digits and exponent only, never the plain figure: 1e100000000 is refused as fast as 1e16.
    """
    if number.is_zero():
        return None
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite  # noqa: S101
    significant = len(digits)
    while digits[significant - 1] == 0:  # at most MAX_NUMBER_CHARS digits
        significant -= 1
        exponent += 1
    # The stored figure's digits and exponent; its adjusted exponent is that of the leading digit.
    adjusted = significant - 1 + exponent + shift
    places = -(exponent + shift)
    if adjusted < MAX_INTEGER_DIGITS and places <= MAX_DECIMAL_PLACES:
        return None
    stored = Decimal((sign, digits[:significant], exponent + shift))
    shown = f"{show(number)} {unit}"
    if unit != stored_unit:
        shown += f" ({show(stored)} {stored_unit})"
    if adjusted >= MAX_INTEGER_DIGITS:
        return f"{shown} is too large: figures must be below 1E+{MAX_INTEGER_DIGITS} {stored_unit}"
    smallest = format(Decimal(1).scaleb(-MAX_DECIMAL_PLACES), "f")
    return (
        f"{shown} has {places} decimal places in {stored_unit}; at most {MAX_DECIMAL_PLACES} are kept"
        f" ({smallest} {stored_unit}): round it"
    )


@lru_cache(maxsize=4096)
def _period_form(period: str) -> tuple[bool, int, int] | None:
    """(is a quarter, year, month) of "YYYY-MM", or of "YYYY-Qn" at its last month (Q2 → 6); None for neither."""
    month_match = PERIOD_RE.match(period)
    if month_match is not None:
        return False, int(month_match.group(1)), int(month_match.group(2))
    quarter_match = QUARTER_RE.match(period)
    if quarter_match is not None:
        return True, int(quarter_match.group(1)), 3 * int(quarter_match.group(2))
    return None


class _RowChecker:
    def __init__(self, index: int, errors: list[RowError]):
        self.index = index
        self.errors = errors
        self.ok = True

    def fail(self, field: str, reason: str) -> None:
        self.errors.append(RowError(self.index, field, reason))
        self.ok = False

    def text(self, row: dict[str, Any], field: str, required: str = "is required") -> str | None:
        value = row.get(field)
        if value is None:
            self.fail(field, required)
            return None
        if not isinstance(value, str):
            self.fail(field, "must be a non-empty string")
            return None
        problem, text = clean_text(value)
        if problem is not None:
            self.fail(field, problem)
            return None
        if not text:
            self.fail(field, "must be a non-empty string")
            return None
        return text

    def number(self, row: dict[str, Any], field: str, required: bool = True) -> Decimal | None:
        value = row.get(field)
        if value is None:
            if required:
                self.fail(field, "is required")
            return None
        number, problem = parse_figure(value)
        if problem is not None:
            self.fail(field, problem)
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
            shift = unit_shift(unit, indicator.unit, indicator.scale)
        except UnitError as error:
            self.fail("unit", f"{error} for {indicator.code} ({indicator.name_zh}, {indicator.unit})")
            return None
        problem = range_problem(number, unit, shift, indicator.unit)
        if problem is not None:
            self.fail(field, problem)
            return None
        converted = plain(number, shift)
        if converted < 0:
            self.fail(field, f"{number} is negative; {indicator.name_zh} cannot be negative")
            return None
        if indicator.integer and converted != converted.to_integral_value():
            self.fail(field, f"{number} is not a whole number; {indicator.name_zh} is a count")
            return None
        return converted

    def growth(self, value: Decimal, yoy_base: Decimal, unit: str, converted: Decimal, converted_base: Decimal) -> None:
        """The row's own growth rate must be computable: the processor works it out with this very function."""
        try:
            growth_pct(converted, converted_base)
        except ArithmeticError:  # decimal.InvalidOperation: more digits than the 28-digit context holds
            self.fail(
                "yoy_base",
                f"a growth from {show(yoy_base)} to {show(value)} {unit} is beyond what can be computed (10^16 % or more);"
                " check both figures and their unit",
            )

    def period(self, row: dict[str, Any], indicator: Indicator | None, today: date) -> tuple[int, int] | None:
        """(year, month) of a month "YYYY-MM", or of a quarter "YYYY-Qn" stored at its last month (Q2 → 6).

        The form must be the indicator's frequency: a month of a quarterly indicator (or the reverse) is
        refused, naming both, since a quarter's figure filed as its last month would read as 1-6月 of a
        monthly series, and the reverse would be judged against n/4.
        """
        period = row.get("period")
        wanted = "YYYY-Qn" if indicator is not None and indicator.quarterly else "YYYY-MM"
        if period is None:
            self.fail("period", f"is required ({wanted})")
            return None
        if not isinstance(period, str):
            what = "a quarter" if wanted == "YYYY-Qn" else "a month"
            self.fail("period", f"{json.dumps(period, default=str)} is not {what} in the form {wanted}")
            return None
        problem, period = clean_text(period)
        if problem is not None:
            self.fail("period", problem)
            return None
        form = _period_form(period)
        if form is None:
            what = "a quarter" if wanted == "YYYY-Qn" else "a month"
            self.fail("period", f"'{period}' is not {what} in the form {wanted}")
            return None
        quarter, year, month = form
        if indicator is not None and indicator.quarterly and not quarter:
            self.fail(
                "period",
                f"'{period}' is a month, but {indicator.code} ({indicator.name_zh}) is reported by quarter:"
                " send the quarter as YYYY-Qn (2026-Q2 for 1-2季度)",
            )
            return None
        if indicator is not None and not indicator.quarterly and quarter:
            self.fail(
                "period",
                f"'{period}' is a quarter, but {indicator.code} ({indicator.name_zh}) is reported by month:"
                " send the month as YYYY-MM",
            )
            return None
        if not quarter and not 1 <= month <= 12:
            self.fail("period", f"'{period}': month {month} is not 1..12")
            return None
        if year < MIN_YEAR:
            self.fail("period", f"'{period}' is before {MIN_YEAR}")
            return None
        # A quarter is in the future until its last month has begun, as a month is until it has begun.
        if (year, month) > (today.year, today.month):
            self.fail("period", f"'{period}' is in the future")
            return None
        return year, month

    def basis(self, row: dict[str, Any], indicator: Indicator | None) -> Basis | None:
        basis_text = row.get("basis", "ytd")
        problem = None
        if isinstance(basis_text, str):
            problem, basis_text = clean_text(basis_text)
        if problem is not None:
            self.fail("basis", problem)
            return None
        basis = BASES.get(basis_text) if isinstance(basis_text, str) else None
        if basis is None:
            self.fail("basis", f"'{basis_text}' is not 'ytd' (累计) or 'month' (当月)")
            return None
        if basis is Basis.MONTH and indicator is not None and indicator.stock:
            self.fail(
                "basis",
                f"{indicator.code} ({indicator.name_zh}) is a stock, a level at the period's end: send it as"
                " 'ytd' (the level), there is no month-alone value of a stock",
            )
            return None
        return basis

    def percentage(self, row: dict[str, Any], field: str, required: bool = False) -> Decimal | None:
        """A growth rate in % (reported_yoy_pct, a growth target): at least −100, stored to ≤ 10 places."""
        number = self.number(row, field, required=required)
        if number is None:
            return None
        problem = range_problem(number, "%", 0, "%")
        if problem is not None:
            self.fail(field, problem)
            return None
        if number < MIN_GROWTH_PCT:
            self.fail(field, f"{show(number)}% is below -100%: an amount cannot fall by more than all of it")
            return None
        return number

    def unknown_fields(self, row: dict[str, Any], allowed: set[str]) -> None:
        if row.keys() <= allowed:
            return
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
        observation = _observation(check, row, catalog, today)
        if observation is None:
            continue
        key = (observation.zone, observation.indicator, observation.year, observation.month)
        if key in first_row_of_key:
            indicator = catalog.indicators[observation.indicator]
            check.fail(
                "period",
                f"row {first_row_of_key[key]} already reports {observation.zone} {indicator.code}"
                f" {period_text(observation.year, observation.month, indicator.step)}; send one row per zone,"
                f" indicator and {'quarter' if indicator.quarterly else 'month'}",
            )
            continue
        first_row_of_key[key] = index
        accepted.append(observation)
    if errors:
        raise BatchInvalid(errors)
    return accepted


def _observation(check: _RowChecker, row: Any, catalog: Catalog, today: date) -> ObservationRow | None:
    """One row checked on its own (problems recorded on `check`); None when it has any."""
    series = check.series(row, OBSERVATION_FIELDS, catalog)
    if series is None:
        return None
    zone, indicator = series
    if indicator is not None and indicator.derived:
        # One source per figure: the processor recomputes it from the list at every change of a project,
        # so a posted figure would be overwritten at the next change, or overwrite the list's (catalog.py).
        check.fail(
            "indicator",
            f"{indicator.code} ({indicator.name_zh}) is derived from the project list: send the projects"
            " (PUT /v1/projects), not the figure; its targets are set with PUT /v1/targets",
        )
        indicator = None
    year_month = check.period(row, indicator, today)
    basis = check.basis(row, indicator)
    reported_yoy_pct = check.percentage(row, "reported_yoy_pct")
    # A growth-only row (the published rate, "进出口总额增速97.5%") may leave the amount out.
    if row.get("value") is None and row.get("reported_yoy_pct") is None:
        check.fail("value", "is required (or, for a growth-only row, reported_yoy_pct: the published growth rate)")
    value = check.number(row, "value", required=False)
    yoy_base = check.number(row, "yoy_base", required=False)
    amounts = value is not None or yoy_base is not None
    # The unit says what the amounts are in; a row without amounts needs none (the indicator's own).
    if row.get("unit") is not None or amounts or "value" in row:
        unit = check.text(row, "unit")
    else:
        unit = indicator.unit if indicator else None
    explanation = _explanation(check, row)
    converted = converted_base = None
    if indicator is not None and unit is not None:
        if value is not None:
            converted = check.convert("value", value, unit, indicator)
        if yoy_base is not None:
            converted_base = check.convert("yoy_base", yoy_base, unit, indicator)
    if converted_base is not None and converted_base == 0:
        check.fail(
            "yoy_base",
            "is zero: no growth rate can be computed against a zero base; leave yoy_base out"
            " when there is no comparable base",
        )
    elif converted is not None and converted_base is not None and value is not None and yoy_base is not None:
        check.growth(value, yoy_base, unit or "", converted, converted_base)
    if yoy_base is not None and value is None and reported_yoy_pct is not None:
        check.fail("yoy_base", "is a base for a value; a growth-only row (reported_yoy_pct, no value) has none")
    if not check.ok:
        return None
    assert zone and indicator and year_month and basis and unit  # noqa: S101
    assert converted is not None or reported_yoy_pct is not None  # noqa: S101
    year, month = year_month
    return ObservationRow(
        zone,
        indicator.code,
        year,
        month,
        basis,
        converted,
        converted_base,
        value,
        unit,
        explanation,
        reported_yoy_pct=reported_yoy_pct,
    )


def _explanation(check: _RowChecker, row: Any) -> str | None:
    if row.get("explanation") is None:
        return None
    explanation = check.text(row, "explanation")
    if explanation is not None and len(explanation) > MAX_EXPLANATION_CHARS:
        check.fail("explanation", f"is {len(explanation)} characters long; at most {MAX_EXPLANATION_CHARS}")
    return explanation


def validate_targets(payload: Any, catalog: Catalog, max_rows: int) -> list[TargetRow]:
    """Check every row of a `{"targets": [...]}` body; unit defaults to the indicator's own.

    `kind` "absolute" (default) is an annual amount; "growth" a growth-rate target in % (10 for
    增长10%以上), in "%" or with the unit left out. A series may have one of each for a year.
    """
    rows = _rows(payload, "targets", max_rows)
    errors: list[RowError] = []
    accepted: list[TargetRow] = []
    first_row_of_key: dict[tuple[str, str, int, str], int] = {}
    for index, row in enumerate(rows):
        check = _RowChecker(index, errors)
        target = _target(check, row, catalog)
        if target is None:
            continue
        key = (target.zone, target.indicator, target.year, target.kind)
        if key in first_row_of_key:
            what = "growth target" if target.kind == "growth" else "target"
            check.fail(
                "year",
                f"row {first_row_of_key[key]} already sets the {target.year} {what} of {target.zone} {target.indicator}",
            )
            continue
        first_row_of_key[key] = index
        accepted.append(target)
    if errors:
        raise BatchInvalid(errors)
    return accepted


def _target(check: _RowChecker, row: Any, catalog: Catalog) -> TargetRow | None:
    """One target row checked on its own (problems recorded on `check`); None when it has any."""
    series = check.series(row, TARGET_FIELDS, catalog)
    if series is None:
        return None
    zone, indicator = series
    year = row.get("year")
    if year is None:
        check.fail("year", "is required")
    elif isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        check.fail("year", f"{json.dumps(year, default=str)} is not a year between {MIN_YEAR} and {MAX_YEAR}")
    kind = check.text(row, "kind") if row.get("kind") is not None else "absolute"
    if kind is not None and kind not in TARGET_KINDS:
        check.fail("kind", f"'{kind}' is not 'absolute' (an annual amount) or 'growth' (a growth rate in %)")
        kind = None
    if kind == "growth":
        converted = value = check.percentage(row, "value", required=True)
        unit: str | None = check.text(row, "unit") if row.get("unit") is not None else "%"
        if unit is not None and unit != "%":
            check.fail("unit", f"'{unit}': a growth target is a rate in % (10 for 增长10%以上); send '%' or no unit")
    else:
        value = check.number(row, "value")
        # Left out (or null): the indicator's own unit.
        unit = check.text(row, "unit") if row.get("unit") is not None else indicator.unit if indicator else None
        converted = None
        if indicator is not None and value is not None and unit is not None:
            converted = check.convert("value", value, unit, indicator)
            if converted is not None and converted == 0:
                check.fail("value", "an annual target of zero cannot be judged against; omit the target instead")
    if not check.ok:
        return None
    assert zone and indicator and isinstance(year, int) and value is not None and converted is not None  # noqa: S101
    assert kind is not None  # noqa: S101
    return TargetRow(zone, indicator.code, year, converted, value, str(unit), kind)


# What ingest's other validators (ingest.zones: PUT /v1/zones) share with these: one body shape, one row checker.
RowChecker = _RowChecker
batch_rows = _rows
