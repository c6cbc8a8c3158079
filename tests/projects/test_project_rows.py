"""PUT /v1/projects rows (ingest.projects): converted exactly to 亿元, every problem named by row, field and reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from indicators_core.progress import Basis
from indicators_core.writers import Writer
from ingest.projects import project_scope_violations, validate_projects
from ingest.validation import BatchInvalid, parse_json_body

TODAY = date(2023, 6, 15)


def row(**fields) -> dict:
    base = {
        "id": "fcw-017",
        "zone": "fcw",
        "name": "电机项目",
        "total_investment": 125000,
        "unit": "万元",
        "stages": {"meeting": "2023-01-05", "signed": "2023-01-10"},
    }
    return {**base, **fields}


def problems(*rows) -> list[tuple]:
    with pytest.raises(BatchInvalid) as caught:
        validate_projects({"projects": list(rows)}, TODAY, 100)
    return [(e.row, e.field, e.reason) for e in caught.value.errors]


def test_a_good_row_is_converted_exactly_to_亿元():
    body = parse_json_body(
        b'{"projects": [{"id": "fcw-017", "zone": "fcw", "name": "\xe7\x94\xb5\xe6\x9c\xba\xe9\xa1\xb9\xe7\x9b\xae",'
        b' "tier": "city", "industry": "ev", "total_investment": 125000, "unit": "\xe4\xb8\x87\xe5\x85\x83",'
        b' "stages": {"meeting": "2023-01-05", "signed": "2023-01-10", "registered": null, "land": "2023-03-01"},'
        b' "planned": {"start": "2023-06-30"}, "annual_plan_investment": {"2023": 50000},'
        b' "completed_investment": [{"period": "2023-03", "value": 3200}, {"period": "2023-04", "value": 800,'
        b' "basis": "month", "unit": "\xe4\xba\xbf\xe5\x85\x83"}]}]}'
    )
    (project,) = validate_projects(body, TODAY, 100)
    assert (project.id, project.zone, project.tier, project.industry) == ("fcw-017", "fcw", "city", "ev")
    assert (project.total_investment, project.reported_total_investment, project.reported_unit) == (
        D("12.5"),
        D(125000),
        "万元",
    )
    assert project.stages == {"meeting": date(2023, 1, 5), "signed": date(2023, 1, 10), "land": date(2023, 3, 1)}
    assert project.planned == {"start": date(2023, 6, 30)}
    assert project.annual_plan_investment == {2023: D(5)}
    march, april = project.completed_investment
    assert (march.year, march.month, march.basis, march.value, march.reported_unit) == (
        2023,
        3,
        Basis.YTD,
        D("0.32"),
        "万元",
    )
    assert (april.basis, april.value, april.reported_value) == (Basis.MONTH, D(800), D(800))
    # 元 too: 1 250 000 000 元 = 12.5亿元.
    (in_yuan,) = validate_projects({"projects": [row(total_investment=1250000000, unit="元")]}, TODAY, 100)
    assert in_yuan.total_investment == D("12.5")


def test_stages_going_backwards_skipped_or_after_today_are_named_by_stage():
    assert problems(
        row(stages={"meeting": "2023-02-01", "signed": "2023-01-10"}),
        row(id="b", stages={"meeting": "2023-01-01", "signed": "2023-06-16"}),
        row(id="c", stages={"meeting": "2023-01-01", "start": "2023-03-01"}),
        row(id="d", stages={"meeting": "2023-01-01", "signing": "2023-01-02", "land": "2023-02-30"}),
    ) == [
        (0, "stages.signed", "签约 2023-01-10 is before 上会 (meeting) 2023-02-01"),
        (1, "stages.signed", "签约 2023-06-16 is after today (2023-06-15)"),
        (2, "stages.start", "开工 has a date but 签约 (signed), which comes before it, has none"),
        (
            3,
            "stages.signing",
            "unknown stage 'signing' (known: meeting (上会), signed (签约), registered (注册), land (供地), start (开工),"
            " completion (竣工), production (投产))",
        ),
        (3, "stages.land", "'2023-02-30' is not a day of the calendar"),
    ]


def test_every_other_field_is_named_with_its_reason():
    assert problems(
        row(tier="county", unit="美元", extra=1),
        row(id="a|b", zone="", name=None, total_investment=-1, unit="亿元"),
        row(id="c", completed_investment=[{"period": "2023-07", "value": 1}, {"period": "2023-05", "value": "x"}]),
        row(id="d", completed_investment=[{"period": "2023-05", "value": 1}, {"period": "2023-05", "value": 2}]),
        row(id="e", annual_plan_investment={"二〇二三": 1}, planned={"start": "30/06/2023"}),
        row(),
        row(),
    ) == [
        (
            0,
            "extra",
            "unknown field 'extra' (allowed: annual_plan_investment, completed_investment, id, industry, name, planned, stages, tier, total_investment, unit, zone)",
        ),
        (0, "tier", '"county" is not one of province (省重大项目), city (市重大项目), zone (区重大项目), or null'),
        (
            0,
            "unit",
            "unit '美元' cannot be converted to '亿元' (expected one of 元、万元、亿元): investment is in 元, 万元 or 亿元",
        ),
        (1, "id", "must not contain '|'"),
        (1, "zone", "must be a non-empty string"),
        (1, "name", "is required"),
        (1, "total_investment", "-1 is negative; an investment cannot be"),
        (2, "completed_investment[0].period", "'2023-07' is in the future"),
        (
            2,
            "completed_investment[1].value",
            "'x' is not a number: send a JSON number or ASCII digits with an optional '-', '.' and exponent (75.02,"
            " 7.502e5), no thousands separators",
        ),
        (
            3,
            "completed_investment[1].period",
            "2023-05 is sent twice (completed_investment[0] too); send one figure per month",
        ),
        (4, "planned.start", '"30/06/2023" is not a date YYYY-MM-DD or null'),
        (4, "annual_plan_investment.二〇二三", "'二〇二三' is not a year between 1990 and 2100"),
        (6, "id", "row 5 already sends project 'fcw-017'; one row per project"),
    ]


def test_a_key_scoped_to_zones_sends_their_projects_only_and_a_customs_key_none():
    rows = validate_projects({"projects": [row(), row(id="x", zone="other")]}, TODAY, 100)
    zone_key = Writer("fcw-office", (b"",), zones=frozenset({"fcw"}))
    assert [(v.row, v.field) for v in project_scope_violations(zone_key, rows, ["projects_signed"])] == [(1, "zone")]
    customs = Writer("customs", (b"",), indicators=frozenset({"import_export"}))
    (refused,) = project_scope_violations(customs, rows, ["projects_signed"])
    assert (refused.row, refused.field) == (None, "projects")
    planner = Writer("planner", (b"",), indicators=frozenset({"projects_signed"}))
    assert project_scope_violations(planner, rows, ["projects_signed"]) == []
