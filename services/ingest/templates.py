"""The ready sheets reporters fill in: GET /v1/templates/observations.xlsx, targets.xlsx, zones.xlsx and projects.xlsx (pure: catalog → bytes).

Each has a title line, the header ingest.sheets reads, one example row (its zone starts with 示例, so a sheet
uploaded with it still in place does not post it), and drop-down lists (data validation) of the catalog's
indicators, the units and the two bases, so a reporter picks rather than types. A second sheet lists the
catalog: each indicator's code, name, unit and the other names a sheet may use for it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from indicators_core.catalog import Catalog
from indicators_core.projects import STAGES as PROJECT_STAGES
from indicators_core.units import SCALES
from ingest.sheets import EXAMPLE_MARK, HEADER_ZH, column_letter

CATALOG_SHEET = "指标目录"
# Rows with drop-downs: a month of a large zone's report fits well within.
VALIDATED_ROWS = 2000


@dataclass(frozen=True)
class Template:
    title: str
    sheet: str
    fields: tuple[str, ...]
    example: tuple[object, ...]
    widths: tuple[int, ...]
    headers: tuple[tuple[str, str], ...] = ()  # a field shown otherwise than HEADER_ZH says

    def header(self, name: str) -> str:
        return dict(self.headers).get(name, HEADER_ZH[name])


TEMPLATES = {
    "observations": Template(
        title="开发区经济运行月报（累计数按“2026年1-5月”填写期间，季度指标按“2026年上半年”；金额可填万元或亿元，写在单位列）",
        sheet="月报",
        fields=(
            "zone",
            "indicator",
            "period",
            "value",
            "unit",
            "basis",
            "yoy_base",
            "reported_yoy_pct",
            "explanation",
        ),
        example=(f"{EXAMPLE_MARK}：高新区", "规上工业产值", "2026年1-5月", 750200, "万元", "累计", 693300, None, None),
        widths=(18, 22, 16, 14, 10, 8, 16, 12, 30),
        headers=(("reported_yoy_pct", "上报增速（%）"),),
    ),
    "targets": Template(
        title="开发区年度目标（总量目标填全年目标值；增速目标填百分数，如“增长10%以上”填10、单位填%）",
        sheet="年度目标",
        fields=("zone", "indicator", "year", "kind", "value", "unit"),
        example=(f"{EXAMPLE_MARK}：高新区", "规上工业产值", 2026, "总量", 166, "亿元"),
        widths=(18, 22, 10, 10, 14, 10),
        headers=(("value", "目标值"), ("kind", "目标类型")),
    ),
    "projects": Template(
        title="重大项目清单（一行一个项目；节点日期填实际日期，未到的留空；计划日期可不填，不填按默认期限督办）",
        sheet="重大项目",
        fields=(
            "id",
            "zone",
            "name",
            "tier",
            "industry",
            "total_investment",
            "unit",
            *(f"stages.{stage}" for stage in PROJECT_STAGES),
            *(f"planned.{stage}" for stage in PROJECT_STAGES),
        ),
        example=(
            f"{EXAMPLE_MARK}-2026-001",
            "高新区",
            "年产10万台新能源汽车电机项目",
            "市重大项目",
            "新能源汽车",
            125000,
            "万元",
            "2026-01-05",
            "2026-01-10",
            None,
            None,
            None,
            None,
            None,
            *(None,) * len(PROJECT_STAGES),
        ),
        widths=(16, 14, 30, 12, 12, 12, 8, *(12,) * (2 * len(PROJECT_STAGES))),
    ),
    "zones": Template(
        title="开发区名录（代码即报表中“园区”一栏所填；上级填另一已登记的代码；分组以顿号分隔）",
        sheet="开发区名录",
        fields=("code", "name_zh", "level", "kind", "parent", "groups"),
        example=(f"{EXAMPLE_MARK}-qianjiang", "杭州钱江经济开发区", "国家级", "经开区", "yuhang", "浙江省级以上开发区"),
        widths=(20, 26, 10, 10, 16, 30),
    ),
}


def template_xlsx(kind: str, catalog: Catalog) -> bytes:
    """The template of `kind` ("observations", "targets", "zones" or "projects") as an XLSX workbook."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    template = TEMPLATES[kind]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its sheet  # noqa: S101
    sheet.title = template.sheet
    last = column_letter(len(template.fields) - 1)
    sheet["A1"] = template.title
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = Alignment(horizontal="center")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (name, width) in enumerate(zip(template.fields, template.widths, strict=True)):
        cell = sheet.cell(row=2, column=index + 1, value=template.header(name))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[column_letter(index)].width = width
    for index, value in enumerate(template.example):
        sheet.cell(row=3, column=index + 1, value=value).font = Font(italic=True, color="808080")
    sheet["A3"].comment = Comment(
        f"示例行：园区以“{EXAMPLE_MARK}”开头的行不会上报。请在下面填写本园区的数据。", "indicators"
    )
    sheet.freeze_panes = "A3"

    listing = workbook.create_sheet(CATALOG_SHEET)
    listing.append(["指标", "代码", "单位", "也可写作"])
    for indicator in catalog.indicators.values():
        listing.append([indicator.name_zh, indicator.code, indicator.unit, "、".join(indicator.aliases)])
    for letter, width in zip("ABCD", (22, 26, 10, 40), strict=True):
        listing.column_dimensions[letter].width = width
    units = [unit for scale in SCALES.values() for unit in scale]
    for row, unit in enumerate(units, start=2):
        listing.cell(row=row, column=6, value=unit)
    listing.cell(row=1, column=6, value="单位可选")

    count = len(catalog.indicators)
    lists = {
        "indicator": f"'{CATALOG_SHEET}'!$A$2:$A${count + 1}",
        "unit": f"'{CATALOG_SHEET}'!$F$2:$F${len(units) + 1}",
        "basis": '"累计,当月"',
        "kind": '"总量,增速"' if kind == "targets" else None,
        "level": '"国家级,省级,其他"',
        "tier": '"省重大项目,市重大项目,区重大项目"',
    }
    for name, source in lists.items():
        if name not in template.fields or source is None:
            continue
        letter = column_letter(template.fields.index(name))
        validation = DataValidation(type="list", formula1=source, allow_blank=True, showDropDown=False)
        validation.error = f"请从列表中选择{template.header(name)}"
        validation.errorTitle = template.header(name)
        validation.add(f"{letter}3:{letter}{VALIDATED_ROWS + 2}")
        sheet.add_data_validation(validation)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
