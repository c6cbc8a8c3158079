"""Plausibility checks: the second tier after validation's hard errors, as the statistics bureaus'
online reporting (联网直报) does it. Pure functions of figures; thresholds come from plausibility.toml.

A hard error (validation) means the row cannot be stored. A plausibility warning means the row
can be stored but looks wrong: the sender either fixes it or says why it is right (an
"explanation" on the row). The checks, each naming the row and field with the figures:

- growth: the cumulative (累计) value against its base — the row's comparable base, else last
  year's cumulative value of the same months — outside [min_pct, max_pct] percent;
- comparable_base: a comparable base more than max_ratio times last year's cumulative value of
  the same months, or less than 1/max_ratio of it (a base in 万元 sent for 亿元);
- history: the month's own value (当月) more than `factor` times the median of the series' month
  values in the window before it, or less than 1/factor of it;
- part_of: a part (the catalog's part_of) above its whole for the same zone and months.

The figures are those the processor will compute: the batch's rows over the stored current
reports (`merge`), through progress.cumulate_year and progress.growth_pct, never re-derived.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from indicators_core.catalog import Catalog, Indicator
from indicators_core.progress import (
    Basis,
    MonthReport,
    cumulate_stock,
    cumulate_year,
    growth_pct,
    month_number,
    month_of_number,
    months_before,
    quantize_pct,
    round_half_up,
)
from indicators_core.units import UnitError, convert

DEFAULT_RULES_PATH = Path(__file__).with_name("plausibility.toml")

# year → month → the current report of one series (zone + indicator)
Series = Mapping[int, Mapping[int, MonthReport]]
SeriesKey = tuple[str, str]  # (zone, indicator)


class RowFigures(Protocol):
    """What the checks read of a validated row (ingest.validation.ObservationRow)."""

    @property
    def zone(self) -> str: ...
    @property
    def indicator(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def month(self) -> int: ...
    @property
    def basis(self) -> Basis: ...
    @property
    def value(self) -> Decimal | None: ...  # None: a growth-only row (a published rate, no amount)
    @property
    def yoy_base(self) -> Decimal | None: ...


# ---------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class GrowthCheck:
    enabled: bool = True
    min_pct: Decimal = Decimal(-90)
    max_pct: Decimal = Decimal(500)


@dataclass(frozen=True)
class ComparableBaseCheck:
    enabled: bool = True
    max_ratio: Decimal = Decimal(3)


@dataclass(frozen=True)
class HistoryCheck:
    enabled: bool = True
    factor: Decimal = Decimal(10)
    window_months: int = 24
    min_months: int = 6


@dataclass(frozen=True)
class PartOfCheck:
    enabled: bool = True


CHECKS: dict[str, type] = {
    "growth": GrowthCheck,
    "comparable_base": ComparableBaseCheck,
    "history": HistoryCheck,
    "part_of": PartOfCheck,
}


class PlausibilityRulesError(ValueError):
    """The thresholds file is wrong: fail at start, naming the file, key and reason."""


@dataclass(frozen=True)
class PlausibilityRules:
    growth: GrowthCheck = field(default_factory=GrowthCheck)
    comparable_base: ComparableBaseCheck = field(default_factory=ComparableBaseCheck)
    history: HistoryCheck = field(default_factory=HistoryCheck)
    part_of: PartOfCheck = field(default_factory=PartOfCheck)
    # indicator code → check name → that check's thresholds for the indicator
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_indicator(self, code: str) -> PlausibilityRules:
        """The thresholds that apply to one indicator (its overrides over the defaults)."""
        own = self.overrides.get(code)
        if not own:
            return self
        return replace(self, overrides={}, **own)

    def history_years(self) -> int:
        """How many years before a row's year the checks read (last year's base; the history window)."""
        windows = [
            self.history.window_months,
            *(o["history"].window_months for o in self.overrides.values() if "history" in o),
        ]
        return max(1, max((w + 11) // 12 for w in windows))


def _check_value(origin: str, where: str, check: type, key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise PlausibilityRulesError(f"{origin}: {where}.{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise PlausibilityRulesError(f"{origin}: {where}.{key} must be a whole number of at least 1, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PlausibilityRulesError(f"{origin}: {where}.{key} must be a number, got {value!r}")
    return Decimal(value)


def _build(origin: str, where: str, name: str, table: Any, base: Any) -> Any:
    check = CHECKS[name]
    if not isinstance(table, dict):
        raise PlausibilityRulesError(f"{origin}: {where} must be a table")
    known = {f.name for f in fields(check)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise PlausibilityRulesError(
            f"{origin}: {where}.{unknown[0]} is not a setting of {name} (known: {', '.join(sorted(known))})"
        )
    values = {key: _check_value(origin, where, check, key, value, getattr(base, key)) for key, value in table.items()}
    built = replace(base, **values)
    if isinstance(built, GrowthCheck) and not built.min_pct < built.max_pct:
        raise PlausibilityRulesError(
            f"{origin}: {where}: min_pct {built.min_pct} must be below max_pct {built.max_pct}"
        )
    if isinstance(built, ComparableBaseCheck | HistoryCheck):
        bound = built.max_ratio if isinstance(built, ComparableBaseCheck) else built.factor
        if bound <= 1:
            raise PlausibilityRulesError(
                f"{origin}: {where}: {'max_ratio' if isinstance(built, ComparableBaseCheck) else 'factor'} must be above 1, got {bound}"
            )
    if isinstance(built, HistoryCheck) and built.min_months > built.window_months:
        raise PlausibilityRulesError(
            f"{origin}: {where}: min_months {built.min_months} exceeds window_months {built.window_months}"
        )
    return built


def parse_rules(text: str, origin: str = "<plausibility>", catalog: Catalog | None = None) -> PlausibilityRules:
    """The thresholds of a plausibility.toml text; PlausibilityRulesError names a wrong key or value."""
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise PlausibilityRulesError(f"{origin}: not valid TOML: {error}") from None
    unknown = sorted(set(raw) - set(CHECKS) - {"indicators"})
    if unknown:
        raise PlausibilityRulesError(f"{origin}: unknown table [{unknown[0]}] (known: {', '.join(CHECKS)}, indicators)")
    defaults = PlausibilityRules()
    checks = {name: _build(origin, f"[{name}]", name, raw.get(name, {}), getattr(defaults, name)) for name in CHECKS}
    overrides: dict[str, dict[str, Any]] = {}
    indicators = raw.get("indicators", {})
    if not isinstance(indicators, dict):
        raise PlausibilityRulesError(f"{origin}: indicators must be a table")
    for code, tables in indicators.items():
        if catalog is not None and catalog.get(code) is None:
            raise PlausibilityRulesError(f"{origin}: [indicators.{code}]: '{code}' is not in the catalog")
        if not isinstance(tables, dict):
            raise PlausibilityRulesError(f"{origin}: [indicators.{code}] must be a table")
        for name, table in tables.items():
            if name not in CHECKS:
                raise PlausibilityRulesError(
                    f"{origin}: [indicators.{code}.{name}]: unknown check (known: {', '.join(CHECKS)})"
                )
            where = f"[indicators.{code}.{name}]"
            overrides.setdefault(code, {})[name] = _build(origin, where, name, table, checks[name])
    return PlausibilityRules(**checks, overrides=overrides)


def load_rules(path: Path | None = None, catalog: Catalog | None = None) -> PlausibilityRules:
    rules_path = path or DEFAULT_RULES_PATH
    try:
        text = rules_path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlausibilityRulesError(f"{rules_path}: cannot be read: {error}") from None
    return parse_rules(text, str(rules_path), catalog)


# ---------------------------------------------------------------- findings


@dataclass(frozen=True)
class PlausibilityWarning:
    row: int
    field: str
    rule: str  # growth | comparable_base | history | part_of
    reason: str  # in words, with the figures and units
    figures: dict[str, str]  # the numbers behind the reason, exact decimals as strings

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "rule": self.rule, "reason": self.reason, "figures": self.figures}


def exact(value: Decimal) -> str:
    """A figure as computed, without trailing zeros or exponent: 6.5100 → "6.51", 1E+4 → "10000"."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _pct(value: Decimal) -> str:
    """A percentage in words: one decimal, half up, signed and grouped: +1,849,331.8."""
    return format(round_half_up(value, 1), "+,f")


def _bound(value: Decimal) -> str:
    """A threshold as configured, signed: -90, +500."""
    return ("+" if value > 0 else "") + exact(value)


def _times(value: Decimal) -> str:
    """A ratio in words, at most 4 decimals: 10000, 3.0143."""
    return exact(round_half_up(value, 4))


def _period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _months(month: int) -> str:
    return "1月" if month == 1 else f"1-{month}月"


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def merge(
    rows: Iterable[RowFigures], stored: Mapping[SeriesKey, Series] | None
) -> dict[SeriesKey, dict[int, dict[int, MonthReport]]]:
    """The stored current reports with the batch's rows over them: what the series will be once stored."""
    merged: dict[SeriesKey, dict[int, dict[int, MonthReport]]] = {}
    for key, series in (stored or {}).items():
        merged[key] = {year: dict(months) for year, months in series.items()}
    for row in rows:
        months = merged.setdefault((row.zone, row.indicator), {}).setdefault(row.year, {})
        months[row.month] = MonthReport(row.year, row.month, row.basis, row.value, row.yoy_base)
    return merged


def series_needed(
    rows: Iterable[RowFigures], catalog: Catalog, rules: PlausibilityRules
) -> dict[SeriesKey, tuple[int, int]]:
    """The stored series the checks of `rows` read, with the years (first, last) of each: the rows'
    own series back to last year and the history window, and their parts' and wholes' for the rows' years."""
    back = rules.history_years()
    needed: dict[SeriesKey, tuple[int, int]] = {}

    def need(key: SeriesKey, first: int, last: int) -> None:
        known = needed.get(key)
        needed[key] = (first, last) if known is None else (min(known[0], first), max(known[1], last))

    for row in rows:
        need((row.zone, row.indicator), row.year - back, row.year)
        for other in _relatives(row.indicator, catalog):
            need((row.zone, other.code), row.year, row.year)
    return needed


def _relatives(code: str, catalog: Catalog) -> list[Indicator]:
    """The whole of an indicator and its parts."""
    own = catalog.get(code)
    found = list(catalog.parts(code))
    if own is not None and own.part_of is not None:
        whole = catalog.get(own.part_of)
        if whole is not None:
            found.insert(0, whole)
    return found


class _Series:
    """One merged series with its cumulative and month values per year, computed once."""

    def __init__(self, years: Mapping[int, Mapping[int, MonthReport]], indicator: Indicator):
        self.years = years
        self.indicator = indicator
        self._cache: dict[int, tuple[dict[int, Decimal], dict[int, Decimal]]] = {}
        self._months: tuple[list[int], list[Decimal]] | None = None

    def year(self, year: int) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
        if year not in self._cache:
            reports = self.years.get(year, {})
            if self.indicator.stock:  # a level: no month-alone values to judge
                self._cache[year] = cumulate_stock(reports), {}
            else:
                self._cache[year] = cumulate_year(reports, self.indicator.first_month, self.indicator.step)
        return self._cache[year]

    def ytd(self, year: int, month: int) -> Decimal | None:
        return self.year(year)[0].get(month)

    def month_value(self, year: int, month: int) -> Decimal | None:
        return self.year(year)[1].get(month)

    def month_values(self) -> tuple[list[int], list[Decimal]]:
        """Every month value of the series in order, with its month number (progress.month_number)."""
        if self._months is None:
            numbers: list[int] = []
            values: list[Decimal] = []
            for year in sorted(self.years):
                for month, value in self.year(year)[1].items():  # in month order (cumulate_year)
                    numbers.append(month_number(year, month))
                    values.append(value)
            self._months = numbers, values
        return self._months


def check_batch(
    rows: Sequence[RowFigures],
    stored: Mapping[SeriesKey, Series] | None,
    catalog: Catalog,
    rules: PlausibilityRules,
) -> list[PlausibilityWarning]:
    """Every plausibility warning of the batch's rows, by row. `stored` None: the database could not be
    read, so only what the batch itself holds is checked (its comparable bases, its parts and wholes)."""
    merged = merge(rows, stored)
    series: dict[SeriesKey, _Series] = {}

    def of(zone: str, indicator: Indicator) -> _Series:
        key = (zone, indicator.code)
        if key not in series:
            series[key] = _Series(merged.get(key, {}), indicator)
        return series[key]

    in_batch = {(row.zone, row.indicator, row.year, row.month) for row in rows}
    warnings: list[PlausibilityWarning] = []
    for index, row in enumerate(rows):
        indicator = catalog.get(row.indicator)
        if indicator is None:  # validation admits catalog codes only
            continue
        own = rules.for_indicator(indicator.code)
        mine = of(row.zone, indicator)
        found = [
            _growth(index, row, indicator, mine, own.growth),
            _comparable_base(index, row, indicator, mine, own.comparable_base),
            _history(index, row, indicator, mine, own.history),
        ]
        warnings.extend(w for w in found if w is not None)
        if own.part_of.enabled:
            warnings.extend(_part_of(index, row, indicator, catalog, of, in_batch))
    return warnings


def _growth(
    index: int, row: RowFigures, indicator: Indicator, mine: _Series, check: GrowthCheck
) -> PlausibilityWarning | None:
    if not check.enabled:
        return None
    ytd = mine.ytd(row.year, row.month)
    comparable = row.yoy_base is not None
    base = row.yoy_base if comparable else mine.ytd(row.year - 1, row.month)
    growth = growth_pct(ytd, base)
    if growth is None or check.min_pct <= growth <= check.max_pct:
        return None
    assert ytd is not None and base is not None  # growth_pct had both  # noqa: S101
    unit = indicator.unit
    against = (
        "its comparable base"
        if comparable
        else f"last year's {_months(row.month)} ({_period(row.year - 1, row.month)})"
    )
    return PlausibilityWarning(
        index,
        "yoy_base" if comparable else "value",
        "growth",
        f"{indicator.name_zh} {_period(row.year, row.month)} {_months(row.month)}累计 {exact(ytd)}{unit} against {against}"
        f" {exact(base)}{unit} is a growth of {_pct(growth)}%, outside {_bound(check.min_pct)}% to {_bound(check.max_pct)}%;"
        " check the figures and their unit",
        {
            "ytd_value": exact(ytd),
            "base": exact(base),
            "growth_pct": exact(growth),
            "min_pct": exact(check.min_pct),
            "max_pct": exact(check.max_pct),
        },
    )


def _comparable_base(
    index: int, row: RowFigures, indicator: Indicator, mine: _Series, check: ComparableBaseCheck
) -> PlausibilityWarning | None:
    if not check.enabled or row.yoy_base is None:
        return None
    last_year = mine.ytd(row.year - 1, row.month)
    if last_year is None or last_year <= 0 or row.yoy_base <= 0:
        return None
    base = row.yoy_base
    # Compared multiplied out, exactly: base / last_year > max_ratio or < 1 / max_ratio.
    if last_year * check.max_ratio >= base and base * check.max_ratio >= last_year:
        return None
    unit = indicator.unit
    apart = f"{_times(base / last_year)} times" if base > last_year else f"1/{_times(last_year / base)} of"
    return PlausibilityWarning(
        index,
        "yoy_base",
        "comparable_base",
        f"the comparable base {exact(base)}{unit} of {indicator.name_zh} {_period(row.year, row.month)} is {apart}"
        f" last year's {_months(row.month)}累计 ({_period(row.year - 1, row.month)}) {exact(last_year)}{unit};"
        f" bases more than {exact(check.max_ratio)} times apart are usually in another unit (万元 for 亿元)"
        " or of another period",
        {
            "yoy_base": exact(base),
            "last_year_ytd": exact(last_year),
            "ratio": exact(quantize_pct(base / last_year)),
            "max_ratio": exact(check.max_ratio),
        },
    )


def _history(
    index: int, row: RowFigures, indicator: Indicator, mine: _Series, check: HistoryCheck
) -> PlausibilityWarning | None:
    if not check.enabled:
        return None
    value = mine.month_value(row.year, row.month)
    if value is None:
        return None
    # The series' ordered month values are found once per series: this runs for every row of a batch.
    numbers, values = mine.month_values()
    start, end = months_before(numbers, month_number(row.year, row.month), check.window_months)
    history = values[start:end]
    if len(history) < check.min_months:
        return None
    median = _median(history)
    if median <= 0 or (value <= median * check.factor and value * check.factor >= median):
        return None
    first_period, last_period = _period(*month_of_number(numbers[start])), _period(*month_of_number(numbers[end - 1]))
    unit = indicator.unit
    apart = (
        f"{_times(value / median)} times"
        if value > median
        else ("0 times" if value <= 0 else f"1/{_times(median / value)} of")
    )
    return PlausibilityWarning(
        index,
        "value",
        "history",
        f"{indicator.name_zh} {_period(row.year, row.month)} 当月 {exact(value)}{unit} is {apart} the median"
        f" {exact(median)}{unit} of its {len(history)} months {first_period} to {last_period}; more than {exact(check.factor)} times"
        " apart either way is outside the series' own history",
        {
            "month_value": exact(value),
            "median": exact(median),
            "months": str(len(history)),
            "factor": exact(check.factor),
        },
    )


def _comparable(value: Decimal, unit: str, indicator: Indicator, into: Indicator) -> Decimal | None:
    if unit == into.unit:
        return value
    try:
        return convert(value, unit, into.unit, into.scale)
    except UnitError:  # a part in another scale than its whole: nothing to compare
        return None


def _part_of(
    index: int,
    row: RowFigures,
    indicator: Indicator,
    catalog: Catalog,
    of: Any,
    in_batch: set[tuple[str, str, int, int]],
) -> list[PlausibilityWarning]:
    """A part above its whole: named on the part's row, or on the whole's when the part is not in the batch."""
    pairs: list[tuple[Indicator, Indicator]] = []
    if indicator.part_of is not None and (whole := catalog.get(indicator.part_of)) is not None:
        pairs.append((indicator, whole))
    for part in catalog.parts(indicator.code):
        if (row.zone, part.code, row.year, row.month) not in in_batch:
            pairs.append((part, indicator))
    found: list[PlausibilityWarning] = []
    for part, whole in pairs:
        part_series, whole_series = of(row.zone, part), of(row.zone, whole)
        span = f"{_months(row.month)}累计"
        part_value, whole_value = part_series.ytd(row.year, row.month), whole_series.ytd(row.year, row.month)
        if part_value is None or whole_value is None:
            span = "当月"
            part_value = part_series.month_value(row.year, row.month)
            whole_value = whole_series.month_value(row.year, row.month)
        if part_value is None or whole_value is None:
            continue
        in_whole_unit = _comparable(part_value, part.unit, part, whole)
        if in_whole_unit is None or in_whole_unit <= whole_value:
            continue
        found.append(
            PlausibilityWarning(
                index,
                "value",
                "part_of",
                f"{part.name_zh} {_period(row.year, row.month)} {span} {exact(part_value)}{part.unit} is above its whole,"
                f" {whole.name_zh} {exact(whole_value)}{whole.unit}, of the same zone and months; a part cannot exceed"
                " its whole",
                {"part": exact(in_whole_unit), "whole": exact(whole_value)},
            )
        )
    return found
