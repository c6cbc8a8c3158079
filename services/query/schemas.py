"""Response shapes of the query API, and the JSON rendering that keeps stored decimals exact.

Why not floats: figures are stored as PostgreSQL `numeric` and read as
Decimal. `float(Decimal)` round-trips only for up to 15 significant digits, and
a stored figure may have more (a value converted from 元 to 亿元 with many
decimals, a comparable base sent at full precision). So numbers are written
into the JSON text from the Decimal's own digits (`format(d, "f")`): the JSON
number is exactly the stored one, with no binary arithmetic on the way.
Clients that parse JSON into floats get the nearest float, as they would for
any JSON number; clients that parse decimals get the stored figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, Field, WithJsonSchema
from starlette.responses import JSONResponse

from query.wording import Status

# A Decimal that is written as a JSON number (documented as such in OpenAPI).
JsonNumber = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class ProgressItem(BaseModel):
    """Derived figures of one zone, indicator and month. null means unknown, never zero."""

    zone: str
    zone_name: str | None = Field(
        default=None, description="The zone's registered name_zh (GET /v1/zones); null for a zone not registered"
    )
    indicator: str
    indicator_name: str = Field(description="Chinese name from the catalog, e.g. 规上工业产值")
    unit: str | None = Field(description="The catalog unit the values are in, e.g. 亿元")
    period: str = Field(
        description="YYYY-MM, or YYYY-Qn for a quarterly indicator (1-n季度累计)", examples=["2025-05", "2025-Q2"]
    )
    ytd_value: JsonNumber | None = Field(description="Year-to-date cumulative value (累计), as stored")
    month_value: JsonNumber | None = Field(description="The month alone (当月), as stored")
    ytd_last_year: JsonNumber | None = Field(description="Last year's year-to-date value for the same months")
    month_last_year: JsonNumber | None = Field(description="Last year's value of the same month alone")
    yoy_base: JsonNumber | None = Field(description="The base the growth is computed on (comparable base when sent)")
    yoy_base_comparable: bool = Field(description="True when the base is the upstream's 上年同期可比数")
    yoy_pct: JsonNumber | None = Field(
        description="同比增长 of the cumulative value, %: computed from the amounts when both years are known,"
        " else the upstream's published rate (yoy_source)"
    )
    yoy_source: str | None = Field(
        default=None,
        description="'computed' (from the amounts) or 'reported' (the upstream's reported_yoy_pct); null when"
        " yoy_pct is unknown",
        examples=["computed", "reported"],
    )
    reported_yoy_pct: JsonNumber | None = Field(
        default=None,
        description="The growth rate the upstream published with the report, %; null when none was sent. When it"
        " differs from the computed yoy_pct by more than 0.1 points the implausible alert says so",
    )
    month_yoy_pct: JsonNumber | None = Field(description="同比增长 of the month alone, %")
    target_value: JsonNumber | None = Field(description="Annual target, as stored")
    completion_pct: JsonNumber | None = Field(description="目标完成率, %")
    time_progress_pct: JsonNumber = Field(description="序时进度: month/12 (quarter n: n/4), %")
    progress_gap_pp: JsonNumber | None = Field(description="completion − time progress, percentage points")
    on_track: bool | None = Field(description="completion ≥ time progress, judged exactly; null without a judgement")
    growth_target_pct: JsonNumber | None = Field(
        default=None, description="The year's growth target (增长X%以上), %; null when none was set"
    )
    growth_gap_pp: JsonNumber | None = Field(
        default=None, description="yoy_pct − growth target, percentage points; null when either is unknown"
    )
    growth_on_track: bool | None = Field(
        default=None, description="yoy ≥ growth target, judged exactly; null when either is unknown"
    )
    status: Status
    status_zh: str = Field(
        description="Against time progress when there is an absolute target, else against the growth target",
        examples=[
            "超序时进度3.5个百分点",
            "达序时进度",
            "落后序时进度2.1个百分点",
            "增速高于目标2.0个百分点",
            "无目标",
        ],
    )
    reported_at: datetime | None = Field(description="Latest report or target the figures use")
    computed_at: datetime
    share_of_parent_pct: JsonNumber | None = Field(
        default=None,
        description="ytd_value / the registered parent's own ytd_value of the same indicator and period × 100;"
        " null when the zone has no parent or the parent no figure",
    )
    explanation: str | None = Field(
        default=None,
        description="The sender's explanation of the month's report, sent with figures that drew plausibility"
        " warnings at ingest (growth, comparable base, history, part above whole); null when none was sent",
    )


class ProgressResponse(BaseModel):
    year: int | None = Field(description="The year shown (the latest with data when not asked); null without data")
    month: int | None = Field(description="The month shown (the latest with data when not asked); null without data")
    items: list[ProgressItem]


class SeriesResponse(BaseModel):
    zone: str
    indicator: str
    indicator_name: str
    unit: str | None
    items: list[ProgressItem] = Field(description="One per month with a report, oldest first")


class IndicatorItem(BaseModel):
    code: str
    name_zh: str
    unit: str
    part_of: str | None


class IndicatorsResponse(BaseModel):
    items: list[IndicatorItem]


class Problem(BaseModel):
    detail: str
    errors: list[dict[str, Any]] | None = None


def dumps(value: Any) -> str:
    """JSON text with every Decimal written from its own digits (see the module docstring)."""
    return dumps_bytes(value).decode("utf-8")


def dumps_bytes(value: Any) -> bytes:
    """dumps as UTF-8 bytes: orjson writes the containers, strings and dates (a thousand-zone /v1/progress in
    a tenth of the time of the Python encoder, tests/bench/reads_bench.py); each Decimal is handed to it as a
    ready fragment of its own digits. What orjson refuses (an integer beyond 64 bits) takes the Python
    encoder, which writes the same text."""
    try:
        return orjson.dumps(value, default=_orjson_default, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        parts: list[str] = []
        _encode(value, parts.append)
        return "".join(parts).encode("utf-8")


def _orjson_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # PostgreSQL numeric admits NaN and ±Infinity; JSON has no such numbers.
        return orjson.Fragment(format(value, "f")) if value.is_finite() else None
    if isinstance(value, BaseModel):
        return value.model_dump()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _scalar(value: Any) -> str | None:
    """The JSON text of a scalar, or None when `value` is a container."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # PostgreSQL numeric admits NaN and ±Infinity; JSON has no such numbers.
        return format(value, "f") if value.is_finite() else "null"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(value) if value == value and abs(value) != float("inf") else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    return None


def _encode(value: Any, out: Callable[[str], object]) -> None:
    scalar = _scalar(value)
    if scalar is not None:
        out(scalar)
    elif isinstance(value, dict):
        out("{")
        for position, (key, item) in enumerate(value.items()):
            if position:
                out(",")
            out(json.dumps(str(key), ensure_ascii=False))
            out(":")
            _encode(item, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for position, item in enumerate(value):
            if position:
                out(",")
            _encode(item, out)
        out("]")
    elif isinstance(value, BaseModel):
        _encode(value.model_dump(), out)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


class ExactJSONResponse(JSONResponse):
    """A JSON response whose Decimals are written exactly (return it from the endpoint, so that
    FastAPI's own encoder, which turns Decimals into floats, never sees the content)."""

    def render(self, content: Any) -> bytes:
        return dumps_bytes(content)
