"""Row validation: every problem is named by row, field and reason."""

from datetime import date
from decimal import Decimal as D

import pytest

from indicators_core.catalog import load_catalog
from indicators_core.progress import Basis
from ingest.validation import BatchInvalid, parse_json_body, validate_observations, validate_targets

CATALOG = load_catalog()
TODAY = date(2026, 11, 23)


def observations(*rows):
    return {"observations": list(rows)}


def problems(payload, validate=validate_observations):
    with pytest.raises(BatchInvalid) as caught:
        if validate is validate_observations:
            validate(payload, CATALOG, TODAY, 100)
        else:
            validate(payload, CATALOG, 100)
    return [(e.row, e.field, e.reason) for e in caught.value.errors]


def test_a_good_row_is_converted_to_the_catalog_unit():
    body = parse_json_body(
        '{"observations": [{"zone": "A区", "indicator": "industrial_output", "period": "2026-05",'
        ' "value": 750200, "unit": "万元", "yoy_base": 693300}]}'.encode()
    )
    (row,) = validate_observations(body, CATALOG, TODAY, 100)
    assert (row.zone, row.indicator, row.year, row.month, row.basis) == ("A区", "industrial_output", 2026, 5, Basis.YTD)
    assert row.value == D("75.02") and row.yoy_base == D("69.33")
    assert row.reported_value == D("750200") and row.reported_unit == "万元"


def test_json_numbers_are_exact_decimals():
    body = parse_json_body(b'{"observations": [{"zone": "A", "indicator": "export", "period": "2026-01", "value": 0.1, "unit": "\xe4\xba\xbf\xe5\x85\x83"}]}')
    (row,) = validate_observations(body, CATALOG, TODAY, 100)
    assert row.value == D("0.1")


def test_every_problem_is_listed_with_row_and_field():
    found = problems(
        observations(
            {"zone": "A区", "indicator": "industrial_output", "period": "2026-05", "value": 75.02, "unit": "亿元"},
            {"zone": "", "indicator": "gdp", "period": "2026-13", "value": "abc", "unit": "亿元"},
            {"zone": "B区", "indicator": "foreign_capital", "period": "2026-05", "value": 10, "unit": "亿元"},
            {"zone": "B区", "indicator": "signed_projects", "period": "2026-05", "value": 2.5, "unit": "个"},
            {"zone": "B区", "indicator": "export", "period": "2026-05", "value": -1, "unit": "亿元", "basis": "total"},
            {"zone": "B区", "indicator": "export", "period": "2026-12", "value": 1, "unit": "亿元", "valu": 1},
        )
    )
    assert found == [
        (1, "zone", "must be a non-empty string"),
        (1, "indicator", "unknown indicator 'gdp' (known: industrial_output, fixed_asset_investment, "
         "manufacturing_investment, import_export, export, import, foreign_capital, signed_projects, "
         "signed_investment, major_project_investment)"),
        (1, "period", "'2026-13': month 13 is not 1..12"),
        (1, "value", "'abc' is not a number"),
        (2, "unit", "unit '亿元' cannot be converted to '万美元' (expected one of 美元、万美元、亿美元) "
         "for foreign_capital (实际利用外资, 万美元)"),
        (3, "value", "2.5 is not a whole number; 招商引资签约项目 is a count"),
        (4, "basis", "'total' is not 'ytd' (累计) or 'month' (当月)"),
        (4, "value", "-1 is negative; 出口额 cannot be negative"),
        (5, "valu", "unknown field 'valu' (allowed: basis, indicator, period, unit, value, yoy_base, zone)"),
        (5, "period", "'2026-12' is in the future"),
    ]


def test_nan_and_missing_fields():
    with pytest.raises(BatchInvalid) as caught:
        parse_json_body(b'{"observations": [{"value": NaN}]}')
    assert caught.value.errors[0].field == "body"
    assert problems(observations({"zone": "A", "indicator": "export", "unit": "亿元"})) == [
        (0, "period", "is required (YYYY-MM)"),
        (0, "value", "is required"),
    ]
    assert problems(observations({"zone": "A", "indicator": "export", "period": "2026-01", "value": 1})) == [
        (0, "unit", "is required"),
    ]


def test_the_same_month_twice_in_one_batch_is_refused():
    row = {"zone": "A", "indicator": "export", "period": "2026-03", "value": 1, "unit": "亿元"}
    assert problems(observations(row, {**row, "value": 2})) == [
        (1, "period", "row 0 already reports A export 2026-03; send one row per zone, indicator and month"),
    ]


def test_batch_shape_errors():
    assert problems({"rows": []}) == [(None, "observations", 'the body must be an object {"observations": [...]}')]
    assert problems({"observations": []}) == [(None, "observations", "must be a non-empty list")]
    with pytest.raises(BatchInvalid, match="problem"):
        validate_observations({"observations": [{}] * 101}, CATALOG, TODAY, 100)


def test_targets_default_to_the_indicator_unit():
    (row,) = validate_targets({"targets": [{"zone": "A", "indicator": "industrial_output", "year": 2026, "value": 1050}]}, CATALOG, 10)
    assert row.value == D("1050") and row.reported_unit == "亿元"
    (row,) = validate_targets({"targets": [{"zone": "A", "indicator": "foreign_capital", "year": 2026, "value": "0.2", "unit": "亿美元"}]}, CATALOG, 10)
    assert row.value == D("2000")


def test_bad_targets():
    assert problems({"targets": [{"zone": "A", "indicator": "signed_projects", "year": "2026", "value": 0}]}, validate_targets) == [
        (0, "year", '"2026" is not a year between 1990 and 2100'),
        (0, "value", "an annual target of zero cannot be judged against; omit the target instead"),
    ]
