"""Real XLSX files as reporters' offices make them: written by openpyxl, then given what Excel adds on saving.

openpyxl writes a formula without its result (`<f>SUM(D4:D5)</f><v />`); Excel saves the result it computed
beside the formula. `with_cached_values` writes those results into the sheet's XML the way Excel does, so
that reading with data_only=True sees what a reporter's file holds.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_cached_values(xlsx: bytes, results: Mapping[str, str], sheet_file: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with each formula cell of `results` (cell → the number Excel computed) holding that result."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == sheet_file:
                xml = data.decode("utf-8")
                for cell, result in results.items():
                    pattern = re.compile(rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)<v\s*/>')
                    xml, count = pattern.subn(lambda m, result=result: f"{m.group(1)}{m.group(2)}<v>{result}</v>", xml)
                    assert count == 1, f"no formula cell {cell} in {sheet_file}"
                data = xml.encode("utf-8")
            target.writestr(member, data)
    return out.getvalue()


def monthly_report() -> Workbook:
    """A county office's 5月 sheet: a merged title, a two-level header (本期数 merged over 累计数 and
    上年同期可比数, 园区 merged down over both header rows), a zone merged down over its indicators, a blank
    row, a formula, and a totals row (合计) at the bottom."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "5月"
    sheet["A1"] = "2025年5月开发区主要经济指标月报"
    sheet.merge_cells("A1:F1")
    sheet["A2"], sheet["B2"], sheet["C2"], sheet["D2"], sheet["F2"] = "园区", "指标名称", "期间", "本期数", "单位"
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.merge_cells("C2:C3")
    sheet.merge_cells("D2:E2")
    sheet.merge_cells("F2:F3")
    sheet["D3"], sheet["E3"] = "累计数", "上年同期可比数"
    rows = [
        ("高新区", "规模以上工业总产值", "2025年1-5月", 750200, 693300, "万元"),
        (None, "出口额", "2025年1-5月", "=D5-D7", None, "万元"),  # zone merged down from A4
        (None, None, None, None, None, None),  # a blank row between the zones
        ("经开区", "规上工业产值", "2025年1-5月", 412000, 398000, "万元"),
        ("合计", None, None, "=D4+D7", "=E4+E7", "万元"),
    ]
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=4 + offset, column=column, value=value)
    sheet.merge_cells("A4:A5")
    return workbook
