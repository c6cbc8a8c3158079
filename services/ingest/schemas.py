"""The ingest API's request and response shapes, for OpenAPI only.

The bodies are validated by ingest.validation, which names every bad row and
field; FastAPI's own body validation would answer a differently shaped 422 and
stop at the first problem, so the routes read the raw body and these models only
describe it (`openapi_extra`). Keep them in step with validation.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from indicators_core.catalog import Catalog
from indicators_core.units import SCALES
from indicators_core.vocabulary import MAX_YEAR, MIN_YEAR
from ingest.validation import (
    MAX_DECIMAL_PLACES,
    MAX_EXPLANATION_CHARS,
    MAX_INTEGER_DIGITS,
    MAX_NUMBER_CHARS,
    MAX_ZONE_LENGTH,
)

FIGURE_RULES = (
    f"A JSON number, or a string of plain ASCII decimal digits ('-', '.', an exponent: \"75.02\", \"7.502e5\";"
    f" no thousands separators). At most {MAX_NUMBER_CHARS} characters; in the indicator's unit below"
    f" 1e{MAX_INTEGER_DIGITS} with at most {MAX_DECIMAL_PLACES} decimal places."
)
PLAIN_NUMBER = r"^[ \t\r\n]*-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?[ \t\r\n]*$"
TEXT_RULES = (
    "Normalised to NFC and stripped of surrounding whitespace; control characters, bidirectional and"
    " zero-width formatting characters, line separators and lone surrogates are refused."
)

Figure = Annotated[
    float | Annotated[str, StringConstraints(pattern=PLAIN_NUMBER, max_length=MAX_NUMBER_CHARS)],
    Field(description=FIGURE_RULES),
]


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zone: str = Field(
        min_length=1,
        max_length=MAX_ZONE_LENGTH,
        pattern=r"^[^|]*$",
        description=f"The development zone, at most {MAX_ZONE_LENGTH} characters, no '|'. {TEXT_RULES}",
        examples=["高新区"],
    )
    indicator: str = Field(
        description="An indicator code of the catalog (GET /v1/indicators of the query API).",
        examples=["industrial_output"],
    )
    period: str = Field(
        pattern=r"^[0-9]{4}-([0-9]{2}|Q[1-4])$",
        description=f"The month, YYYY-MM, from {MIN_YEAR} to now; for a quarterly indicator (catalog frequency"
        " 'quarter', e.g. gdp) the quarter, YYYY-Qn, cumulative 1-n季度. The other form is refused.",
        examples=["2026-05", "2026-Q2"],
    )
    value: Figure | None = Field(
        default=None,
        description="The figure in `unit`. May be left out when reported_yoy_pct is sent (a growth-only row)."
        f" {FIGURE_RULES}",
        examples=[750200],
    )
    unit: str | None = Field(
        default=None,
        description="The unit of value and yoy_base; converted exactly into the indicator's unit. Required with"
        " value or yoy_base.",
        examples=["万元"],
    )
    reported_yoy_pct: Figure | None = Field(
        default=None,
        description="The published growth rate of the cumulative value in % (97.5 for 增长97.5%), at least -100."
        " The item's yoy_pct is computed from the amounts when both years are known, else this one.",
        examples=[97.5],
    )
    basis: Literal["ytd", "month"] = Field(
        default="ytd", description="'ytd' (累计, January to the month) or 'month' (当月, the month alone)."
    )
    yoy_base: Figure | None = Field(
        default=None,
        description="上年同期可比数, the comparable figure of last year; greater than zero. Left out, last year's"
        f" stored figure is the base. {FIGURE_RULES}",
        examples=[693300],
    )
    explanation: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_EXPLANATION_CHARS,
        description="Why figures that look implausible are right (a plausibility warning of an earlier 422:"
        " growth, comparable base, history, part above whole); with it the row is accepted and the explanation is"
        f" kept with the report. At most {MAX_EXPLANATION_CHARS} characters. {TEXT_RULES}",
        examples=["去年同期基数为万元口径，已核实"],
    )


class ObservationBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observations: list[Observation] = Field(
        min_length=1, description="One row per zone, indicator and month; all accepted or none."
    )


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zone: str = Field(
        min_length=1,
        max_length=MAX_ZONE_LENGTH,
        pattern=r"^[^|]*$",
        description=f"The development zone. {TEXT_RULES}",
        examples=["高新区"],
    )
    indicator: str = Field(description="An indicator code of the catalog.", examples=["industrial_output"])
    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR, examples=[2026])
    kind: Literal["absolute", "growth"] = Field(
        default="absolute",
        description="'absolute': an annual amount; 'growth': a growth-rate target in % (10 for 增长10%以上)."
        " A series may have one of each for a year.",
    )
    value: Figure = Field(
        description="The annual target: absolute and greater than zero, or (kind growth) a rate in %, at least"
        f" -100. {FIGURE_RULES}",
        examples=[166],
    )
    unit: str | None = Field(
        default=None, description="Left out: the indicator's own unit ('%' for a growth target).", examples=["亿元"]
    )


class TargetBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: list[Target] = Field(min_length=1, description="One row per zone, indicator and year.")


class Accepted(BaseModel):
    accepted: int = Field(description="Rows published (the whole batch).")
    batch_id: str
    reported_at: str = Field(description="When the batch was accepted (ISO 8601); the latest report wins by it.")
    plausibility: str | None = Field(
        default=None,
        description="Observations: 'checked', or 'batch only (database unavailable)' when the stored history could"
        " not be read in time and only the batch's own figures were checked.",
    )


class Problem(BaseModel):
    row: int | None = Field(description="The row's index in the list, from 0; null for the body as a whole.")
    field: str
    reason: str


class Implausible(BaseModel):
    row: int = Field(description="The row's index in the list, from 0.")
    field: str
    rule: Literal["growth", "comparable_base", "history", "part_of"]
    reason: str = Field(description="In words, with the figures and units.")
    figures: dict[str, str] = Field(description="The numbers behind the reason, exact decimals as strings.")


class Refusal(BaseModel):
    detail: str
    errors: list[Problem] | None = Field(default=None, description="Every problem, by row and field.")
    warnings: list[Implausible] | None = Field(
        default=None,
        description="Plausibility warnings (observations): figures that look wrong. Fix them, or send the row again"
        ' with an "explanation".',
    )
    batch_id: str | None = Field(
        default=None,
        description="503 only: the refused batch's id. A broker that failed after taking the batch may have stored it"
        " under this id; sending the rows again is safe (the same rows give the same figures).",
    )


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its `$defs` written in place, so it stands alone inside an operation."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(dict(definitions[reference.removeprefix("#/$defs/")]))
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


def with_catalog_codes(spec: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The OpenAPI document with the catalog's indicator codes and the known units as enums of every body row.

    The routes are module-level (declared before any catalog is loaded), so the app fills these in once it
    has its catalog: every row schema with an `indicator` or `unit` property, in any request body.
    """
    units = [unit for scale in SCALES.values() for unit in scale]
    for operation in (op for path in spec.get("paths", {}).values() for op in path.values() if isinstance(op, dict)):
        content = operation.get("requestBody", {}).get("content", {})
        for media in content.values():
            for rows in media.get("schema", {}).get("properties", {}).values():
                row = rows.get("items", {}).get("properties", {}) if isinstance(rows, dict) else {}
                if "indicator" in row:
                    row["indicator"]["enum"] = list(catalog.codes())
                # A project's units are its own (元, 万元, 亿元: ProjectRowModel), not the catalog's.
                if "unit" in row and "total_investment" not in row:
                    unit = row["unit"]
                    # A target row (it has a kind) may be a growth target, in %.
                    known = list(dict.fromkeys([*units, "%"])) if "kind" in row else units
                    if "anyOf" in unit:  # optional: string or null
                        unit["anyOf"] = [{"type": "string", "enum": known}, {"type": "null"}]
                    else:
                        unit["enum"] = known
    return spec


def request_body(model: type[BaseModel], example: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` declaring the JSON body of a route that reads and validates the raw body itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(model.model_json_schema()), "example": example}},
        }
    }


def responses(accepted: str) -> dict[int | str, dict[str, Any]]:
    return {
        202: {"model": Accepted, "description": accepted},
        401: {"model": Refusal, "description": "No key, or not a valid one; nothing was published."},
        403: {"model": Refusal, "description": "Rows outside the scope of the writer's key, each named."},
        413: {"model": Refusal, "description": "The body or the batch is too large; split it (the detail says how)."},
        422: {
            "model": Refusal,
            "description": "Every problem by row, field and reason (`errors`), or figures that look implausible"
            " (`warnings`, rows without an explanation); nothing was published.",
        },
        503: {"model": Refusal, "description": "The broker is unreachable or did not acknowledge: send it again."},
    }


OBSERVATIONS_EXAMPLE = {
    "observations": [
        {
            "zone": "高新区",
            "indicator": "industrial_output",
            "period": "2026-05",
            "value": 750200,
            "unit": "万元",
            "yoy_base": 693300,
        },
        {
            "zone": "高新区",
            "indicator": "export",
            "period": "2026-05",
            "value": "12.5",
            "unit": "亿元",
            "basis": "month",
        },
    ]
}
TARGETS_EXAMPLE = {
    "targets": [
        {"zone": "高新区", "indicator": "industrial_output", "year": 2026, "value": 166},
        {"zone": "高新区", "indicator": "industrial_output", "year": 2026, "kind": "growth", "value": 10},
    ]
}


class Zone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=MAX_ZONE_LENGTH,
        pattern=r"^[^|]*$",
        description="The code reports name the zone by (their `zone`); a later PUT of the code replaces it."
        f" {TEXT_RULES}",
        examples=["qianjiang-edz"],
    )
    name_zh: str = Field(
        min_length=1, max_length=100, description="Shown in place of the code.", examples=["杭州钱江经济开发区"]
    )
    level: Literal["national", "provincial", "other"] = Field(description="国家级, 省级 or other (a district, city…)")
    kind: str = Field(min_length=1, max_length=20, examples=["经开区", "高新区", "新城", "区县"])
    parent: str | None = Field(
        default=None,
        description="Another registered code (or one registered by the same batch): a district, city or province.",
        examples=["yuhang"],
    )
    groups: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] | None = Field(
        default=None, max_length=20, description="Peer groups the zone is ranked in.", examples=[["浙江省级以上开发区"]]
    )


class ZoneBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zones: list[Zone] = Field(min_length=1, description="One row per code; all accepted or none.")


ZONES_EXAMPLE = {
    "zones": [
        {"code": "yuhang", "name_zh": "余杭区", "level": "other", "kind": "区县"},
        {
            "code": "qianjiang-edz",
            "name_zh": "杭州钱江经济开发区",
            "level": "national",
            "kind": "经开区",
            "parent": "yuhang",
            "groups": ["浙江省级以上开发区"],
        },
    ]
}


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
StageDate = Annotated[str, StringConstraints(pattern=DATE_PATTERN)] | None


class ProjectStages(BaseModel):
    """A date YYYY-MM-DD (or null) per stage, in order: 上会 → 签约 → 注册 → 供地 → 开工 → 竣工 → 投产."""

    model_config = ConfigDict(extra="forbid")

    meeting: StageDate = Field(default=None, description="上会")
    signed: StageDate = Field(default=None, description="签约")
    registered: StageDate = Field(default=None, description="注册 (may stay null)")
    land: StageDate = Field(default=None, description="供地/拿地")
    start: StageDate = Field(default=None, description="开工")
    completion: StageDate = Field(default=None, description="竣工")
    production: StageDate = Field(default=None, description="投产")


class CompletedInvestment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="The month, YYYY-MM, not after this one.")
    value: Figure = Field(description=f"完成投资, at least 0, in `unit`. {FIGURE_RULES}")
    unit: Literal["元", "万元", "亿元"] | None = Field(default=None, description="Left out: the project's unit.")
    basis: Literal["ytd", "month"] = Field(default="ytd", description="'ytd' (本年累计) or 'month' (当月).")


class ProjectRowModel(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Project")

    id: str = Field(
        min_length=1, max_length=100, pattern=r"^[^|]*$", description="The upstream's id, unique across the list."
    )
    zone: str = Field(min_length=1, max_length=MAX_ZONE_LENGTH, pattern=r"^[^|]*$", description=TEXT_RULES)
    name: str = Field(min_length=1, max_length=200)
    tier: Literal["province", "city", "zone"] | None = Field(default=None, description="省/市/区重大项目, or null")
    industry: str | None = Field(default=None, min_length=1, max_length=50)
    total_investment: Figure = Field(description=f"计划总投资, at least 0, in `unit`. {FIGURE_RULES}")
    unit: Literal["元", "万元", "亿元"] = Field(description="Of every amount of the row; converted exactly to 亿元.")
    stages: ProjectStages | None = Field(
        default=None,
        description="Actual dates: never going backwards along the order (注册 may be null), none after today"
        " (Asia/Shanghai), and no date after a stage without one (注册 apart).",
    )
    planned: ProjectStages | None = Field(default=None, description="Planned dates: each the stage's deadline.")
    annual_plan_investment: dict[str, Figure] | None = Field(
        default=None, description='年度计划投资 per year, in `unit`: {"2023": 12.5}.'
    )
    completed_investment: list[CompletedInvestment] | None = Field(
        default=None,
        max_length=120,
        description="完成投资 by month; a month sent again replaces that month, months left out are kept.",
    )


class ProjectBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projects: list[ProjectRowModel] = Field(min_length=1, description="One row per id; all accepted or none.")


PROJECTS_EXAMPLE = {
    "projects": [
        {
            "id": "fcw-2023-017",
            "zone": "fuchunwan",
            "name": "年产10万台新能源汽车电机项目",
            "tier": "city",
            "industry": "新能源汽车",
            "total_investment": 125000,
            "unit": "万元",
            "stages": {"meeting": "2023-01-05", "signed": "2023-01-10", "registered": "2023-02-01"},
            "planned": {"start": "2023-06-30"},
            "annual_plan_investment": {"2023": 50000},
            "completed_investment": [{"period": "2023-03", "value": 3200, "basis": "ytd"}],
        }
    ]
}
