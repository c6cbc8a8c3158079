"""The expander against Grafana's own expected expansions.

Macro cases are Grafana's pkg/tsdb/grafana-postgresql-datasource/macros_test.go (same inputs, same
outputs); variable cases follow the SQL datasource's interpolateVariable / quoteLiteral and the
documented formats (csv, sqlstring, raw, singlequote, …) of Grafana's template variables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.dashboards.grafana_sql import (
    ALL,
    GrafanaSqlError,
    VariableSpec,
    render_sql,
    repeat_variables,
    variable_specs,
)

FROM = datetime(2018, 4, 12, 18, 0, tzinfo=UTC)
TO = FROM + timedelta(minutes=5)


def macro(sql: str, timescaledb: bool = False, time_from: datetime = FROM, time_to: datetime = TO) -> str:
    return render_sql(sql, {}, time_from, time_to, timescaledb=timescaledb)


# ------------------------------------------------------------------ macros.go, case by case


def test_time_and_time_epoch():
    assert macro("select $__time(time_column)") == 'select time_column AS "time"'
    assert macro("select min($__time(time_column))") == 'select min(time_column AS "time")'
    assert macro("select $__timeEpoch(t)") == 'select extract(epoch from t) as "time"'


def test_time_filter_from_and_to_are_rfc3339_utc():
    assert macro("WHERE $__timeFilter(time_column)") == (
        "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'"
    )
    assert macro("select $__timeFrom()") == "select '2018-04-12T18:00:00Z'"
    assert macro("select $__timeTo()") == "select '2018-04-12T18:05:00Z'"


def test_time_filter_with_fractional_seconds_and_old_dates():
    start = datetime(1960, 2, 1, 7, 0, 0, 500_000, tzinfo=UTC)
    end = datetime(1980, 2, 3, 8, 0, 0, 500_000, tzinfo=UTC)
    assert macro("WHERE $__timeFilter(c)", time_from=start, time_to=end) == (
        "WHERE c BETWEEN '1960-02-01T07:00:00.5Z' AND '1980-02-03T08:00:00.5Z'"
    )
    assert macro("select $__unixEpochFilter(time)", time_from=start, time_to=end) == (
        "select time >= -312915600 AND time <= 318412800"
    )


def test_a_range_given_in_another_zone_is_converted_to_utc():
    beijing = timezone(timedelta(hours=8))
    start = datetime(2022, 1, 1, tzinfo=beijing)
    end = datetime(2022, 12, 31, 23, 59, 59, 999_000, tzinfo=beijing)
    assert macro("$__timeFilter(period)", time_from=start, time_to=end) == (
        "period BETWEEN '2021-12-31T16:00:00Z' AND '2022-12-31T15:59:59.999Z'"
    )


def test_time_group_and_its_alias():
    assert macro("SELECT $__timeGroup(time_column,'5m')") == "SELECT floor(extract(epoch from time_column)/300)*300"
    assert macro("SELECT $__timeGroupAlias(time_column,'5m')") == (
        'SELECT floor(extract(epoch from time_column)/300)*300 AS "time"'
    )
    assert macro("$__timeGroup(time_column , '5m')") == "floor(extract(epoch from time_column)/300)*300"


def test_time_group_followed_by_a_comma_gets_the_alias_as_before_grafana_5_3():
    assert macro("SELECT $__timeGroup(time_column,'5m'), value") == (
        'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", value'
    )
    assert macro("SELECT $__timeGroup(time_column,'5m') as time, value") == (
        "SELECT floor(extract(epoch from time_column)/300)*300 as time, value"
    )


def test_time_group_with_timescaledb_is_time_bucket():
    assert macro("GROUP BY $__timeGroup(time_column,'5m')", timescaledb=True) == (
        "GROUP BY time_bucket('300.000s',time_column)"
    )
    assert macro("GROUP BY $__timeGroup(time_column , '12d')", timescaledb=True) == (
        "GROUP BY time_bucket('1036800.000s',time_column)"
    )
    assert macro("GROUP BY $__timeGroup(time_column , '20ms')", timescaledb=True) == (
        "GROUP BY time_bucket('0.020s',time_column)"
    )


def test_intervals_print_as_go_prints_floats():
    assert macro("$__timeGroup(t, '1d')") == "floor(extract(epoch from t)/86400)*86400"
    assert macro("$__timeGroup(t, '30d')") == "floor(extract(epoch from t)/2.592e+06)*2.592e+06"
    assert macro("$__timeGroup(t, '1h30m')") == "floor(extract(epoch from t)/5400)*5400"
    assert macro("$__timeGroup(t, '500ms')") == "floor(extract(epoch from t)/0.5)*0.5"


def test_calendar_month_interval_counts_from_now():
    now = datetime(2022, 1, 31, tzinfo=UTC)  # + 1 month is 3 March, as Go's AddDate: 31 days
    assert render_sql("$__timeGroup(t, '1M')", {}, FROM, TO, timescaledb=True, now=now) == (
        "time_bucket('2678400.000s',t)"
    )


def test_time_group_fill_value_is_checked():
    assert macro("$__timeGroup(t, '5m', 0)") == "floor(extract(epoch from t)/300)*300"
    assert macro("$__timeGroup(t, '5m', NULL)") == "floor(extract(epoch from t)/300)*300"
    assert macro("$__timeGroup(t, '5m', previous)") == "floor(extract(epoch from t)/300)*300"
    with pytest.raises(GrafanaSqlError, match="error parsing fill value zero"):
        macro("$__timeGroup(t, '5m', zero)")


def test_unix_epoch_macros():
    assert macro("select $__unixEpochFilter(time)") == "select time >= 1523556000 AND time <= 1523556300"
    assert macro("select $__unixEpochNanoFilter(time)") == (
        "select time >= 1523556000000000000 AND time <= 1523556300000000000"
    )
    assert macro("select $__unixEpochNanoFrom()") == "select 1523556000000000000"
    assert macro("select $__unixEpochNanoTo()") == "select 1523556300000000000"
    assert macro("select $__unixEpochFrom(), $__unixEpochTo()") == "select 1523556000, 1523556300"
    assert macro("SELECT $__unixEpochGroup(time_column+time_adjustment,'5m')") == (
        "SELECT floor((time_column+time_adjustment)/300)*300"
    )
    assert macro("SELECT $__unixEpochGroupAlias(time_column+time_adjustment,'5m')") == (
        'SELECT floor((time_column+time_adjustment)/300)*300 AS "time"'
    )


def test_interval_variables():
    sql = render_sql("$__interval $__interval_ms", {}, FROM, TO, interval=timedelta(minutes=10))
    assert sql == "10m 600000"
    with pytest.raises(GrafanaSqlError, match="interval="):
        render_sql("$__interval", {}, FROM, TO)


def test_macro_errors_are_grafanas():
    with pytest.raises(GrafanaSqlError, match='unknown macro "__timeFiltr"'):
        macro("WHERE $__timeFiltr(t)")
    # Go splits "" into [""]: an empty column is passed through, not refused (as in Grafana).
    assert macro("WHERE $__timeFilter()") == "WHERE  BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'"
    with pytest.raises(GrafanaSqlError, match="needs time column and interval"):
        macro("$__timeGroup(t)")
    with pytest.raises(GrafanaSqlError, match="error parsing interval 5 minutes"):
        macro("$__timeGroup(t, '5 minutes')")


def test_naive_times_are_refused():
    with pytest.raises(GrafanaSqlError, match="time_from must carry a time zone"):
        render_sql("select 1", {}, datetime(2022, 1, 1), TO)


# ------------------------------------------------------------------ template variables


def test_single_value_is_escaped_not_quoted():
    assert render_sql("year = $year AND i = '$indicator'", {"year": "2022", "indicator": "it's"}, FROM, TO) == (
        "year = 2022 AND i = 'it''s'"
    )


def test_multi_value_is_a_list_of_quoted_literals():
    variables = {"zone": ["看板A区", "O'Brien区"]}
    expected = "zone IN ('看板A区','O''Brien区')"
    assert render_sql("zone IN ($zone)", variables, FROM, TO) == expected
    assert render_sql("zone IN (${zone})", variables, FROM, TO) == expected
    assert render_sql("zone IN ([[zone]])", variables, FROM, TO) == expected


def test_a_single_value_of_a_multi_variable_is_still_quoted():
    specs = {"zone": VariableSpec(multi=True, include_all=True)}
    assert render_sql("zone IN ($zone)", {"zone": "看板A区"}, FROM, TO, specs=specs) == "zone IN ('看板A区')"


def test_named_formats():
    variables = {"zone": ["a", "b'c"]}
    assert render_sql("${zone:csv}", variables, FROM, TO) == "a,b'c"
    assert render_sql("${zone:sqlstring}", variables, FROM, TO) == "'a','b''c'"
    assert render_sql("[[zone:sqlstring]]", variables, FROM, TO) == "'a','b''c'"
    assert render_sql("${zone:raw}", variables, FROM, TO) == "a,b'c"
    assert render_sql("${zone:singlequote}", variables, FROM, TO) == "'a','b\\'c'"
    assert render_sql("${zone:doublequote}", variables, FROM, TO) == '"a","b\'c"'
    assert render_sql("${zone:pipe}", variables, FROM, TO) == "a|b'c"
    assert render_sql("${year:sqlstring}", {"year": "2022"}, FROM, TO) == "'2022'"
    with pytest.raises(GrafanaSqlError, match="format 'lucene' is not supported"):
        render_sql("${zone:lucene}", variables, FROM, TO)


def test_all_without_a_custom_value_is_every_option():
    specs = {"zone": VariableSpec(multi=True, include_all=True, options=("看板A区", "看板B区"))}
    assert render_sql("zone IN ($zone)", {"zone": ALL}, FROM, TO, specs=specs) == "zone IN ('看板A区','看板B区')"
    assert render_sql("zone IN ($zone)", {"zone": [ALL]}, FROM, TO, specs=specs) == "zone IN ('看板A区','看板B区')"
    assert render_sql("${zone:csv}", {"zone": [ALL]}, FROM, TO, specs=specs) == "看板A区,看板B区"


def test_all_with_a_custom_value_goes_in_raw():
    specs = {"zone": VariableSpec(multi=True, include_all=True, all_value="SELECT zone FROM progress")}
    assert render_sql("zone IN ($zone)", {"zone": ALL}, FROM, TO, specs=specs) == "zone IN (SELECT zone FROM progress)"


def test_all_of_no_options_is_empty_as_grafana_sends_it():
    specs = {"zone": VariableSpec(multi=True, include_all=True, options=())}
    assert (
        render_sql("zone = ANY(ARRAY[$zone]::text[])", {"zone": ALL}, FROM, TO, specs=specs)
        == "zone = ANY(ARRAY[]::text[])"
    )


def test_all_needs_its_options():
    with pytest.raises(GrafanaSqlError, match="pass its option values"):
        render_sql("$zone", {"zone": ALL}, FROM, TO, specs={"zone": VariableSpec(multi=True, include_all=True)})


def test_an_undefined_variable_is_named():
    with pytest.raises(GrafanaSqlError, match="variable 'zone' has no value"):
        render_sql("zone = '$zone'", {}, FROM, TO)


def test_builtin_range_variables_and_macros_are_not_variables():
    sql = render_sql("$__from $__to $__timeFrom()", {}, FROM, TO)
    assert sql == "1523556000000 1523556300000 '2018-04-12T18:00:00Z'"


def test_variables_are_replaced_before_macros():
    # A variable inside a macro's arguments is expanded first, as the browser does it before the server.
    assert render_sql("$__timeGroup(t, '$step')", {"step": "1h"}, FROM, TO, timescaledb=True) == (
        "time_bucket('3600.000s',t)"
    )


def test_variable_specs_from_a_board():
    board = {
        "templating": {
            "list": [
                {"name": "year", "type": "query"},
                {
                    "name": "zone",
                    "type": "query",
                    "multi": True,
                    "includeAll": True,
                    "options": [{"value": ALL, "text": "All"}, {"value": "看板A区", "text": "看板A区"}],
                },
            ]
        }
    }
    specs = variable_specs(board)
    assert specs["year"] == VariableSpec()
    assert specs["zone"] == VariableSpec(multi=True, include_all=True, options=("看板A区",))
    assert variable_specs(board, {"zone": ["x", "y"]})["zone"].options == ("x", "y")


def test_repeat_variables_of_panels_and_rows():
    board = {
        "panels": [
            {"id": 1, "type": "table"},
            {"id": 2, "type": "timeseries", "repeat": "zone"},
            {"id": 3, "type": "row", "repeat": "indicator", "panels": []},
            {"id": 4, "type": "timeseries"},
            {"id": 5, "type": "row", "collapsed": True, "repeat": "year", "panels": [{"id": 6, "type": "table"}]},
            {"id": 7, "type": "row", "panels": []},
            {"id": 8, "type": "table"},
        ]
    }
    assert repeat_variables(board) == {2: "zone", 4: "indicator", 6: "year"}
