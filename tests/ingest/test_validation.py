"""Row validation: every problem is named by row, field and reason."""

import json
import tracemalloc
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
    body = parse_json_body(
        b'{"observations": [{"zone": "A", "indicator": "export", "period": "2026-01", "value": 0.1, "unit": "\xe4\xba\xbf\xe5\x85\x83"}]}'
    )
    (row,) = validate_observations(body, CATALOG, TODAY, 100)
    assert row.value == D("0.1")


def test_every_problem_is_listed_with_row_and_field():
    found = problems(
        observations(
            {"zone": "A区", "indicator": "industrial_output", "period": "2026-05", "value": 75.02, "unit": "亿元"},
            {"zone": "", "indicator": "gross_output", "period": "2026-13", "value": "abc", "unit": "亿元"},
            {"zone": "B区", "indicator": "foreign_capital", "period": "2026-05", "value": 10, "unit": "亿元"},
            {"zone": "B区", "indicator": "signed_projects", "period": "2026-05", "value": 2.5, "unit": "个"},
            {"zone": "B区", "indicator": "export", "period": "2026-05", "value": -1, "unit": "亿元", "basis": "total"},
            {"zone": "B区", "indicator": "export", "period": "2026-12", "value": 1, "unit": "亿元", "valu": 1},
        )
    )
    assert found == [
        (1, "zone", "must be a non-empty string"),
        (
            1,
            "indicator",
            "unknown indicator 'gross_output' (known: industrial_output, fixed_asset_investment, "
            "manufacturing_investment, import_export, export, import, foreign_capital, signed_projects, "
            "signed_investment, major_project_investment, gdp, industrial_investment, industrial_value_added, "
            "tax_revenue, domestic_capital, enterprises_above_scale, projects_signed, projects_signed_investment,"
            " projects_signed_100m, projects_started, projects_in_production, project_start_rate_pct,"
            " project_production_rate_pct, project_registration_rate_pct, land_to_start_avg_days)",
        ),
        (1, "period", "'2026-13': month 13 is not 1..12"),
        (
            1,
            "value",
            "'abc' is not a number: send a JSON number or ASCII digits with an optional '-', '.' and"
            " exponent (75.02, 7.502e5), no thousands separators",
        ),
        (
            2,
            "unit",
            "unit '亿元' cannot be converted to '万美元' (expected one of 美元、万美元、亿美元) "
            "for foreign_capital (实际利用外资, 万美元)",
        ),
        (3, "value", "2.5 is not a whole number; 招商引资签约项目 is a count"),
        (4, "basis", "'total' is not 'ytd' (累计) or 'month' (当月)"),
        (4, "value", "-1 is negative; 出口额 cannot be negative"),
        (
            5,
            "valu",
            "unknown field 'valu' (allowed: basis, explanation, indicator, period, reported_yoy_pct, unit, value, yoy_base, zone)",
        ),
        (5, "period", "'2026-12' is in the future"),
    ]


def test_nan_and_missing_fields():
    with pytest.raises(BatchInvalid) as caught:
        parse_json_body(b'{"observations": [{"value": NaN}]}')
    assert caught.value.errors[0].field == "body"
    assert problems(observations({"zone": "A", "indicator": "export", "unit": "亿元"})) == [
        (0, "period", "is required (YYYY-MM)"),
        (0, "value", "is required (or, for a growth-only row, reported_yoy_pct: the published growth rate)"),
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
    (row,) = validate_targets(
        {"targets": [{"zone": "A", "indicator": "industrial_output", "year": 2026, "value": 1050}]}, CATALOG, 10
    )
    assert row.value == D("1050") and row.reported_unit == "亿元"
    (row,) = validate_targets(
        {"targets": [{"zone": "A", "indicator": "foreign_capital", "year": 2026, "value": "0.2", "unit": "亿美元"}]},
        CATALOG,
        10,
    )
    assert row.value == D("2000")


def test_bad_targets():
    assert problems(
        {"targets": [{"zone": "A", "indicator": "signed_projects", "year": "2026", "value": 0}]}, validate_targets
    ) == [
        (0, "year", '"2026" is not a year between 1990 and 2100'),
        (0, "value", "an annual target of zero cannot be judged against; omit the target instead"),
    ]


# --- Text: what the processor could not store, the console would act on, or two zones could hide ---


def obs(**fields):
    row = {"zone": "A区", "indicator": "industrial_output", "period": "2026-05", "value": 75.02, "unit": "亿元"}
    return {**row, **fields}


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        ("poison-\u0000", "contains U+0000 (NUL), a control character"),
        ("A\x1b[2J区", "contains U+001B (ESC), a control character"),
        ("A\x7f区", "contains U+007F (DEL), a control character"),
        ("A\x85区", "contains U+0085 (NEL), a control character"),
        ("A\t区", "contains U+0009 (TAB), a control character"),
        ("A\u202e区", "contains U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible formatting character"),
        ("A\u202a区", "contains U+202A (LEFT-TO-RIGHT EMBEDDING), an invisible formatting character"),
        ("A\u2066区", "contains U+2066 (LEFT-TO-RIGHT ISOLATE), an invisible formatting character"),
        ("A\u2069区", "contains U+2069 (POP DIRECTIONAL ISOLATE), an invisible formatting character"),
        ("A\u200f区", "contains U+200F (RIGHT-TO-LEFT MARK), an invisible formatting character"),
        ("A\u061c区", "contains U+061C (ARABIC LETTER MARK), an invisible formatting character"),
        ("A\u200b区", "contains U+200B (ZERO WIDTH SPACE), an invisible formatting character"),
        ("A\u2028区", "contains U+2028 (LINE SEPARATOR), a line separator"),
        ("A\ud800区", "contains U+D800, a lone surrogate (half of a UTF-16 pair, not a character)"),
    ],
)
def test_a_zone_with_a_control_bidi_or_surrogate_character_is_refused_naming_it(zone, reason):
    assert problems(observations(obs(zone=zone))) == [(0, "zone", reason)]


def test_every_text_field_is_checked_for_refused_characters():
    row = obs(indicator="export\x00", unit="亿元\u202e", period="2026-05\x1b", basis="ytd\x00")
    assert problems(observations(row)) == [
        (0, "indicator", "contains U+0000 (NUL), a control character"),
        (0, "period", "contains U+001B (ESC), a control character"),
        (0, "basis", "contains U+0000 (NUL), a control character"),
        (0, "unit", "contains U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible formatting character"),
    ]
    target = {"zone": "A\x00", "indicator": "export", "year": 2026, "value": 1, "unit": "亿元\x1b"}
    assert problems({"targets": [target]}, validate_targets) == [
        (0, "zone", "contains U+0000 (NUL), a control character"),
        (0, "unit", "contains U+001B (ESC), a control character"),
    ]


def test_text_is_nfc_without_surrounding_whitespace_so_one_zone_has_one_spelling():
    decomposed, composed = "Cafe\u0301区", "Caf\u00e9区"
    (row,) = validate_observations(observations(obs(zone=f" {decomposed}\n", unit=" 亿元 ")), CATALOG, TODAY, 100)
    assert row.zone == composed and row.reported_unit == "亿元"
    assert problems(observations(obs(zone=decomposed), obs(zone=composed, value=2))) == [
        (
            1,
            "period",
            f"row 0 already reports {composed} industrial_output 2026-05; send one row per zone, indicator and month",
        ),
    ]
    # Inside the name, a space is part of it; only the ends are trimmed.
    (row,) = validate_observations(observations(obs(zone="高新 区\u3000")), CATALOG, TODAY, 100)
    assert row.zone == "高新 区"


def test_text_length_is_bounded_before_it_is_scanned():
    assert problems(observations(obs(zone="区" * 101))) == [(0, "zone", "is longer than 100 characters")]
    assert problems(observations(obs(unit="元" * 1001))) == [(0, "unit", "is longer than 1000 characters")]


def test_a_period_in_other_digits_is_not_a_month():
    assert problems(observations(obs(period="２０２６-０５"))) == [
        (0, "period", "'２０２６-０５' is not a month in the form YYYY-MM"),
    ]
    assert problems(observations(obs(period=202605))) == [(0, "period", "202605 is not a month in the form YYYY-MM")]


def test_a_field_name_that_cannot_be_encoded_is_reported_escaped():
    with pytest.raises(BatchInvalid) as caught:
        validate_observations(observations(obs(**{"\ud800": 1})), CATALOG, TODAY, 100)
    assert caught.value.errors[0].as_dict() == {
        "row": 0,
        "field": "\\ud800",
        "reason": "unknown field '\\ud800' (allowed: basis, explanation, indicator, period, reported_yoy_pct, unit, value, yoy_base, zone)",
    }
    json.dumps(caught.value.errors[0].as_dict(), ensure_ascii=False).encode()  # what the response does


# --- Numbers: JSON numbers or plain ASCII decimals, within what NUMERIC and the arithmetic hold ---

NOT_A_NUMBER = (
    "is not a number: send a JSON number or ASCII digits with an optional '-', '.' and exponent (75.02, 7.502e5),"
    " no thousands separators"
)


@pytest.mark.parametrize(
    "text",
    [
        "1,5",
        "1_000",
        "١٢",
        "۱۲",
        "１２",
        "NaN",
        "Infinity",
        "-inf",
        "0x10",
        "1e",
        ".5",
        "5.",
        "+5",
        "1 000",
        "",
        "sNaN",
    ],
)
def test_a_number_string_is_plain_ascii_decimal_or_refused(text):
    assert problems(observations(obs(value=text))) == [(0, "value", f"'{text}' {NOT_A_NUMBER}")]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("75.02", "75.02"),
        ("-0", "0"),
        (" 12.5\t", "12.5"),
        ("7.502E1", "75.02"),
        ("1e-10", "1E-10"),
        ("750200", "750200"),
    ],
)
def test_plain_number_strings_are_exact(text, stored):
    (row,) = validate_observations(observations(obs(value=text, indicator="export")), CATALOG, TODAY, 100)
    assert row.value == D(stored) and str(row.value) == stored


def test_the_json_number_1e100000000_is_refused_on_its_exponent_without_writing_out_its_digits():
    body = (
        b'{"observations": ['
        + b",".join(
            b'{"zone": "Z%d", "indicator": "export", "period": "2026-01", "value": 1e100000000, "unit": "\xe4\xba\xbf\xe5\x85\x83"}'
            % i
            for i in range(10)
        )
        + b"]}"
    )
    tracemalloc.start()
    try:
        with pytest.raises(BatchInvalid) as caught:
            validate_observations(parse_json_body(body), CATALOG, TODAY, 100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(e.row, e.field, e.reason) for e in caught.value.errors] == [
        (row, "value", "1E+100000000 亿元 is too large: figures must be below 1E+15 亿元") for row in range(10)
    ]
    assert peak < 1_000_000  # its plain form would be 100 MB per row


def test_magnitude_and_decimal_places_are_bounded_in_the_stored_unit():
    assert problems(
        observations(
            obs(value="1e40", unit="万元"),
            obs(value="1e15", period="2026-04"),
            obs(value="999999999999999.9999999999", period="2026-03"),
            obs(value="0.00000000001", period="2026-02"),
            obs(value="0.123", unit="元", period="2026-01"),
        )
    ) == [
        (0, "value", "1E+40 万元 (1E+36 亿元) is too large: figures must be below 1E+15 亿元"),
        (1, "value", "1000000000000000 亿元 is too large: figures must be below 1E+15 亿元"),
        (
            3,
            "value",
            "0.00000000001 亿元 has 11 decimal places in 亿元; at most 10 are kept (0.0000000001 亿元): round it",
        ),
        (
            4,
            "value",
            "0.123 元 (0.00000000123 亿元) has 11 decimal places in 亿元; at most 10 are kept"
            " (0.0000000001 亿元): round it",
        ),
    ]
    # The largest and the finest figures that are kept: 25 significant digits, exact in Decimal's context.
    (largest, cents) = validate_observations(
        observations(
            obs(value="999999999999999.9999999999"),
            obs(value="12345.67", unit="元", period="2026-04"),
        ),
        CATALOG,
        TODAY,
        100,
    )
    assert largest.value == D("999999999999999.9999999999") and cents.value == D("0.0001234567")
    assert cents.reported_value == D("12345.67")
    # Trailing zeros are not decimal places.
    (row,) = validate_observations(observations(obs(value="1.50000000000000000000")), CATALOG, TODAY, 100)
    assert str(row.value) == "1.5"


def test_a_figure_longer_than_50_characters_is_refused_unparsed():
    long_int = b"1" * 6000
    body = b'{"observations": [{"zone": "A", "indicator": "export", "period": "2026-01", "value": %s, "unit": "x"}]}'
    with pytest.raises(BatchInvalid) as caught:
        validate_observations(parse_json_body(body % long_int), CATALOG, TODAY, 100)
    assert [(e.row, e.field, e.reason) for e in caught.value.errors][0] == (
        0,
        "value",
        "'11111111111111111111…' has 6000 characters; a figure has at most 50",
    )
    assert problems(observations(obs(value="0." + "0" * 60 + "1"))) == [
        (0, "value", "'0.000000000000000000…' has 63 characters; a figure has at most 50"),
    ]


def test_the_comparable_base_is_bounded_positive_and_its_growth_computable():
    assert problems(
        observations(
            obs(yoy_base="1e-20"),
            obs(yoy_base=0, period="2026-04"),
            obs(yoy_base=-1, period="2026-03"),
            obs(value=1_000_000, yoy_base="1e-10", period="2026-02"),
            obs(yoy_base="1e40", unit="万元", period="2026-01"),
        )
    ) == [
        (0, "yoy_base", "1E-20 亿元 has 20 decimal places in 亿元; at most 10 are kept (0.0000000001 亿元): round it"),
        (
            1,
            "yoy_base",
            "is zero: no growth rate can be computed against a zero base; leave yoy_base out when"
            " there is no comparable base",
        ),
        (2, "yoy_base", "-1 is negative; 规上工业产值 cannot be negative"),
        (
            3,
            "yoy_base",
            "a growth from 0.0000000001 to 1000000 亿元 is beyond what can be computed (10^16 % or more);"
            " check both figures and their unit",
        ),
        (4, "yoy_base", "1E+40 万元 (1E+36 亿元) is too large: figures must be below 1E+15 亿元"),
    ]
    # Left out it means: last year's stored figure is the base (the processor's business).
    (row,) = validate_observations(observations(obs()), CATALOG, TODAY, 100)
    assert row.yoy_base is None


def test_targets_follow_the_same_number_rules():
    assert problems(
        {
            "targets": [
                {"zone": "A", "indicator": "industrial_output", "year": 2026, "value": "1e40", "unit": "万元"},
                {"zone": "A", "indicator": "export", "year": 2026, "value": "1,050"},
                {"zone": "A", "indicator": "import", "year": 2026, "value": "1e-11"},
            ]
        },
        validate_targets,
    ) == [
        (0, "value", "1E+40 万元 (1E+36 亿元) is too large: figures must be below 1E+15 亿元"),
        (1, "value", f"'1,050' {NOT_A_NUMBER}"),
        (
            2,
            "value",
            "0.00000000001 亿元 has 11 decimal places in 亿元; at most 10 are kept (0.0000000001 亿元): round it",
        ),
    ]


def test_json_non_finite_constants_and_floats_are_refused():
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        with pytest.raises(BatchInvalid) as caught:
            parse_json_body(b'{"observations": [{"value": %s}]}' % constant)
        assert caught.value.errors[0].as_dict() == {
            "row": None,
            "field": "body",
            "reason": f"not valid JSON: {constant.decode()} is not a number",
        }
    assert problems(observations(obs(value=float("inf")))) == [(0, "value", "'inf' is not a finite number")]


def test_a_json_body_nested_100000_deep_is_refused_before_parsing():
    with pytest.raises(BatchInvalid) as caught:
        parse_json_body(b"[" * 100_000)
    assert [e.as_dict() for e in caught.value.errors] == [
        {"row": None, "field": "body", "reason": "arrays and objects are nested deeper than 32 levels"},
    ]


def test_an_exponent_beyond_decimals_own_range_is_a_row_error_not_a_crash():
    reason = "'0E1000000000000000000' has an exponent beyond any figure's: figures must be below 1E+15"
    assert problems(observations(obs(value="0E1000000000000000000"))) == [(0, "value", reason)]
    body = b'{"observations": [{"zone": "A", "indicator": "export", "period": "2026-01", "value": 1e1000000000000000000, "unit": "x"}]}'
    with pytest.raises(BatchInvalid) as caught:
        validate_observations(parse_json_body(body), CATALOG, TODAY, 100)
    assert [e.as_dict() for e in caught.value.errors] == [
        {
            "row": 0,
            "field": "value",
            "reason": "'1e1000000000000000000' has an exponent beyond any figure's: figures must be below 1E+15",
        }
    ]
    # The smallest exponent Decimal holds is refused on its decimal places, as fast.
    assert problems(observations(obs(value="1e-1000000000000000000"))) == [
        (
            0,
            "value",
            "1E-1000000000000000000 亿元 has 1000000000000000000 decimal places in 亿元; at most 10 are"
            " kept (0.0000000001 亿元): round it",
        )
    ]


# ---------------------------------------------------------------- quarters, growth-only rows, growth targets


def test_a_quarterly_indicator_takes_yyyy_qn_stored_at_the_quarters_last_month():
    rows = observations(
        {"zone": "A区", "indicator": "gdp", "period": "2026-Q2", "value": "110.5", "unit": "亿元"},
        {"zone": "A区", "indicator": "gdp", "period": "2026-Q1", "value": 50, "unit": "亿元"},
    )
    q2, q1 = validate_observations(rows, CATALOG, TODAY, 100)
    assert (q2.indicator, q2.year, q2.month, q2.value) == ("gdp", 2026, 6, D("110.5"))
    assert (q1.year, q1.month) == (2026, 3)


def test_a_month_on_a_quarterly_indicator_or_a_quarter_on_a_monthly_one_is_named():
    assert problems(
        observations(
            {"zone": "A区", "indicator": "gdp", "period": "2026-06", "value": 110, "unit": "亿元"},
            {"zone": "A区", "indicator": "industrial_output", "period": "2026-Q2", "value": 10, "unit": "亿元"},
            {"zone": "A区", "indicator": "gdp", "period": "2026-Q5", "value": 1, "unit": "亿元"},
            {"zone": "A区", "indicator": "gdp", "period": "2026-Q4", "value": 1, "unit": "亿元"},
            {"zone": "A区", "indicator": "gdp", "period": "2026-Q3", "value": 1, "unit": "亿元"},
            {"zone": "A区", "indicator": "gdp", "period": "2026-Q3", "value": 2, "unit": "亿元"},
        )
    ) == [
        (
            0,
            "period",
            "'2026-06' is a month, but gdp (地区生产总值) is reported by quarter: send the quarter as YYYY-Qn"
            " (2026-Q2 for 1-2季度)",
        ),
        (
            1,
            "period",
            "'2026-Q2' is a quarter, but industrial_output (规上工业产值) is reported by month: send the month as YYYY-MM",
        ),
        (2, "period", "'2026-Q5' is not a quarter in the form YYYY-Qn"),
        # Today is 2026-11-23: the fourth quarter has begun its last month only on December 1.
        (3, "period", "'2026-Q4' is in the future"),
        (5, "period", "row 4 already reports A区 gdp 2026-Q3; send one row per zone, indicator and quarter"),
    ]


def test_a_growth_only_row_needs_no_value_and_no_unit():
    rows = observations({"zone": "A区", "indicator": "import_export", "period": "2026-05", "reported_yoy_pct": 97.5})
    (row,) = validate_observations(rows, CATALOG, TODAY, 100)
    assert (row.value, row.reported_value, row.reported_yoy_pct, row.reported_unit) == (None, None, D("97.5"), "亿元")
    both = observations(
        {
            "zone": "A区",
            "indicator": "export",
            "period": "2026-05",
            "value": 8,
            "unit": "亿元",
            "reported_yoy_pct": "-3.25",
        }
    )
    (row,) = validate_observations(both, CATALOG, TODAY, 100)
    assert (row.value, row.reported_yoy_pct) == (D(8), D("-3.25"))


def test_a_bad_reported_growth_rate_is_named():
    assert problems(
        observations(
            {"zone": "A区", "indicator": "export", "period": "2026-05", "reported_yoy_pct": -100.5},
            {"zone": "A区", "indicator": "import", "period": "2026-05", "reported_yoy_pct": "9,5"},
            {"zone": "A区", "indicator": "tax_revenue", "period": "2026-05", "reported_yoy_pct": 5, "yoy_base": 3},
        )
    ) == [
        (0, "reported_yoy_pct", "-100.5% is below -100%: an amount cannot fall by more than all of it"),
        (
            1,
            "reported_yoy_pct",
            "'9,5' is not a number: send a JSON number or ASCII digits with an optional '-', '.' and"
            " exponent (75.02, 7.502e5), no thousands separators",
        ),
        (2, "unit", "is required"),
        (2, "yoy_base", "is a base for a value; a growth-only row (reported_yoy_pct, no value) has none"),
    ]


def test_a_stock_is_a_level_not_a_month_alone():
    assert problems(
        observations(
            {
                "zone": "A区",
                "indicator": "enterprises_above_scale",
                "period": "2026-05",
                "value": 3,
                "unit": "家",
                "basis": "month",
            },
            {"zone": "A区", "indicator": "enterprises_above_scale", "period": "2026-04", "value": 96.5, "unit": "家"},
        )
    ) == [
        (
            0,
            "basis",
            "enterprises_above_scale (规上工业企业数) is a stock, a level at the period's end: send it as 'ytd' (the level),"
            " there is no month-alone value of a stock",
        ),
        (1, "value", "96.5 is not a whole number; 规上工业企业数 is a count"),
    ]


def test_growth_targets_are_rates_in_percent_beside_absolute_targets():
    rows = validate_targets(
        {
            "targets": [
                {"zone": "A区", "indicator": "gdp", "year": 2026, "value": 220},
                {"zone": "A区", "indicator": "gdp", "year": 2026, "kind": "growth", "value": "8"},
                {"zone": "A区", "indicator": "export", "year": 2026, "kind": "growth", "value": -5, "unit": "%"},
            ]
        },
        CATALOG,
        100,
    )
    assert [(r.indicator, r.kind, r.value, r.reported_unit) for r in rows] == [
        ("gdp", "absolute", D(220), "亿元"),
        ("gdp", "growth", D(8), "%"),
        ("export", "growth", D(-5), "%"),
    ]


def test_a_bad_growth_target_is_named():
    assert problems(
        {
            "targets": [
                {"zone": "A区", "indicator": "gdp", "year": 2026, "kind": "rate", "value": 8},
                {"zone": "A区", "indicator": "gdp", "year": 2026, "kind": "growth", "value": 8, "unit": "亿元"},
                {"zone": "A区", "indicator": "gdp", "year": 2026, "kind": "growth", "value": -120},
                {"zone": "A区", "indicator": "export", "year": 2026, "kind": "growth", "value": 8},
                {"zone": "A区", "indicator": "export", "year": 2026, "kind": "growth", "value": 9},
            ]
        },
        validate_targets,
    ) == [
        (0, "kind", "'rate' is not 'absolute' (an annual amount) or 'growth' (a growth rate in %)"),
        (1, "unit", "'亿元': a growth target is a rate in % (10 for 增长10%以上); send '%' or no unit"),
        (2, "value", "-120% is below -100%: an amount cannot fall by more than all of it"),
        (4, "year", "row 3 already sets the 2026 growth target of A区 export"),
    ]


def test_a_figure_derived_from_the_project_list_is_refused_as_an_observation_but_takes_targets():
    assert problems(
        observations(
            {"zone": "A区", "indicator": "projects_signed_100m", "period": "2026-05", "value": 83, "unit": "个"}
        )
    ) == [
        (
            0,
            "indicator",
            "projects_signed_100m (亿元以上签约项目数) is derived from the project list: send the projects"
            " (PUT /v1/projects), not the figure; its targets are set with PUT /v1/targets",
        )
    ]
    (target,) = validate_targets(
        {"targets": [{"zone": "A区", "indicator": "projects_signed_100m", "year": 2026, "value": 150}]}, CATALOG, 100
    )
    assert (target.value, target.reported_unit) == (D(150), "个")
    (rate,) = validate_targets(
        {"targets": [{"zone": "A区", "indicator": "project_start_rate_pct", "year": 2026, "value": 90}]}, CATALOG, 100
    )
    assert (rate.value, rate.reported_unit, rate.kind) == (D(90), "%", "absolute")


def test_every_refused_character_is_one_that_isprintable_refuses_too():
    """clean_text passes a printable text without looking at each character: that is only right while every
    refused category is outside what str.isprintable() accepts."""
    import unicodedata

    from ingest.validation import FORBIDDEN_CATEGORIES, clean_text

    printable_but_refused = [
        code
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in FORBIDDEN_CATEGORIES and chr(code).isprintable()
    ]
    assert printable_but_refused == []
    assert clean_text(" 杭州高新区\u0301 ") == (None, "杭州高新区\u0301")
    assert clean_text("高新\u200b区") == ("contains U+200B (ZERO WIDTH SPACE), an invisible formatting character", "")
    assert clean_text("高新\u2028区") == ("contains U+2028 (LINE SEPARATOR), a line separator", "")
