"""The plausibility checks (indicators_core/plausibility.py), with exact figures.

Rows go through ingest's own validation first (units converted as in production), then the
checks run over them and the stored current reports of their series.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from indicators_core.catalog import load_catalog
from indicators_core.plausibility import (
    PlausibilityRulesError,
    check_batch,
    load_rules,
    parse_rules,
    series_needed,
)
from indicators_core.progress import Basis, MonthReport
from ingest.validation import validate_observations

CATALOG = load_catalog()
RULES = load_rules(catalog=CATALOG)
TODAY = date(2026, 6, 20)
ZONE = "合理性单元区"


def rows(*specs: dict) -> list:
    return validate_observations(
        {"observations": [{"zone": ZONE, "unit": "亿元", **s} for s in specs]}, CATALOG, TODAY, 100
    )


def ytd(year: int, month: int, value: str, yoy_base: str | None = None) -> MonthReport:
    return MonthReport(year, month, Basis.YTD, Decimal(value), None if yoy_base is None else Decimal(yoy_base))


def stored(indicator: str, *reports: MonthReport) -> dict:
    series: dict = {}
    for report in reports:
        series.setdefault(report.year, {})[report.month] = report
    return {(ZONE, indicator): series}


def warned(batch, history, rules=RULES) -> list[tuple[int, str, str]]:
    return [(w.row, w.field, w.rule) for w in check_batch(batch, history, CATALOG, rules)]


def test_the_issues_base_in_the_wrong_unit_warns_with_its_figures():
    # 6.51亿元 sent as 65100万元 with the comparable base 3.52 meant as 亿元 but read as 万元:
    # published without a word as +1,849,331.8%.
    batch = rows(
        {
            "indicator": "manufacturing_investment",
            "period": "2016-05",
            "value": 65100,
            "unit": "万元",
            "yoy_base": "3.52",
        }
    )
    history = stored("manufacturing_investment", ytd(2015, 5, "3.52"))
    growth, base = check_batch(batch, history, CATALOG, RULES)
    assert growth.as_dict() == {
        "row": 0,
        "field": "yoy_base",
        "rule": "growth",
        "reason": "制造业投资 2016-05 1-5月累计 6.51亿元 against its comparable base 0.000352亿元 is a growth of"
        " +1,849,331.8%, outside -90% to +500%; check the figures and their unit",
        "figures": {
            "ytd_value": "6.51",
            "base": "0.000352",
            "growth_pct": "1849331.818181818182",
            "min_pct": "-90",
            "max_pct": "500",
        },
    }
    assert base.as_dict() == {
        "row": 0,
        "field": "yoy_base",
        "rule": "comparable_base",
        "reason": "the comparable base 0.000352亿元 of 制造业投资 2016-05 is 1/10000 of last year's 1-5月累计 (2015-05)"
        " 3.52亿元; bases more than 3 times apart are usually in another unit (万元 for 亿元) or of another period",
        "figures": {"yoy_base": "0.000352", "last_year_ytd": "3.52", "ratio": "0.0001", "max_ratio": "3"},
    }
    # Without the database only the batch's own figures are checked: the growth on its own base still warns.
    assert warned(batch, None) == [(0, "yoy_base", "growth")]


def test_real_figures_do_not_warn():
    batch = rows(
        {"indicator": "industrial_output", "period": "2016-05", "value": "75.02", "yoy_base": "69.33"},  # +8.2%
        {"indicator": "export", "period": "2016-05", "value": "13.7", "yoy_base": "8.9"},  # +53.93%
        {"indicator": "fixed_asset_investment", "period": "2016-05", "value": "20.4"},
        {"indicator": "manufacturing_investment", "period": "2016-05", "value": "6.51", "yoy_base": "3.52"},  # +84.94%
        {"indicator": "import_export", "period": "2016-05", "value": "39.5"},  # +97.5% on last year's 20
    )
    history = {
        **stored("industrial_output", ytd(2015, 5, "69.33")),
        **stored("export", ytd(2015, 5, "8.9")),
        **stored("fixed_asset_investment", ytd(2015, 5, "18.1")),
        **stored("manufacturing_investment", ytd(2015, 5, "3.52")),
        **stored("import_export", ytd(2015, 5, "20")),
    }
    assert warned(batch, history) == []
    assert warned(batch, None) == []


def test_growth_beyond_the_bounds_against_last_years_stored_figure():
    history = stored("industrial_output", ytd(2015, 5, "4"))
    high = rows({"indicator": "industrial_output", "period": "2016-05", "value": "24.04"})
    (warning,) = check_batch(high, history, CATALOG, RULES)
    assert (warning.field, warning.rule) == ("value", "growth")
    assert warning.reason == (
        "规上工业产值 2016-05 1-5月累计 24.04亿元 against last year's 1-5月 (2015-05) 4亿元 is a growth of +501.0%,"
        " outside -90% to +500%; check the figures and their unit"
    )
    assert warning.figures["growth_pct"] == "501"
    # The bounds themselves are plausible: +500% and -90% exactly.
    assert warned(rows({"indicator": "industrial_output", "period": "2016-05", "value": "24"}), history) == []
    assert warned(rows({"indicator": "industrial_output", "period": "2016-05", "value": "0.4"}), history) == []
    low = check_batch(
        rows({"indicator": "industrial_output", "period": "2016-05", "value": "0.3"}), history, CATALOG, RULES
    )
    assert [(w.rule, w.figures["growth_pct"]) for w in low] == [("growth", "-92.5")]


def test_a_comparable_base_more_than_three_times_either_way_from_last_years_figure():
    history = stored("industrial_output", ytd(2015, 5, "3.52"))

    def base(yoy_base: str) -> list:
        # The value equals the base: no growth warning, only the base is judged.
        return check_batch(
            rows({"indicator": "industrial_output", "period": "2016-05", "value": yoy_base, "yoy_base": yoy_base}),
            history,
            CATALOG,
            RULES,
        )

    assert base("10.56") == [] and base("1.1734") == []  # 3 times, and just under 3 times the other way
    (above,) = base("10.57")
    assert (above.rule, above.field, above.figures["ratio"]) == ("comparable_base", "yoy_base", "3.002840909091")
    assert "is 3.0028 times last year's 1-5月累计 (2015-05) 3.52亿元" in above.reason
    (below,) = base("1.17")
    assert below.figures["ratio"] == "0.332386363636"
    assert "is 1/3.0085 of last year's" in below.reason


def test_a_month_far_outside_the_series_own_history():
    months = [MonthReport(year, month, Basis.MONTH, Decimal(10)) for year in (2015,) for month in range(1, 13)]
    history = stored("industrial_output", *months)
    # This check alone (a January ten times last year's is also a growth of +900%).
    only = parse_rules("[growth]\nenabled = false\n[comparable_base]\nenabled = false\n", "<t>", CATALOG)

    def month(value: str) -> list:
        return check_batch(
            rows({"indicator": "industrial_output", "period": "2016-01", "value": value, "basis": "month"}),
            history,
            CATALOG,
            only,
        )

    assert month("100") == [] and month("1") == []  # 10 times and 1/10 of the median: the bounds
    (high,) = month("100.5")
    assert high.as_dict() == {
        "row": 0,
        "field": "value",
        "rule": "history",
        "reason": "规上工业产值 2016-01 当月 100.5亿元 is 10.05 times the median 10亿元 of its 12 months 2015-01 to 2015-12;"
        " more than 10 times apart either way is outside the series' own history",
        "figures": {"month_value": "100.5", "median": "10", "months": "12", "factor": "10"},
    }
    (low,) = month("0.8")
    assert "is 1/12.5 of the median 10亿元" in low.reason
    # Five months of history are too few to judge by.
    few = stored("industrial_output", *months[7:])
    assert (
        warned(
            rows({"indicator": "industrial_output", "period": "2016-01", "value": "500", "basis": "month"}), few, only
        )
        == []
    )


def test_a_part_above_its_whole_in_one_batch_warns_on_the_part():
    batch = rows(
        {"indicator": "import_export", "period": "2016-05", "value": "100"},
        {"indicator": "export", "period": "2016-05", "value": "120"},
        {"indicator": "import", "period": "2016-05", "value": "40"},
    )
    (warning,) = check_batch(batch, None, CATALOG, RULES)
    assert warning.as_dict() == {
        "row": 1,
        "field": "value",
        "rule": "part_of",
        "reason": "出口额 2016-05 1-5月累计 120亿元 is above its whole, 进出口总额 100亿元, of the same zone and months;"
        " a part cannot exceed its whole",
        "figures": {"part": "120", "whole": "100"},
    }
    # A part equal to its whole is plausible.
    assert (
        warned(
            rows(
                {"indicator": "import_export", "period": "2016-05", "value": "120"},
                {"indicator": "export", "period": "2016-05", "value": "120"},
            ),
            None,
        )
        == []
    )


def test_a_part_or_whole_against_the_stored_other():
    whole = stored("fixed_asset_investment", ytd(2016, 5, "6"))
    assert warned(rows({"indicator": "manufacturing_investment", "period": "2016-05", "value": "6.51"}), whole) == [
        (0, "value", "part_of")
    ]
    part = stored("manufacturing_investment", ytd(2016, 5, "6.51"))
    # A whole lowered below its stored part: named on the whole's row, the only row of the batch.
    (warning,) = check_batch(
        rows({"indicator": "fixed_asset_investment", "period": "2016-05", "value": "6"}), part, CATALOG, RULES
    )
    assert (warning.row, warning.rule, warning.figures) == (0, "part_of", {"part": "6.51", "whole": "6"})


def test_per_indicator_overrides():
    history = {**stored("foreign_capital", ytd(2015, 5, "100")), **stored("signed_projects", ytd(2015, 5, "4"))}
    # Foreign capital may grow up to +2000%: +1000% is no warning, +2100% is.
    assert (
        warned(rows({"indicator": "foreign_capital", "period": "2016-05", "value": "1100", "unit": "万美元"}), history)
        == []
    )
    assert warned(
        rows({"indicator": "foreign_capital", "period": "2016-05", "value": "2200", "unit": "万美元"}), history
    ) == [(0, "value", "growth")]
    # Counts swing by nature: no history check for signed projects.
    months = [MonthReport(2015, m, Basis.MONTH, Decimal(1)) for m in range(1, 13)]
    counts = stored("signed_projects", *months)
    assert (
        warned(
            rows({"indicator": "signed_projects", "period": "2016-01", "value": 15, "unit": "个", "basis": "month"}),
            counts,
        )
        == []
    )


def test_the_series_read_for_a_batch():
    batch = rows(
        {"indicator": "manufacturing_investment", "period": "2016-05", "value": "6.51"},
        {"indicator": "manufacturing_investment", "period": "2015-03", "value": "2"},
    )
    assert series_needed(batch, CATALOG, RULES) == {
        (ZONE, "manufacturing_investment"): (2013, 2016),  # back to last year and the 24-month window
        (ZONE, "fixed_asset_investment"): (2015, 2016),  # the whole, in the rows' own years
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[growth]\nmax = 5\n", "<t>: [growth].max is not a setting of growth (known: enabled, max_pct, min_pct)"),
        ("[growth]\nmin_pct = 10\nmax_pct = 5\n", "<t>: [growth]: min_pct 10 must be below max_pct 5"),
        ("[comparable_base]\nmax_ratio = 1\n", "<t>: [comparable_base]: max_ratio must be above 1, got 1"),
        ("[history]\nwindow_months = 0\n", "<t>: [history].window_months must be a whole number of at least 1, got 0"),
        ('[history]\nfactor = "ten"\n', "<t>: [history].factor must be a number, got 'ten'"),
        (
            "[indicators.gross_output.growth]\nmax_pct = 5\n",
            "<t>: [indicators.gross_output]: 'gross_output' is not in the catalog",
        ),
        (
            "[indicators.export.swing]\n",
            "<t>: [indicators.export.swing]: unknown check (known: growth, comparable_base, history, part_of)",
        ),
        ("[growths]\n", "<t>: unknown table [growths] (known: growth, comparable_base, history, part_of, indicators)"),
    ],
)
def test_a_wrong_thresholds_file_is_refused_naming_the_key(text: str, problem: str):
    with pytest.raises(PlausibilityRulesError) as refused:
        parse_rules(text, "<t>", CATALOG)
    assert str(refused.value) == problem


def test_the_packaged_thresholds():
    assert (RULES.growth.min_pct, RULES.growth.max_pct) == (Decimal(-90), Decimal(500))
    assert RULES.comparable_base.max_ratio == 3
    assert (RULES.history.factor, RULES.history.window_months, RULES.history.min_months) == (10, 24, 6)
    assert RULES.for_indicator("signed_projects").history.enabled is False
    assert RULES.for_indicator("export") == RULES
