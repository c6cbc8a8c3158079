"""The indicator catalog, loaded from a TOML file (data, not code)."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from indicators_core.units import SCALES

DEFAULT_CATALOG_PATH = Path(__file__).with_name("indicators.toml")
FREQUENCIES = ("month", "quarter")
# A flow accumulates over the year (累计, month values are differences); a stock is a level at the
# period's end (规上工业企业数): nothing is derived from consecutive values, completion is value / target.
KINDS = ("flow", "stock")
# Where a series' figures come from when not from upstreams' observations: "projects", the figures the processor
# derives from a zone's project list (PUT /v1/projects, indicators_core.projects). Such a series takes targets like
# any other, but an observation of it is refused (ingest.validation): two sources of one figure would each
# overwrite the other, and the project list is the one that can be checked project by project.
DERIVED_SOURCES = ("projects",)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    unit: str
    scale: str
    integer: bool = False
    part_of: str | None = None
    january: bool = True
    frequency: str = "month"  # "month" | "quarter": how often the series is published
    kind: str = "flow"  # "flow" (accumulates over the year) | "stock" (a level at the period's end)
    derived_from: str | None = None  # "projects": computed by the processor from the project list, never posted

    @property
    def derived(self) -> bool:
        return self.derived_from is not None

    @property
    def quarterly(self) -> bool:
        return self.frequency == "quarter"

    @property
    def stock(self) -> bool:
        return self.kind == "stock"

    @property
    def step(self) -> int:
        """Months between two periods of the series: a quarter is stored at its last month (Q2 = month 6)."""
        return 3 if self.quarterly else 1

    @property
    def first_month(self) -> int:
        """The month of the year's first release: January, February for 1-2月, March for 1季度."""
        if self.quarterly:
            return 3
        return 1 if self.january else 2

    # Other names people write for it in their sheets (规模以上工业总产值 for 规上工业产值): a sheet's 指标 cell
    # may be the code, the Chinese name or one of these (Catalog.find).
    aliases: tuple[str, ...] = ()


class CatalogError(ValueError):
    """The catalog file itself is wrong: fail at start, not on the first request."""


@dataclass(frozen=True)
class Catalog:
    indicators: dict[str, Indicator]

    def get(self, code: str) -> Indicator | None:
        return self.indicators.get(code)

    def codes(self) -> list[str]:
        return list(self.indicators)

    def parts(self, code: str) -> tuple[Indicator, ...]:
        """The indicators that are parts of `code` (part_of), in catalog order."""
        return self._parts_by_whole.get(code, ())

    @cached_property
    def _parts_by_whole(self) -> dict[str, tuple[Indicator, ...]]:
        # Asked for every row a plausibility check reads: found once, not by a scan of the catalog per row.
        found: dict[str, list[Indicator]] = {}
        for indicator in self.indicators.values():
            if indicator.part_of is not None:
                found.setdefault(indicator.part_of, []).append(indicator)
        return {whole: tuple(parts) for whole, parts in found.items()}

    def find(self, name: str) -> Indicator | None:
        """The indicator a person's name for it means: its code, its Chinese name or an alias (spaces ignored)."""
        wanted = _name_key(name)
        for indicator in self.indicators.values():
            if wanted in {_name_key(indicator.code), _name_key(indicator.name_zh), *map(_name_key, indicator.aliases)}:
                return indicator
        return None


def subject_name(catalog: Catalog, code: str, figures: Mapping[str, str] | None = None) -> str:
    """What an alert is about, in words: the indicator's Chinese name; for an alert about something else (a
    project's stage, rule stage_overdue: its code is `project:<id>/<stage>`) the words its figures carry
    (`subject_zh`, "XX项目·供地"); else the code itself (an indicator dropped from the catalog)."""
    indicator = catalog.get(code)
    if indicator is not None:
        return indicator.name_zh
    return (figures or {}).get("subject_zh") or code


def _name_key(name: str) -> str:
    """A name as compared: NFKC (full-width letters and brackets as ASCII), without any whitespace."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def parse_catalog(text: str, origin: str = "<catalog>") -> Catalog:
    raw = tomllib.loads(text)
    indicators: dict[str, Indicator] = {}
    for position, entry in enumerate(raw.get("indicator", []), start=1):
        indicator = _indicator(entry, position, origin)
        if indicator.code in indicators:
            raise CatalogError(f"{origin}: indicator '{indicator.code}' appears twice")
        indicators[indicator.code] = indicator
    if not indicators:
        raise CatalogError(f"{origin}: no indicators")
    _check_names_and_parts(indicators, origin)
    return Catalog(indicators)


def _indicator(entry: dict[str, Any], position: int, origin: str) -> Indicator:
    """One [[indicator]] entry, checked on its own."""
    try:
        indicator = Indicator(
            code=str(entry["code"]),
            name_zh=str(entry["name_zh"]),
            unit=str(entry["unit"]),
            scale=str(entry["scale"]),
            integer=bool(entry.get("integer", False)),
            part_of=entry.get("part_of"),
            january=bool(entry.get("january", True)),
            frequency=str(entry.get("frequency", "month")),
            kind=str(entry.get("kind", "flow")),
            derived_from=entry.get("derived_from"),
            aliases=tuple(str(alias) for alias in entry.get("aliases", [])),
        )
    except KeyError as missing:
        raise CatalogError(f"{origin}: indicator #{position} lacks {missing}") from None
    if indicator.scale not in SCALES:
        raise CatalogError(f"{origin}: {indicator.code}: unknown scale '{indicator.scale}'")
    if indicator.unit not in SCALES[indicator.scale]:
        raise CatalogError(f"{origin}: {indicator.code}: unit '{indicator.unit}' not in scale '{indicator.scale}'")
    if indicator.frequency not in FREQUENCIES:
        raise CatalogError(
            f"{origin}: {indicator.code}: frequency '{indicator.frequency}' is not one of {', '.join(FREQUENCIES)}"
        )
    if indicator.kind not in KINDS:
        raise CatalogError(f"{origin}: {indicator.code}: kind '{indicator.kind}' is not one of {', '.join(KINDS)}")
    if indicator.derived_from is not None and indicator.derived_from not in DERIVED_SOURCES:
        raise CatalogError(
            f"{origin}: {indicator.code}: derived_from '{indicator.derived_from}' is not one of"
            f" {', '.join(DERIVED_SOURCES)}"
        )
    if indicator.quarterly and not indicator.january:
        raise CatalogError(f"{origin}: {indicator.code}: january = false applies to monthly indicators only")
    return indicator


def _check_names_and_parts(indicators: dict[str, Indicator], origin: str) -> None:
    """Across entries: every name means one indicator, and every part_of names one in the catalog."""
    names: dict[str, str] = {}
    for indicator in indicators.values():
        for name in (indicator.code, indicator.name_zh, *indicator.aliases):
            owner = names.setdefault(_name_key(name), indicator.code)
            if owner != indicator.code:
                raise CatalogError(f"{origin}: the name '{name}' of {indicator.code} is also a name of {owner}")
    for indicator in indicators.values():
        if indicator.part_of is not None and indicator.part_of not in indicators:
            raise CatalogError(f"{origin}: {indicator.code}: part_of '{indicator.part_of}' is not in the catalog")


@lru_cache(maxsize=4)
def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the catalog at `path` (the packaged file by default)."""
    catalog_path = path or DEFAULT_CATALOG_PATH
    return parse_catalog(catalog_path.read_text(encoding="utf-8"), str(catalog_path))
