"""The zone registry's rows (PUT /v1/zones) and the checks that need the registry: pure, no I/O.

A zone is registered under the code reports name it by (`zone` of an observation or target), with its
Chinese name, level, kind, optional parent (another registered code: a district, city or province may be
registered too) and peer groups. Like every write, a batch is checked whole and every problem named.

What needs the stored registry (ingest.registry reads it) is checked here on what was read:
- a parent must be registered already or be registered by the same batch, and no chain of parents may
  come back to where it started (the chain is what rankings by parent and roll-ups follow);
- with INDICATORS_ZONES_STRICT, every observation and target must name a registered zone; the refusal names
  the closest registered codes (difflib), since the usual cause is a typo or a name sent for a code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from indicators_core.vocabulary import ZONE_LEVEL_ZH, ZONE_LEVELS
from indicators_core.zone_codes import closest_codes
from ingest.validation import MAX_ZONE_LENGTH, BatchInvalid, RowChecker, RowError, batch_rows, clean_text

ZONE_FIELDS = {"code", "name_zh", "level", "kind", "parent", "groups"}
MAX_NAME_CHARS = 100
MAX_KIND_CHARS = 20
MAX_GROUPS = 20
MAX_GROUP_CHARS = 50


@dataclass(frozen=True)
class ZoneRow:
    code: str
    name_zh: str
    level: str
    kind: str
    parent: str | None
    groups: tuple[str, ...]


class ZonedRow(Protocol):
    @property
    def zone(self) -> str: ...


def _code(check: RowChecker, row: dict[str, Any], field: str) -> str | None:
    """A code as a zone of a report may be: the same rules, so every registered code can be reported."""
    code = check.text(row, field)
    if code is None:
        return None
    if len(code) > MAX_ZONE_LENGTH:
        check.fail(field, f"is longer than {MAX_ZONE_LENGTH} characters")
        return None
    if "|" in code:
        check.fail(field, "must not contain '|'")
        return None
    return code


def _bounded(check: RowChecker, row: dict[str, Any], field: str, max_chars: int) -> str | None:
    text = check.text(row, field)
    if text is not None and len(text) > max_chars:
        check.fail(field, f"is {len(text)} characters long; at most {max_chars}")
        return None
    return text


def _groups(check: RowChecker, row: dict[str, Any]) -> tuple[str, ...] | None:
    value = row.get("groups")
    if value is None:
        return ()
    if not isinstance(value, list):
        check.fail(
            "groups", f"must be a list of peer group names, got {json.dumps(value, default=str, ensure_ascii=False)}"
        )
        return None
    if len(value) > MAX_GROUPS:
        check.fail("groups", f"has {len(value)} groups; at most {MAX_GROUPS}")
        return None
    groups: list[str] = []
    for position, item in enumerate(value):
        if not isinstance(item, str):
            check.fail("groups", f"item {position} must be a non-empty string")
            return None
        problem, name = clean_text(item)
        if problem is not None or not name:
            check.fail("groups", f"item {position} {problem or 'must be a non-empty string'}")
            return None
        if len(name) > MAX_GROUP_CHARS:
            check.fail("groups", f"item {position} is {len(name)} characters long; at most {MAX_GROUP_CHARS}")
            return None
        if name in groups:
            check.fail("groups", f"item {position} repeats the group '{name}'")
            return None
        groups.append(name)
    return tuple(groups)


def validate_zones(payload: Any, max_rows: int) -> list[ZoneRow]:
    """Check every row of a `{"zones": [...]}` body; raise BatchInvalid listing every problem."""
    rows = batch_rows(payload, "zones", max_rows)
    errors: list[RowError] = []
    accepted: list[ZoneRow] = []
    first_row_of_code: dict[str, int] = {}
    for index, row in enumerate(rows):
        check = RowChecker(index, errors)
        if not isinstance(row, dict):
            check.fail("row", "must be an object")
            continue
        check.unknown_fields(row, ZONE_FIELDS)
        code = _code(check, row, "code")
        name_zh = _bounded(check, row, "name_zh", MAX_NAME_CHARS)
        level = check.text(row, "level")
        if level is not None and level not in ZONE_LEVELS:
            words = ", ".join(ZONE_LEVEL_ZH[code] for code in ZONE_LEVELS)
            check.fail("level", f"'{level}' is not one of {', '.join(ZONE_LEVELS)} ({words})")
        kind = _bounded(check, row, "kind", MAX_KIND_CHARS)
        parent = _code(check, row, "parent") if row.get("parent") is not None else None
        if code is not None and parent == code:
            check.fail("parent", f"'{code}' cannot be its own parent")
        groups = _groups(check, row)
        if not check.ok:
            continue
        assert code and name_zh and level and kind and groups is not None  # noqa: S101
        if code in first_row_of_code:
            check.fail("code", f"row {first_row_of_code[code]} already registers '{code}'; send one row per zone")
            continue
        first_row_of_code[code] = index
        accepted.append(ZoneRow(code, name_zh, level, kind, parent, groups))
    if errors:
        raise BatchInvalid(errors)
    return accepted


def _unknown_reason(what: str, code: str, registered: Sequence[str]) -> str:
    closest = closest_codes(code, registered)
    hint = f"closest registered: {', '.join(closest)}" if closest else "no registered code is like it"
    return f"{what} '{code}' is not registered ({hint}); register it with PUT /v1/zones first"


def parent_problems(rows: Sequence[ZoneRow], registered: Mapping[str, str | None]) -> list[RowError]:
    """Parents that are not registered (nor in the batch), and chains of parents that loop.

    `registered` is the stored registry, code → parent; the batch's rows replace their codes' entries.
    """
    merged = dict(registered)
    merged.update({row.code: row.parent for row in rows})
    errors: list[RowError] = []
    for index, row in enumerate(rows):
        if row.parent is None:
            continue
        if row.parent not in merged:
            errors.append(RowError(index, "parent", _unknown_reason("parent", row.parent, list(merged))))
            continue
        chain = [row.code]
        current: str | None = row.parent
        while current is not None and current not in chain:
            chain.append(current)
            current = merged.get(current)
        if current is not None:
            loop = " → ".join([*chain[chain.index(current) :], current])
            errors.append(RowError(index, "parent", f"the chain of parents comes back to '{current}' ({loop})"))
    return errors


def unregistered_zones(rows: Sequence[ZonedRow], registered: Mapping[str, str | None]) -> list[RowError]:
    """Strict mode: every row whose zone is not a registered code, with the closest registered codes."""
    codes = list(registered)
    return [
        RowError(index, "zone", _unknown_reason("zone", row.zone, codes))
        for index, row in enumerate(rows)
        if row.zone not in registered
    ]
