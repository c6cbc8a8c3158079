"""Sheets as batches (ingest.sheets): reading real files, the header, periods, and every problem told by its cell.

Pure: the files are made here (openpyxl, GB18030 bytes as Excel writes them) and read by the module, then
validated by the JSON path's own validation, so the figures checked are the ones ingest would publish.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook

from indicators_core.catalog import CatalogError, load_catalog, parse_catalog
from indicators_core.progress import Basis
from indicators_core.units import SCALES
from ingest.projects import validate_projects
from ingest.sheets import SheetUnreadable, parse_period, read_sheet
from ingest.templates import template_xlsx
from ingest.validation import BatchInvalid, validate_observations, validate_targets
from ingest.zones import validate_zones
from tests.sheets.workbooks import monthly_report, saved, with_cached_values

CATALOG = load_catalog()
TODAY = date(2026, 11, 23)


def located(batch, error: BatchInvalid | None = None):
    """(cell, field, reason) of every problem, the sheet's own first, as the 422 lists them."""
    found = [p.as_dict() for p in batch.problems] + batch.relabel(p.as_dict() for p in (error.errors if error else []))
    return [(p["cell"], p["field"], p["reason"]) for p in found]


def validated(batch):
    return validate_observations(batch.payload, CATALOG, TODAY, 100)


def test_a_monthly_report_with_merged_headers_formulas_and_a_totals_row_is_read_as_a_person_reads_it():
    xlsx = with_cached_values(saved(monthly_report()), {"D5": "125000", "D8": "1162200", "E8": "1091300"})
    batch = read_sheet(xlsx, "xlsx", "observations", CATALOG)
    assert batch.sheet == "5月" and batch.problems == []
    # The title and both header rows are skipped, the blank row and 合计 too; 高新区 is merged over rows 4-5.
    assert [origin.row for origin in batch.origins] == [4, 5, 7]
    assert batch.origins[0].columns == {
        "zone": "A",
        "indicator": "B",
        "period": "C",
        "value": "D",
        "yoy_base": "E",
        "unit": "F",
    }
    rows = validated(batch)
    assert [(r.zone, r.indicator, r.year, r.month, r.basis) for r in rows] == [
        ("高新区", "industrial_output", 2025, 5, Basis.YTD),  # 规模以上工业总产值: an alias
        ("高新区", "export", 2025, 5, Basis.YTD),
        ("经开区", "industrial_output", 2025, 5, Basis.YTD),
    ]
    # 万元 → 亿元 exactly; the formula =D5-D7 is read as Excel's saved result.
    assert [(r.value, r.yoy_base) for r in rows] == [
        (D("75.02"), D("69.33")),
        (D("12.5"), None),
        (D("41.2"), D("39.8")),
    ]


def test_a_formula_without_a_saved_value_is_an_error_naming_its_cell():
    # Saved by openpyxl only: no program computed =D5-D7, so the file holds no value for D5.
    batch = read_sheet(saved(monthly_report()), "xlsx", "observations", CATALOG)
    with pytest.raises(BatchInvalid) as caught:
        validated(batch)
    assert located(batch, caught.value) == [
        (
            "D5",
            "value",
            "the formula =D5-D7 has no saved value: the file was written by a program that does not compute"
            " formulas; open it in Excel (or WPS) and save it again",
        )
    ]
    assert batch.relabel([])[:0] == [] and batch.problems[0].as_dict()["sheet"] == "5月"


def test_a_gb18030_csv_as_excel_saves_it_is_read_with_its_chinese_and_its_thousands_separators():
    # Excel (Chinese Windows) "CSV (逗号分隔)": GB18030 bytes, CRLF, a number formatted 1,234.50 quoted.
    text = (
        "开发区月报,,,,\r\n"
        "开发区,指标,月份,数值（万元）,口径\r\n"
        '综保区,进出口总额,2025年1-2月,"1,234.50",累计\r\n'
        "综保区,出口额,2025.02,860,\r\n"
    )
    body = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # really not UTF-8
    batch = read_sheet(body, "csv", "observations", CATALOG)
    assert batch.sheet is None
    assert batch.payload["observations"] == [
        {
            "zone": "综保区",
            "indicator": "import_export",
            "unit": "万元",
            "value": "1234.50",
            "period": "2025-02",
            "basis": "ytd",
        },
        {"zone": "综保区", "indicator": "export", "unit": "万元", "value": "860", "period": "2025-02"},
    ]
    # 1-2月 is cumulative through February; the unit comes from the header's （万元）.
    (trade, export) = validated(batch)
    assert (trade.value, trade.month, trade.basis) == (D("0.12345"), 2, Basis.YTD)
    assert (export.value, export.reported_value, export.reported_unit) == (D("0.086"), D("860"), "万元")


def test_a_utf8_csv_with_a_bom_and_json_field_names_in_any_order():
    body = "\ufeffvalue,period,unit,indicator,zone,basis\r\n12.5,2025-06,亿元,export,高新区,month\r\n".encode()
    (row,) = validated(read_sheet(body, "csv", "observations", CATALOG))
    assert (row.zone, row.indicator, row.month, row.basis, row.value) == ("高新区", "export", 6, Basis.MONTH, D("12.5"))


@pytest.mark.parametrize(
    ("written", "period", "basis"),
    [
        ("2023-05", "2023-05", None),
        ("2023-5", "2023-05", None),
        ("2023.05", "2023-05", None),
        ("2023/05", "2023-05", None),
        ("202305", "2023-05", None),
        ("2023年5月", "2023-05", None),
        ("2023年1-5月", "2023-05", "ytd"),
        ("２０２３年１－５月", "2023-05", "ytd"),
        ("2023年1～5月", "2023-05", "ytd"),
        ("2023年1-2月", "2023-02", "ytd"),
        ("2023年5月当月", "2023-05", "month"),
        ("2023年1-5月累计", "2023-05", "ytd"),
        (datetime(2023, 5, 1), "2023-05", None),  # a date cell, as Excel stores a typed 2023-05
        (2023.05, "2023-05", None),  # a number cell: two decimals are unambiguous
        (2023.12, "2023-12", None),
    ],
)
def test_periods_as_people_write_them(written, period, basis):
    assert parse_period(written) == (period, basis, None)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        (
            2023.1,
            "2023.1 is a number, which cannot tell 2023年1月 from 2023年10月: write the period as text"
            " ('2023-05', '2023年5月') or a date",
        ),
        (
            "2023年3-5月",
            "'2023年3-5月' starts in month 3: a range is cumulative from January (1-5月); a month alone is written 2023年5月",
        ),
        ("2023年13月", "'2023年13月': month 13 is not 1..12"),
        ("五月", "'五月' is not a month (write 2023-05, 2023年5月 or 2023年1-5月) or a quarter (2023-Q2)"),
        ("2023年1-5月当月", "'2023年1-5月当月' says both 累计 and 当月"),
    ],
)
def test_periods_that_cannot_be_read_say_why(written, reason):
    assert parse_period(written) == (None, None, reason)


def test_a_period_that_says_its_basis_and_a_basis_cell_that_says_the_other_is_an_error_on_the_basis_cell():
    body = "园区,指标,期间,数值,单位,口径\n高新区,出口额,2025年1-5月,12.5,亿元,当月\n".encode()
    batch = read_sheet(body, "csv", "observations", CATALOG)
    validated(batch)  # the JSON payload has no basis left to contradict: the sheet's problem stands alone
    assert located(batch) == [
        (
            "F2",
            "basis",
            "'当月' contradicts the period '2025年1-5月' (C2), which is 累计 (ytd): correct one of them",
        )
    ]


def test_every_validation_error_is_told_by_its_cell_and_sheet_row():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "6月"
    sheet.append(["园区", "指标", "期间", "数值", "单位", "上年同期可比数"])
    sheet.append(["高新区", "规上工业产值", "2025-06", 80, "亿元", None])
    sheet.append(["高新区", "出口额", "2030-06", "12,5", "亿元", 0])  # future, not a number, a zero base
    sheet.append(["高新区", "规上工业产值", "2025年6月", 81, "亿元", None])  # the same month as row 2
    sheet.append(["高|新区", "不存在的指标", "2025-06", 1, "斤", None])
    sheet.append(["经开区", "出口额", "2025-06", 1, "斤", None])
    batch = read_sheet(saved(workbook), "xlsx", "observations", CATALOG)
    with pytest.raises(BatchInvalid) as caught:
        validated(batch)
    known = "、".join(i.name_zh for i in CATALOG.indicators.values())
    # The duplicate's reason names the sheet's row 2 where validation said row 0; its advice is validation's own.
    told = [(cell, field, reason.split("; send one row")[0]) for cell, field, reason in located(batch, caught.value)]
    assert told == [
        ("B5", "indicator", f"unknown indicator '不存在的指标' (known: {known}; or their codes)"),
        ("C3", "period", "'2030-06' is in the future"),
        (
            "D3",
            "value",
            "'12,5' is not a number: send a JSON number or ASCII digits with an optional '-', '.' and exponent"
            " (75.02, 7.502e5), no thousands separators",
        ),
        (
            "F3",
            "yoy_base",
            "is zero: no growth rate can be computed against a zero base; leave yoy_base out when there is no"
            " comparable base",
        ),
        ("C4", "period", "row 2 already reports 高新区 industrial_output 2025-06"),
        ("A5", "zone", "must not contain '|'"),
        ("E6", "unit", "unknown unit '斤' (expected one of 元、万元、亿元) for export (出口额, 亿元)"),
    ]
    assert {p["sheet"] for p in batch.relabel(p.as_dict() for p in caught.value.errors)} == {"6月"}
    assert {p["row"] for p in batch.relabel(p.as_dict() for p in caught.value.errors)} == {3, 4, 5, 6}


def test_a_named_sheet_is_read_and_an_unknown_one_is_one_problem():
    workbook = monthly_report()
    june = workbook.create_sheet("6月")
    june.append(["园区", "指标", "期间", "数值", "单位"])
    june.append(["高新区", "出口额", "2025年6月", 3.1, "亿元"])
    xlsx = saved(workbook)
    batch = read_sheet(xlsx, "xlsx", "observations", CATALOG, sheet="6月")
    assert (batch.sheet, batch.payload["observations"][0]["value"]) == ("6月", D("3.1"))
    with pytest.raises(SheetUnreadable) as caught:
        read_sheet(xlsx, "xlsx", "observations", CATALOG, sheet="7月")
    assert caught.value.reason == "the workbook has no sheet '7月' (its sheets: 5月, 6月)"


@pytest.mark.parametrize(
    ("body", "form", "reason"),
    [
        (
            b"PK\x03\x04 not really",
            "xlsx",
            "the file is not an XLSX workbook (not a zip archive); save it from Excel as .xlsx",
        ),
        (b"", "csv", "the file is empty"),
        (
            "名称,数量\n高新区,3\n".encode(),
            "csv",
            "no header row found in the first 15 rows: a header names the columns 园区 (zone)、指标 (indicator)、期间 (period)、数值 (value)",
        ),
        (
            "园区,指标,数值\n高新区,出口额,3\n".encode(),
            "csv",
            "no header row found in the first 15 rows: a header names the columns 园区 (zone)、指标 (indicator)、期间 (period)、数值 (value);"
            " row 1 has indicator, value, zone but no 期间",
        ),
        ("园区,指标,期间,数值,数值\n".encode(), "csv", "two columns are value (数值): D1 and E1; keep one"),
        ("园区,指标,期间,数值\n,,,\n合计,,,3\n".encode(), "csv", "the sheet has a header (row 1) but no rows below it"),
        (
            b"\xff\xfe\x00z\x00",
            "csv",
            "the CSV is neither UTF-8 nor GB18030 (byte 0 is 0xff); save it from Excel as 'CSV UTF-8' or plain 'CSV'",
        ),
    ],
)
def test_a_file_that_is_no_such_sheet_is_one_clear_problem(body, form, reason):
    with pytest.raises(SheetUnreadable) as caught:
        read_sheet(body, form, "observations", CATALOG)
    assert caught.value.reason == reason


def test_a_targets_sheet_with_year_cells_as_numbers_and_text():
    body = "园区,指标,年份,目标值,单位\n高新区,规上工业产值,2026,166,亿元\n经开区,出口,2026年,45000,万元\n".encode()
    rows = validate_targets(read_sheet(body, "csv", "targets", CATALOG).payload, CATALOG, 100)
    assert [(r.zone, r.indicator, r.year, r.value) for r in rows] == [
        ("高新区", "industrial_output", 2026, D("166")),
        ("经开区", "export", 2026, D("4.5")),
    ]


def test_the_template_has_the_header_an_example_row_and_drop_downs_of_the_catalog():
    workbook = load_workbook(io.BytesIO(template_xlsx("observations", CATALOG)))
    sheet = workbook["月报"]
    assert [c.value for c in sheet[2]] == [
        "园区",
        "指标",
        "期间",
        "数值",
        "单位",
        "口径",
        "上年同期可比数",
        "上报增速（%）",
        "说明",
    ]
    assert [c.value for c in sheet[3]] == [
        "示例：高新区",
        "规上工业产值",
        "2026年1-5月",
        750200,
        "万元",
        "累计",
        693300,
        None,
        None,
    ]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    count = len(CATALOG.indicators)
    units = [unit for scale in SCALES.values() for unit in scale]
    assert lists == {
        "B3:B2002": f"'指标目录'!$A$2:$A${count + 1}",
        "E3:E2002": f"'指标目录'!$F$2:$F${len(units) + 1}",
        "F3:F2002": '"累计,当月"',
    }
    listing = workbook["指标目录"]
    assert [listing.cell(row=r, column=1).value for r in range(2, count + 2)] == [
        i.name_zh for i in CATALOG.indicators.values()
    ]
    assert [listing.cell(row=r, column=6).value for r in range(2, len(units) + 2)] == units
    assert units[:8] == ["元", "万元", "亿元", "美元", "万美元", "亿美元", "个", "项"]
    # Uploaded as it comes, the example row is not posted; filled in, the sheet is a batch.
    with pytest.raises(SheetUnreadable, match="no rows below it"):
        read_sheet(template_xlsx("observations", CATALOG), "xlsx", "observations", CATALOG)
    sheet.append(["高新区", "出口额", "2025年1-5月", 12.5, "亿元", "累计", None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    (row,) = validated(read_sheet(buffer.getvalue(), "xlsx", "observations", CATALOG))
    assert (row.zone, row.indicator, row.month, row.value) == ("高新区", "export", 5, D("12.5"))


def test_the_targets_template_reads_back():
    workbook = load_workbook(io.BytesIO(template_xlsx("targets", CATALOG)))
    sheet = workbook["年度目标"]
    assert [c.value for c in sheet[2]] == ["园区", "指标", "年份", "目标类型", "目标值", "单位"]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["D3:D2002"] == '"总量,增速"'
    sheet.append(["经开区", "签约项目数", 2026, None, 40, "个"])
    sheet.append(["经开区", "规上工业产值", 2026, "增速", 10, "%"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = validate_targets(read_sheet(buffer.getvalue(), "xlsx", "targets", CATALOG).payload, CATALOG, 100)
    assert [(r.zone, r.indicator, r.year, r.kind, r.value) for r in rows] == [
        ("经开区", "signed_projects", 2026, "absolute", D("40")),
        ("经开区", "industrial_output", 2026, "growth", D("10")),
    ]


def test_the_zones_template_reads_back():
    workbook = load_workbook(io.BytesIO(template_xlsx("zones", CATALOG)))
    sheet = workbook["开发区名录"]
    assert [c.value for c in sheet[2]] == ["代码", "名称", "级别", "类型", "上级", "分组"]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {"C3:C2002": '"国家级,省级,其他"'}
    sheet.append(["yuhang", "余杭区", "其他", "区县", None, None])
    sheet.append(["qianjiang-edz", "杭州钱江经济开发区", "国家级", "经开区", "yuhang", "浙江省级以上开发区"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = validate_zones(read_sheet(buffer.getvalue(), "xlsx", "zones", CATALOG).payload, 100)
    assert [(r.code, r.name_zh, r.level, r.parent, r.groups) for r in rows] == [
        ("yuhang", "余杭区", "other", None, ()),
        ("qianjiang-edz", "杭州钱江经济开发区", "national", "yuhang", ("浙江省级以上开发区",)),
    ]


def test_catalog_aliases_find_an_indicator_and_may_not_name_two():
    assert CATALOG.find("规模以上工业总产值").code == "industrial_output"
    assert CATALOG.find(" 规上工业产值 ").code == "industrial_output"
    assert CATALOG.find("industrial_output").code == "industrial_output"
    assert CATALOG.find("工业") is None
    text = (
        '[[indicator]]\ncode = "a"\nname_zh = "甲"\nunit = "亿元"\nscale = "cny"\naliases = ["总产值"]\n'
        '[[indicator]]\ncode = "b"\nname_zh = "乙"\nunit = "亿元"\nscale = "cny"\naliases = ["总产值"]\n'
    )
    with pytest.raises(CatalogError, match="the name '总产值' of b is also a name of a"):
        parse_catalog(text)


@pytest.mark.parametrize(
    ("written", "period", "basis"),
    [
        ("2025-Q2", "2025-Q2", "ytd"),  # the API's own form: cumulative 1-2季度 unless the 口径 column says
        ("2025年1-2季度", "2025-Q2", "ytd"),
        ("2025年上半年", "2025-Q2", "ytd"),
        ("2025年前三季度", "2025-Q3", "ytd"),
        ("2025年一季度", "2025-Q1", "ytd"),
        ("2025年二季度", "2025-Q2", "month"),  # the quarter alone
    ],
)
def test_a_quarterly_indicator_takes_its_periods_as_bulletins_write_them(written, period, basis):
    body = f"园区,指标,期间,数值,单位\n高新区,地区生产总值,{written},512.3,亿元\n".encode()
    batch = read_sheet(body, "csv", "observations", CATALOG)
    assert batch.payload["observations"][0]["period"] == period
    (row,) = validated(batch)
    assert (row.indicator, row.year, row.month, row.basis, row.value) == (
        "gdp",
        2025,
        int(period[-1]) * 3,
        Basis(basis),
        D("512.3"),
    )


def test_a_growth_only_sheet_has_the_published_rate_and_no_amount():
    body = "园区,指标,期间,上报增速（%）\n高新区,进出口总额,2025年1-5月,97.5\n".encode()
    batch = read_sheet(body, "csv", "observations", CATALOG)
    assert batch.payload["observations"] == [
        {
            "zone": "高新区",
            "indicator": "import_export",
            "period": "2025-05",
            "basis": "ytd",
            "reported_yoy_pct": "97.5",
        }
    ]
    (row,) = validated(batch)
    assert (row.value, row.reported_yoy_pct) == (None, D("97.5"))


def test_targets_of_both_kinds_in_one_sheet():
    body = "园区,指标,年份,目标类型,目标值,单位\n高新区,规上工业产值,2026,总量,166,亿元\n高新区,规上工业产值,2026,增速,10,%\n"
    rows = validate_targets(read_sheet(body.encode(), "csv", "targets", CATALOG).payload, CATALOG, 100)
    assert [(r.kind, r.value, r.reported_unit) for r in rows] == [
        ("absolute", D("166"), "亿元"),
        ("growth", D("10"), "%"),
    ]


def test_a_zone_registry_sheet_in_chinese_words():
    body = (
        "代码,名称,级别,类型,上级,分组\n"
        "yuhang,余杭区,其他,区县,,\n"
        "qianjiang-edz,杭州钱江经济开发区,国家级,经开区,yuhang,浙江省级以上开发区、杭州市开发区\n"
        "合计,,,,,\n"
    ).encode("gb18030")
    batch = read_sheet(body, "csv", "zones", CATALOG)
    assert batch.payload["zones"] == [
        {"code": "yuhang", "name_zh": "余杭区", "kind": "区县", "level": "other"},
        {
            "code": "qianjiang-edz",
            "name_zh": "杭州钱江经济开发区",
            "kind": "经开区",
            "parent": "yuhang",
            "level": "national",
            "groups": ["浙江省级以上开发区", "杭州市开发区"],
        },
    ]
    rows = validate_zones(batch.payload, 100)
    assert [(r.code, r.level, r.parent, r.groups) for r in rows] == [
        ("yuhang", "other", None, ()),
        ("qianjiang-edz", "national", "yuhang", ("浙江省级以上开发区", "杭州市开发区")),
    ]


def test_a_zone_level_that_is_no_level_is_told_by_its_cell():
    body = "代码,名称,级别,类型\nxiaoshan-edz,萧山经开区,副省级,经开区\n".encode()
    batch = read_sheet(body, "csv", "zones", CATALOG)
    assert located(batch) == [
        ("C2", "level", "'副省级' is not one of national、国家级、provincial、省级、other、其他、市级、县级")
    ]


def test_a_project_list_sheet_reads_into_the_nested_rows():
    body = (
        "项目编号,园区,项目名称,项目层级,行业,总投资（万元）,上会日期,签约日期,供地日期,开工日期,计划开工日期\n"
        "gx-001,高新区,智能装备产业园,市重大项目,装备制造,85000,2026-01-05,2026-01-10,2026/3/1,,2026年6月30日\n"
        "示例-001,高新区,示例项目,区重大,,1,,,,,\n"
        "合计,,,,,85000,,,,,\n"
    ).encode("gb18030")
    batch = read_sheet(body, "csv", "projects", CATALOG)
    assert batch.payload["projects"] == [
        {
            "id": "gx-001",
            "zone": "高新区",
            "name": "智能装备产业园",
            "industry": "装备制造",
            "tier": "city",
            "total_investment": "85000",
            "unit": "万元",
            "stages": {"meeting": "2026-01-05", "signed": "2026-01-10", "land": "2026-03-01"},
            "planned": {"start": "2026-06-30"},
        }
    ]
    (row,) = validate_projects(batch.payload, date(2026, 11, 23), 100)
    assert (row.id, row.tier, row.total_investment) == ("gx-001", "city", D("8.5"))


def test_a_project_date_that_is_no_date_is_told_by_its_cell():
    body = "项目编号,园区,项目名称,总投资,单位,签约日期,开工日期\np-1,高新区,甲项目,2,亿元,2026-02-30,下月\n".encode()
    batch = read_sheet(body, "csv", "projects", CATALOG)
    assert located(batch) == [
        ("F2", "stages.signed", "'2026-02-30' is not a day of the calendar (day is out of range for month)"),
        ("G2", "stages.start", "'下月' is not a date (write 2026-03-10, 2026/3/10 or 2026年3月10日)"),
    ]


def test_the_projects_template_reads_back():
    workbook = load_workbook(io.BytesIO(template_xlsx("projects", CATALOG)))
    sheet = workbook["重大项目"]
    assert [c.value for c in sheet[2]][:9] == [
        "项目编号",
        "园区",
        "项目名称",
        "项目层级",
        "行业",
        "总投资",
        "单位",
        "上会日期",
        "签约日期",
    ]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {"D3:D2002": '"省重大项目,市重大项目,区重大项目"', "G3:G2002": lists["G3:G2002"]}
    sheet.append(
        ["gx-002", "高新区", "乙项目", "省重大项目", None, 3, "亿元", datetime(2026, 2, 1), datetime(2026, 2, 9)]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    (row,) = validate_projects(
        read_sheet(buffer.getvalue(), "xlsx", "projects", CATALOG).payload, date(2026, 11, 23), 100
    )
    assert (row.id, row.tier, row.total_investment) == ("gx-002", "province", D("3"))
    assert read_sheet(buffer.getvalue(), "xlsx", "projects", CATALOG).payload["projects"][0]["stages"] == {
        "meeting": "2026-02-01",
        "signed": "2026-02-09",
    }
