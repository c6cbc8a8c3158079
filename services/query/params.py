"""The checks of a request's parameters, shared by every route, and what a failed check says.

First, the check every query parameter of every route passes before anything else reads it.

Text that PostgreSQL cannot hold (NUL), that no zone or code contains (control and
bidirectional-override characters, which would also reach an operator's console), bytes that
are not UTF-8 (a lone surrogate, a cut multi-byte sequence: the framework would silently turn
them into U+FFFD), and values longer or more repeated than any real filter are answered 422
naming the parameter and the reason, instead of a 500 from deep inside a query.

It reads the raw query string, not the framework's decoded one, precisely so that bytes that are
not UTF-8 are seen as such. A pure function: the app runs it as a dependency of every route.

Then the checks of well-formed values that several routes share (a month, an indicator code,
repeated filters). Each failure names the field and the reason (FieldProblem, the one shape of a
problem in the service; query.problems turns it into the 422 answer).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote_to_bytes

from fastapi import Request

from indicators_core.catalog import Catalog
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR

# Decimals of percentages a client may ask for (?digits=).
MAX_DIGITS = 4
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

# Zones are at most 100 characters at ingest and codes are short: 200 leaves room and bounds the SQL.
MAX_VALUE_CHARS = 200
MAX_NAME_CHARS = 50
# As many zones as anyone filters on (the subscription filters allow as many).
MAX_REPEATS = 500
MAX_PARAMETERS = 2000
SHOWN_NAME_CHARS = 40

# Bidirectional formatting characters (Trojan Source): they reorder what a console shows.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a request (a parameter, a body field): an item of a 422's `errors`."""

    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class BadQuery(Exception):
    """A query parameter that is well-formed but wrong (unknown indicator, reversed range)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class QueryTextInvalid(Exception):
    """Query parameters no route can use (NUL, control characters, not UTF-8, too long)."""

    def __init__(self, problems: Sequence[FieldProblem]):
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = list(problems)


def character_problem(text: str) -> str | None:
    """Why `text` cannot be a parameter's value (or name), by its first bad character, or None."""
    for position, char in enumerate(text, start=1):
        code = f"U+{ord(char):04X}"
        if char == "\x00":
            return f"contains a NUL character ({code}) at position {position}"
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains the control character {code} at position {position}"
        if category == "Cs":
            return f"contains a lone surrogate ({code}) at position {position}"
        if char in BIDI_CONTROLS:
            return f"contains the bidirectional control character {code} at position {position}"
    return None


def shown_name(name: str) -> str:
    """A parameter's name as an error shows it: anything unprintable escaped, cut short."""
    shown = "".join(
        char if char.isprintable() and char not in BIDI_CONTROLS else f"\\u{ord(char):04x}" for char in name
    )
    return shown if len(shown) <= SHOWN_NAME_CHARS else shown[:SHOWN_NAME_CHARS] + "…"


def _decoded(raw: str) -> tuple[str, str | None]:
    """A percent-encoded piece of a query string as text, and why its bytes are not UTF-8 (or None)."""
    data = unquote_to_bytes(raw.replace("+", " "))
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return (
            data.decode("utf-8", errors="replace"),
            f"is not valid UTF-8 at byte {error.start + 1} (a lone surrogate or a broken multi-byte sequence)",
        )


def query_problems(query_string: bytes) -> list[FieldProblem]:
    """Every problem of a raw query string (`scope["query_string"]`), at most one per parameter and kind."""
    pieces = [piece for piece in query_string.decode("latin-1").split("&") if piece]
    if len(pieces) > MAX_PARAMETERS:
        return [FieldProblem("query", f"has {len(pieces)} parameters; at most {MAX_PARAMETERS}")]
    problems: list[FieldProblem] = []
    seen: set[tuple[str, str]] = set()

    def add(field: str, reason: str) -> None:
        # One zone=… repeated 300 times with NUL is one problem, not 300.
        if (field, reason) not in seen:
            seen.add((field, reason))
            problems.append(FieldProblem(field, reason))

    counts: Counter[str] = Counter()
    for piece in pieces:
        raw_name, _, raw_value = piece.partition("=")
        name, name_not_utf8 = _decoded(raw_name)
        field = shown_name(name)
        name_problem = name_not_utf8 or character_problem(name)
        if name_problem is not None:
            add(field, f"the parameter's name {name_problem}")
            continue
        if len(name) > MAX_NAME_CHARS:
            add(field, f"the parameter's name is {len(name)} characters long; at most {MAX_NAME_CHARS}")
            continue
        counts[name] += 1
        value, value_not_utf8 = _decoded(raw_value)
        value_problem = value_not_utf8 or character_problem(value)
        if value_problem is not None:
            add(field, value_problem)
        elif len(value) > MAX_VALUE_CHARS:
            add(field, f"is {len(value)} characters long; at most {MAX_VALUE_CHARS}")
    for name, count in counts.items():
        if count > MAX_REPEATS:
            add(shown_name(name), f"is given {count} times; at most {MAX_REPEATS}")
    return problems


async def checked_query_text(request: Request) -> None:
    """A dependency of every route: the raw query string is checked before any parameter is read."""
    problems = query_problems(request.scope.get("query_string", b""))
    if problems:
        raise QueryTextInvalid(problems)


def cleaned_values(values: Sequence[str] | None) -> list[str] | None:
    """Repeated parameters, blanks dropped, duplicates removed; None (all) when nothing is left."""
    cleaned = list(dict.fromkeys(v.strip() for v in values or () if v.strip()))
    return cleaned or None


def unknown_indicator(code: str, catalog: Catalog) -> FieldProblem | None:
    if catalog.get(code) is not None:
        return None
    return FieldProblem("indicator", f"unknown indicator '{code}' (known: {', '.join(catalog.codes())})")


def check_indicators(codes: Sequence[str] | None, catalog: Catalog) -> None:
    """Raises BadQuery for the first code the catalog does not know."""
    for code in codes or ():
        problem = unknown_indicator(code, catalog)
        if problem is not None:
            raise BadQuery(problem.field, problem.reason)


def parse_month(field: str, text: str | None) -> date | None:
    """A YYYY-MM parameter as the first day of its month (None when not given); BadQuery when it is not one."""
    if text is None:
        return None
    match = MONTH_RE.match(text.strip())
    if match is None:
        raise BadQuery(field, f"'{text}' is not a month in the form YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise BadQuery(field, f"'{text}': month {month} is not 1..12")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadQuery(field, f"'{text}': year {year} is not between {MIN_YEAR} and {MAX_YEAR}")
    return date(year, month, 1)
