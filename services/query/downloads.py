"""/v1/progress and /v1/series as a sheet a bureau takes back into its own: CSV or XLSX, by Accept or ?format=.

Chinese headers with the unit in them (本年累计（亿元）); percentages as the JSON and the board show them (rounded
once, half up, to the digits asked); values exactly as stored: a CSV holds the stored digits, an XLSX holds a
number cell where Excel's double keeps the stored figure (15 significant digits) and the digits as text where it
would not. Pure: items in, bytes out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from query.params import BadQuery
from query.schemas import ExactJSONResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["json", "csv", "xlsx"]
FORMATS: dict[str, Format] = {"json": "json", "csv": "csv", "xlsx": "xlsx"}
# Excel keeps 15 significant digits of a number; a stored figure with more is written as its digits (text).
EXCEL_DIGITS = 15


def wanted_format(request: Request, asked: str | None) -> Format:
    """?format= when given (json, csv, xlsx), else the first of CSV or XLSX the Accept header names, else JSON."""
    if asked is not None and asked.strip():
        form = FORMATS.get(asked.strip().lower())
        if form is None:
            raise BadQuery("format", f"'{asked[:40]}' is not json, csv or xlsx")
        return form
    accept = request.headers.get("accept", "").lower()
    positions = {form: accept.find(media) for form, media in (("csv", "text/csv"), ("xlsx", XLSX_TYPE))}
    named = sorted((position, form) for form, position in positions.items() if position >= 0)
    return FORMATS[named[0][1]] if named else "json"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[dict[str, Any]], Any]
    percent: bool = False


def _columns(unit: str | None) -> list[Column]:
    """The columns of a progress item; figures' headers carry `unit` when all rows share one (else the 单位 column says)."""
    of = f"（{unit}）" if unit else ""
    return [
        Column("园区", lambda item: item["zone"]),
        Column("指标", lambda item: item["indicator_name"]),
        Column("指标代码", lambda item: item["indicator"]),
        Column("期间", lambda item: item["period"]),
        Column("单位", lambda item: item["unit"]),
        Column(f"本年累计{of}", lambda item: item["ytd_value"]),
        Column(f"当月{of}", lambda item: item["month_value"]),
        Column(f"上年同期累计{of}", lambda item: item["ytd_last_year"]),
        Column(f"同比基数{of}", lambda item: item["yoy_base"]),
        Column("同比增长（%）", lambda item: item["yoy_pct"], percent=True),
        Column("当月同比增长（%）", lambda item: item["month_yoy_pct"], percent=True),
        Column(f"全年目标{of}", lambda item: item["target_value"]),
        Column("目标完成率（%）", lambda item: item["completion_pct"], percent=True),
        Column("序时进度（%）", lambda item: item["time_progress_pct"], percent=True),
        Column("超（落后）序时进度（百分点）", lambda item: item["progress_gap_pp"], percent=True),
        Column("状态", lambda item: item["status_zh"]),
        Column("说明", lambda item: item.get("explanation")),
    ]


def table(items: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """(headers, rows) of progress items as shown in a sheet."""
    units = {item["unit"] for item in items}
    columns = _columns(next(iter(units)) if len(units) == 1 else None)
    return [column.header for column in columns], [[column.value(item) for column in columns] for item in items]


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM: Excel opens it with its Chinese intact (without the BOM it guesses the ANSI code page)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def excel_value(value: Any) -> Any:
    """A number cell when Excel's double holds the figure exactly as its digits read, else the digits as text."""
    if not isinstance(value, Decimal):
        return value
    if len(value.normalize().as_tuple().digits) <= EXCEL_DIGITS and Decimal(repr(float(value))) == value:
        return int(value) if value == value.to_integral_value() and abs(value) < 10**EXCEL_DIGITS else float(value)
    return format(value, "f")


def xlsx_bytes(title: str, headers: list[str], rows: list[list[Any]], percent_digits: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101
    sheet.title = title[:31]  # Excel's limit on a sheet's name
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    percent_format = "0" if percent_digits == 0 else "0." + "0" * percent_digits
    percent_columns = {index for index, header in enumerate(headers) if "（%）" in header or "百分点" in header}
    for row in rows:
        sheet.append([excel_value(value) for value in row])
        for index in percent_columns:
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = percent_format
    for index, header in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(10, 2 * len(header) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def answer(
    form: Format, content: dict[str, Any], items: Sequence[dict[str, Any]], filename: str, percent_digits: int
) -> Response:
    """The route's answer in the format asked: the JSON as before, or the items as a CSV or XLSX download."""
    if form == "json":
        return ExactJSONResponse(content)
    headers, rows = table(items)
    disposition = f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}.{form}\"; filename*=UTF-8''{quote(filename)}.{form}"
    if form == "csv":
        return Response(
            csv_bytes(headers, rows), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
        )
    body = xlsx_bytes(filename, headers, rows, percent_digits)
    return Response(body, media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})
