"""The indicator catalog, loaded from a TOML file (data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indicators_core.units import SCALES

DEFAULT_CATALOG_PATH = Path(__file__).with_name("indicators.toml")


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    unit: str
    scale: str
    integer: bool = False
    part_of: str | None = None
    january: bool = True


class CatalogError(ValueError):
    """The catalog file itself is wrong: fail at start, not on the first request."""


@dataclass(frozen=True)
class Catalog:
    indicators: dict[str, Indicator]

    def get(self, code: str) -> Indicator | None:
        return self.indicators.get(code)

    def codes(self) -> list[str]:
        return list(self.indicators)


def parse_catalog(text: str, origin: str = "<catalog>") -> Catalog:
    raw = tomllib.loads(text)
    indicators: dict[str, Indicator] = {}
    for position, entry in enumerate(raw.get("indicator", []), start=1):
        try:
            indicator = Indicator(
                code=str(entry["code"]),
                name_zh=str(entry["name_zh"]),
                unit=str(entry["unit"]),
                scale=str(entry["scale"]),
                integer=bool(entry.get("integer", False)),
                part_of=entry.get("part_of"),
                january=bool(entry.get("january", True)),
            )
        except KeyError as missing:
            raise CatalogError(f"{origin}: indicator #{position} lacks {missing}") from None
        if indicator.scale not in SCALES:
            raise CatalogError(f"{origin}: {indicator.code}: unknown scale '{indicator.scale}'")
        if indicator.unit not in SCALES[indicator.scale]:
            raise CatalogError(f"{origin}: {indicator.code}: unit '{indicator.unit}' not in scale '{indicator.scale}'")
        if indicator.code in indicators:
            raise CatalogError(f"{origin}: indicator '{indicator.code}' appears twice")
        indicators[indicator.code] = indicator
    for indicator in indicators.values():
        if indicator.part_of is not None and indicator.part_of not in indicators:
            raise CatalogError(f"{origin}: {indicator.code}: part_of '{indicator.part_of}' is not in the catalog")
    if not indicators:
        raise CatalogError(f"{origin}: no indicators")
    return Catalog(indicators)


@lru_cache(maxsize=4)
def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the catalog at `path` (the packaged file by default)."""
    catalog_path = path or DEFAULT_CATALOG_PATH
    return parse_catalog(catalog_path.read_text(encoding="utf-8"), str(catalog_path))
