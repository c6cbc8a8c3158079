"""Expand a Grafana PostgreSQL panel query the way Grafana 11 does, so tests can run it on a real database.

Grafana turns a panel's `rawSql` into the SQL that reaches PostgreSQL in three steps, reproduced here
in the same order:

1. the browser replaces template variables (`$var`, `${var}`, `[[var]]`, `${var:format}`), with the
   SQL datasource's own quoting when no format is given: a single-value variable is only escaped
   (`'` → `''`), a multi-value or include-All variable becomes a list of quoted literals `'a','b'`
   (packages/grafana-sql `SqlDatasource.interpolateVariable`, `quoteLiteral`); "All" is the
   variable's custom all value (put in raw) or else every option's value (`TemplateSrv.getAllValue`);
2. the server replaces `$__interval_ms`, `$__interval`, `$__unixEpochFrom()`, `$__unixEpochTo()`
   (pkg/tsdb/grafana-postgresql-datasource/sqleng `Interpolate`);
3. the PostgreSQL macro engine replaces `$__name(args)` (pkg/tsdb/grafana-postgresql-datasource
   `macros.go`): `$__timeFilter(col)` → `col BETWEEN '<from>' AND '<to>'` in RFC 3339 UTC,
   `$__timeFrom()`, `$__timeTo()`, `$__timeGroup(col, interval[, fill])` (TimescaleDB:
   `time_bucket('<s>.000s',col)`; plain: `floor(extract(epoch from col)/<s>)*<s>`),
   `$__timeGroupAlias`, `$__time`, `$__timeEpoch`, `$__unixEpochFilter`, `$__unixEpochNanoFilter`,
   `$__unixEpochNanoFrom()`, `$__unixEpochNanoTo()`, `$__unixEpochGroup`, `$__unixEpochGroupAlias`;
   an unknown macro is an error, as in Grafana.

Where Grafana would leave a reference to an undefined variable in the SQL (and PostgreSQL would then
fail on `$zone`), this module raises at once, naming the variable: a board must not contain one.

Public API (tests/timescale imports it too): `render_sql`, `dashboard_queries`, `variable_queries`,
`variable_specs`, `repeat_variables`, `VariableSpec`, `ALL`; and what a board does when it loads, on
any database: `resolve_variables`, `panel_rows`, with `beijing_year` for Grafana's "This year".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

ALL = "$__all"  # the value Grafana stores for "All"
BEIJING = timezone(timedelta(hours=8))
# Runs one SQL statement on the board's database: (column names, rows).
RunQuery = Callable[[str], tuple[list[str], list[tuple]]]

# Grafana's variableRegex (public/app/features/variables/utils.ts): $var | [[var]] / [[var:fmt]] |
# ${var} / ${var.fieldPath} / ${var:fmt}.
VARIABLE_RE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}")
# macros.go: sExpr.
MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")
# Go's time.ParseDuration: a sequence of decimal numbers with unit suffixes.
GO_DURATION_RE = re.compile(r"^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$")
GO_DURATION_PART_RE = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
GO_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
DATE_UNIT_RE = re.compile(r"^(\d+)([dwMy])$")  # gtime's calendar units, relative to now


class GrafanaSqlError(ValueError):
    """The query cannot be expanded; Grafana would fail too (or would leave a broken reference)."""


@dataclass(frozen=True)
class VariableSpec:
    """What Grafana knows about a variable when it formats its value."""

    multi: bool = False
    include_all: bool = False
    all_value: str | None = None  # the custom "All" value, put in raw
    # Every option's value, which "All" means without a custom all value; None: not known (an error
    # to expand All then), () : the variable's query returned nothing (All is then an empty list).
    options: tuple[str, ...] | None = None


class BoardQuery(NamedTuple):
    dashboard_uid: str
    panel_id: int
    panel_title: str
    ref_id: str
    raw_sql: str
    datasource_uid: str | None


class VariableQuery(NamedTuple):
    dashboard_uid: str
    name: str
    raw_sql: str
    datasource_uid: str | None


# ---------------------------------------------------------------- step 1: template variables


def _quote_literal(value: str) -> str:
    """PostgresQueryModel.quoteLiteral."""
    return "'" + str(value).replace("'", "''") + "'"


def _sql_interpolate(value: str | list[str], spec: VariableSpec) -> str:
    """SqlDatasource.interpolateVariable: the default format of every variable in a SQL query."""
    if isinstance(value, str):
        if spec.multi or spec.include_all:
            return _quote_literal(value)
        return value.replace("'", "''")
    return ",".join(_quote_literal(v) for v in value)


def _format(value: str | list[str], fmt: str, text: str) -> str:
    """The named formats of Grafana's formatRegistry that a SQL query may use."""
    values = [value] if isinstance(value, str) else value
    if fmt == "csv":
        return ",".join(values)
    if fmt == "sqlstring":
        return ",".join("'" + v.replace("'", "''") + "'" for v in values)
    if fmt == "raw":
        return ",".join(values)  # a JavaScript array becomes a string joined by ','
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "pipe":
        return "|".join(values)
    if fmt == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if fmt == "text":
        return text
    raise GrafanaSqlError(
        f"variable format '{fmt}' is not supported here (csv, sqlstring, raw, singlequote, "
        "doublequote, pipe, json, text)"
    )


def _is_all(value: str | Sequence[str]) -> bool:
    """TemplateSrv.isAllValue."""
    if isinstance(value, str):
        return value == ALL
    return len(value) > 0 and value[0] == ALL


def _builtin(name: str, time_from: datetime, time_to: datetime, interval: timedelta | None) -> str | None:
    """Grafana's global variables that may appear in SQL; None for anything else starting with __ (a macro)."""
    if name == "__from":
        return str(_epoch_ms(time_from))
    if name == "__to":
        return str(_epoch_ms(time_to))
    if name in ("__interval", "__interval_ms"):
        if interval is None:
            raise GrafanaSqlError(f"${name} needs the panel's interval: pass interval=")
        return str(int(interval.total_seconds() * 1000)) if name == "__interval_ms" else _go_format_interval(interval)
    return None


def _replace_variables(
    sql: str,
    variables: Mapping[str, str | Sequence[str]],
    specs: Mapping[str, VariableSpec],
    time_from: datetime,
    time_to: datetime,
    interval: timedelta | None,
    depth: int = 0,
) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if match.group(5):
            raise GrafanaSqlError(f"{match.group(0)}: field paths of variables are not supported here")
        if name not in variables:
            if name.startswith("__"):
                builtin = _builtin(name, time_from, time_to, interval)
                # Not a variable: a server-side macro such as $__timeFilter, left for steps 2 and 3.
                return match.group(0) if builtin is None else builtin
            raise GrafanaSqlError(f"{match.group(0)}: variable '{name}' has no value (not defined on the board?)")
        raw = variables[name]
        spec = specs.get(name) or VariableSpec(multi=not isinstance(raw, str))
        value: str | list[str] = raw if isinstance(raw, str) else [str(v) for v in raw]
        text = value if isinstance(value, str) else " + ".join(value)
        if _is_all(value):
            text = "All"
            if spec.all_value:
                # TemplateSrv skips formatting of a custom all value (unless text): it goes in raw,
                # and is itself interpolated.
                if fmt != "text":
                    if depth > 5:
                        raise GrafanaSqlError(f"the all value of '{name}' refers to itself")
                    return _replace_variables(spec.all_value, variables, specs, time_from, time_to, interval, depth + 1)
                value = spec.all_value
            else:
                if not spec.include_all:
                    raise GrafanaSqlError(f"variable '{name}' is set to All but does not include All")
                if spec.options is None:
                    raise GrafanaSqlError(
                        f"variable '{name}' is All: pass its option values in specs[{name!r}].options"
                    )
                value = list(spec.options)
        if fmt:
            return _format(value, fmt, text)
        return _sql_interpolate(value, spec)

    return VARIABLE_RE.sub(replace, sql)


# ---------------------------------------------------------------- Go formatting helpers


def _require_aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise GrafanaSqlError(f"{what} must carry a time zone (Grafana's time range is absolute)")
    return moment.astimezone(UTC)


def _epoch_ms(moment: datetime) -> int:
    return math.floor(moment.timestamp() * 1000)


def _rfc3339_nano(moment: datetime) -> str:
    """Go's time.RFC3339Nano of a UTC time: fraction without trailing zeros, 'Z' for UTC."""
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def _go_float_v(value: float) -> str:
    """Go's fmt %v of a float64: strconv 'g' with the shortest round-tripping digits, which switches
    to the exponent form when the decimal exponent is < -4 or >= 6 (86400 → 86400, 2592000 → 2.592e+06)."""
    if value == 0:
        return "0"
    # repr() gives the same shortest round-tripping digits as Go's strconv.
    _, digit_tuple, exp = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    exponent = len(digits) + int(exp) - 1  # of the first digit
    minus = "-" if value < 0 else ""
    if exponent < -4 or exponent >= 6:
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{minus}{head}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    if exponent >= 0:
        whole = digits[: exponent + 1].ljust(exponent + 1, "0")
        fraction = digits[exponent + 1 :]
        return f"{minus}{whole}{'.' + fraction if fraction else ''}"
    return f"{minus}0.{'0' * (-exponent - 1)}{digits}"


def _go_format_interval(interval: timedelta) -> str:
    """gtime.FormatInterval: the largest whole unit."""
    ms = int(interval.total_seconds() * 1000)
    for unit, size in (
        ("y", 365 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ):
        if ms >= size:
            return f"{ms // size}{unit}"
    return "1ms"


def _add_date(now: datetime, years: int, months: int, days: int) -> datetime:
    """Go's Time.AddDate: overflowing days roll into the next month (31 Jan + 1 month = 3 Mar)."""
    month_index = now.month - 1 + months
    year = now.year + years + month_index // 12
    month = month_index % 12 + 1
    return now.replace(year=year, month=month, day=1) + timedelta(days=now.day - 1 + days)


def _parse_interval(text: str, now: datetime) -> float:
    """gtime.ParseInterval in seconds: Go durations, or d/w/M/y counted from now (UTC)."""
    if not text:
        raise GrafanaSqlError("empty interval")
    calendar = DATE_UNIT_RE.match(text)
    if calendar:
        count, unit = int(calendar.group(1)), calendar.group(2)
        later = {
            "d": lambda: _add_date(now, 0, 0, count),
            "w": lambda: _add_date(now, 0, 0, 7 * count),
            "M": lambda: _add_date(now, 0, count, 0),
            "y": lambda: _add_date(now, count, 0, 0),
        }[unit]()
        return (later - now).total_seconds()
    if text == "0":
        return 0.0
    duration = GO_DURATION_RE.match(text)
    if not duration:
        raise GrafanaSqlError(f"error parsing interval {text}")
    seconds = sum(
        float(number) * GO_UNIT_SECONDS[unit] for number, unit in GO_DURATION_PART_RE.findall(duration.group(2))
    )
    return -seconds if duration.group(1) == "-" else seconds


def _check_fill(fill: str) -> None:
    """sqleng.SetupFillmode: NULL, previous, or a number (the fill itself happens on the result, not in SQL)."""
    if fill in ("NULL", "previous"):
        return
    try:
        float(fill)
    except ValueError:
        raise GrafanaSqlError(f"error parsing fill value {fill}") from None


# ---------------------------------------------------------------- steps 2 and 3: the server


def _global_interpolate(sql: str, time_from: datetime, time_to: datetime, interval: timedelta | None) -> str:
    """sqleng.Interpolate."""
    if interval is not None:
        sql = sql.replace("$__interval_ms", str(int(interval.total_seconds() * 1000)))
        sql = sql.replace("$__interval", _go_format_interval(interval))
    sql = sql.replace("$__unixEpochFrom()", str(math.floor(time_from.timestamp())))
    return sql.replace("$__unixEpochTo()", str(math.floor(time_to.timestamp())))


def _macro(name: str, args: list[str], time_from: datetime, time_to: datetime, timescaledb: bool, now: datetime) -> str:
    """postgresMacroEngine.evaluateMacro."""
    column = args[0] if args else ""
    if name in ("__time", "__timeEpoch", "__timeFilter", "__unixEpochFilter", "__unixEpochNanoFilter") and not args:
        raise GrafanaSqlError(f"missing time column argument for macro {name}")
    if name == "__time":
        return f'{column} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {column}) as "time"'
    if name == "__timeFilter":
        return f"{column} BETWEEN '{_rfc3339_nano(time_from)}' AND '{_rfc3339_nano(time_to)}'"
    if name == "__timeFrom":
        return f"'{_rfc3339_nano(time_from)}'"
    if name == "__timeTo":
        return f"'{_rfc3339_nano(time_to)}'"
    if name in ("__timeGroup", "__unixEpochGroup"):
        if len(args) < 2:
            raise GrafanaSqlError(f"macro {name} needs time column and interval and optional fill value")
        seconds = _parse_interval(args[1].strip("'"), now)
        if len(args) == 3:
            _check_fill(args[2])
        if name == "__unixEpochGroup":
            return f"floor(({column})/{_go_float_v(seconds)})*{_go_float_v(seconds)}"
        if timescaledb:
            return f"time_bucket('{seconds:.3f}s',{column})"
        return f"floor(extract(epoch from {column})/{_go_float_v(seconds)})*{_go_float_v(seconds)}"
    if name == "__timeGroupAlias":
        return _macro("__timeGroup", args, time_from, time_to, timescaledb, now) + ' AS "time"'
    if name == "__unixEpochGroupAlias":
        return _macro("__unixEpochGroup", args, time_from, time_to, timescaledb, now) + ' AS "time"'
    if name == "__unixEpochFilter":
        return f"{column} >= {math.floor(time_from.timestamp())} AND {column} <= {math.floor(time_to.timestamp())}"
    if name == "__unixEpochNanoFilter":
        return f"{column} >= {_epoch_ns(time_from)} AND {column} <= {_epoch_ns(time_to)}"
    if name == "__unixEpochNanoFrom":
        return str(_epoch_ns(time_from))
    if name == "__unixEpochNanoTo":
        return str(_epoch_ns(time_to))
    raise GrafanaSqlError(f'unknown macro "{name}"')


def _epoch_ns(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _macro_interpolate(sql: str, time_from: datetime, time_to: datetime, timescaledb: bool, now: datetime) -> str:
    """postgresMacroEngine.Interpolate, with its quirk: `$__timeGroup(...)` directly followed by ','
    (looked up at its first occurrence in the query) is taken as `$__timeGroupAlias` (pre-5.3 boards)."""
    original = sql

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "__timeGroup":
            index = original.find(match.group(0))
            if index >= 0:
                after = index + len(match.group(0))
                if len(original) > after and original[after] == ",":
                    name = "__timeGroupAlias"
        args = [arg.strip(" ") for arg in match.group(2).split(",")]
        return _macro(name, args, time_from, time_to, timescaledb, now)

    return MACRO_RE.sub(replace, sql)


def render_sql(
    raw_sql: str,
    variables: Mapping[str, str | Sequence[str]],
    time_from: datetime,
    time_to: datetime,
    *,
    specs: Mapping[str, VariableSpec] | None = None,
    timescaledb: bool = True,
    interval: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """The SQL Grafana sends to PostgreSQL for `raw_sql` with these variable values and time range.

    `variables`: a str for a single value, a list for several; `ALL` (or `[ALL]`) for "All".
    `specs`: how each variable is defined on the board (see `variable_specs`); without one, a list
    means a multi-value variable and a str a single-value one. A multi-value or include-All variable
    is quoted even with one value, so pass the board's specs when a str may be given for one.
    `timescaledb`: the datasource's `jsonData.timescaledb` (true for the provisioned indicators-db).
    `interval`: the panel's `$__interval`; `now`: the moment calendar intervals (1M, 1y) count from.
    """
    time_from = _require_aware(time_from, "time_from")
    time_to = _require_aware(time_to, "time_to")
    now = _require_aware(now, "now") if now is not None else datetime.now(UTC)
    sql = _replace_variables(raw_sql, variables, specs or {}, time_from, time_to, interval)
    sql = _global_interpolate(sql, time_from, time_to, interval)
    return _macro_interpolate(sql, time_from, time_to, timescaledb, now)


# ---------------------------------------------------------------- reading boards


def load_dashboard(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def iter_panels(panels: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Every panel, rows' nested (collapsed) panels included, in board order."""
    found: list[Mapping[str, Any]] = []
    for panel in panels:
        found.append(panel)
        found.extend(iter_panels(panel.get("panels", [])))
    return found


def repeat_variables(board: Mapping[str, Any]) -> dict[int, str]:
    """Panel id → the variable Grafana repeats it by: its own `repeat`, or its row's (the panels after an
    expanded row up to the next row, or a collapsed row's nested panels). Such a panel's query sees one
    value of the variable at a time."""
    found: dict[int, str] = {}
    row_repeat: str | None = None
    for panel in board.get("panels", []):
        if panel.get("type") == "row":
            row_repeat = panel.get("repeat") or None
            for nested in panel.get("panels", []):
                if nested.get("repeat") or row_repeat:
                    found[nested["id"]] = nested.get("repeat") or row_repeat
            continue
        if panel.get("repeat") or row_repeat:
            found[panel["id"]] = panel.get("repeat") or row_repeat
    return found


def _datasource_uid(reference: Any, fallback: str | None = None) -> str | None:
    if isinstance(reference, Mapping):
        return reference.get("uid", fallback)
    if isinstance(reference, str):  # legacy: a datasource name or uid as a bare string
        return reference
    return fallback


def dashboard_queries(path: str | Path) -> list[BoardQuery]:
    """Every SQL target of every panel of the board at `path`: (uid, panel id, title, refId, rawSql, datasource uid).

    A target without its own datasource uses its panel's (as Grafana does).
    """
    board = load_dashboard(path)
    queries = []
    for panel in iter_panels(board.get("panels", [])):
        panel_datasource = _datasource_uid(panel.get("datasource"))
        for target in panel.get("targets", []):
            if "rawSql" not in target:
                continue
            queries.append(
                BoardQuery(
                    dashboard_uid=board["uid"],
                    panel_id=panel["id"],
                    panel_title=panel.get("title", ""),
                    ref_id=target.get("refId", ""),
                    raw_sql=target["rawSql"],
                    datasource_uid=_datasource_uid(target.get("datasource"), panel_datasource),
                )
            )
    return queries


def variable_queries(path: str | Path) -> list[VariableQuery]:
    """The SQL of every query variable of the board at `path` (they run too, when the board loads)."""
    board = load_dashboard(path)
    found = []
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        raw_sql = query.get("rawSql") or query.get("query") if isinstance(query, Mapping) else query
        if not isinstance(raw_sql, str) or not raw_sql.strip():
            continue
        found.append(
            VariableQuery(board["uid"], variable["name"], raw_sql, _datasource_uid(variable.get("datasource")))
        )
    return found


def variable_specs(
    board: Mapping[str, Any], options: Mapping[str, Sequence[str]] | None = None
) -> dict[str, VariableSpec]:
    """VariableSpec of every variable of `board` (a loaded dashboard); `options`: the values of query
    variables as their queries returned them (needed only to expand "All" without a custom all value)."""
    options = options or {}
    specs = {}
    for variable in board.get("templating", {}).get("list", []):
        stored = [o.get("value") for o in variable.get("options", []) if o.get("value") != ALL]
        known = options[variable["name"]] if variable["name"] in options else (stored or None)
        specs[variable["name"]] = VariableSpec(
            multi=bool(variable.get("multi")),
            include_all=bool(variable.get("includeAll")),
            all_value=variable.get("allValue") or None,
            options=None if known is None else tuple(known),
        )
    return specs


def beijing_year(year: int) -> tuple[datetime, datetime]:
    """Grafana's "This year" for `year` in a browser in China (UTC+8): the range reaches the server in UTC."""
    return datetime(year, 1, 1, tzinfo=BEIJING), datetime(year, 12, 31, 23, 59, 59, 999_000, tzinfo=BEIJING)


def resolve_variables(
    run_query: RunQuery,
    dashboard: Mapping[str, Any],
    chosen: Mapping[str, str | Sequence[str]],
    time_range: tuple[datetime, datetime],
    timescaledb: bool,
) -> tuple[dict[str, str | Sequence[str]], dict[str, VariableSpec], dict[str, list[tuple[str, str]]]]:
    """What Grafana does when the board loads: run each variable's query in order (with the values of the
    ones before it), then take the chosen value, or All, or the first option ('' when none).
    Returns the values, the specs, and each query variable's options as (value, text)."""
    values: dict[str, str | Sequence[str]] = {}
    options: dict[str, list[str]] = {}
    shown: dict[str, list[tuple[str, str]]] = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        name = variable["name"]
        if variable.get("type") == "query":
            sql = render_sql(
                variable["query"],
                values,
                *time_range,
                specs=variable_specs(dashboard, options),
                timescaledb=timescaledb,
            )
            columns, rows = run_query(sql)
            value_at = columns.index("__value") if "__value" in columns else 0
            text_at = columns.index("__text") if "__text" in columns else value_at
            options[name] = [str(row[value_at]) for row in rows]
            shown[name] = [(str(row[value_at]), str(row[text_at])) for row in rows]
        if name in chosen:
            values[name] = chosen[name]
        elif variable.get("includeAll"):
            values[name] = [ALL]
        else:
            values[name] = options[name][0] if options.get(name) else ""
    return values, variable_specs(dashboard, options), shown


def panel_rows(
    run_query: RunQuery,
    path: Path,
    panel_id: int,
    chosen: Mapping[str, str | Sequence[str]],
    time_range: tuple[datetime, datetime],
    timescaledb: bool,
) -> list[dict[str, Any]]:
    """One panel's rows as Grafana would show them once the board has loaded with `chosen`."""
    dashboard = load_dashboard(path)
    values, specs, _ = resolve_variables(run_query, dashboard, chosen, time_range, timescaledb)
    (query,) = [q for q in dashboard_queries(path) if q.panel_id == panel_id]
    columns, rows = run_query(render_sql(query.raw_sql, values, *time_range, specs=specs, timescaledb=timescaledb))
    return [dict(zip(columns, row, strict=True)) for row in rows]


# The boards of this repository.
DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
OVERVIEW = DASHBOARDS / "half-year-red-overview.json"
RANKINGS = DASHBOARDS / "rankings.json"
ZONE_DETAIL = DASHBOARDS / "zone-detail.json"
SQL_BOARDS = [path for path in sorted(DASHBOARDS.glob("*.json")) if dashboard_queries(path)]
