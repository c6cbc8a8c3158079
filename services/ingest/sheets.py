"""Spreadsheets (CSV, XLSX) as the JSON batches the routes validate: pure, no I/O.

A reporter's 月报 sheet becomes the same `{"observations": [...]}` (or `{"targets": [...]}`) payload an
upstream system posts, so validation, scopes, plausibility and publishing are the JSON path's own code.
What this module adds is what only a sheet has:

- the file: CSV in UTF-8 (with or without the BOM Excel writes) or GB18030 (what Excel in China saves as
  "CSV"), XLSX read by openpyxl (the first sheet or the one named), formulas as their cached values;
- the header: Chinese or JSON field names in any order, found in the first rows below any title, merged
  cells spread over the columns they cover (a two-level header takes the lower level under a merged top);
- the rows: blank rows and totals rows (合计/小计/总计) and the template's example rows (示例…) skipped, a zone
  merged down over several rows given to each of them, indicator names and aliases made codes, periods
  as people write them (2023年1-5月, 2023.05, a date cell) made YYYY-MM with the basis they imply;
- the map back: each payload row remembers its sheet, row and column letters, so every problem the JSON
  validation finds is told as the cell a person looks for in Excel ("cell": "D7", "sheet": "5月", "row": 7).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from indicators_core.catalog import Catalog

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/comma-separated-values"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SheetFormat = Literal["csv", "xlsx"]
Kind = Literal["observations", "targets", "zones", "projects"]

# The header is looked for in this many rows from the top (a title, a unit line and a blank row above it).
HEADER_SEARCH_ROWS = 15
# An XLSX is a zip: its sheets, unpacked, may be far larger than the upload. Refused before openpyxl reads
# them: a 10 MB upload of 200 MB of XML is a zip bomb, not a 月报 (5000 rows are about 2 MB of XML).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Excel shows and computes with 15 significant digits; the binary double it stores for 75.02 is
# 75.0199999999999960209606797434389591217041015625. A cell is read as the figure Excel shows.
EXCEL_DIGITS = 15

# Header text (normalised: NFKC, no whitespace, casefolded, a trailing (unit) removed) → field.
_COMMON_HEADERS = {
    "zone": ("zone", "园区", "开发区", "园区名称", "开发区名称", "园区(开发区)", "单位名称"),
    "indicator": ("indicator", "指标", "指标名称", "指标代码", "项目"),
    "unit": ("unit", "单位", "计量单位"),
}
OBSERVATION_HEADERS: dict[str, tuple[str, ...]] = {
    **_COMMON_HEADERS,
    "period": ("period", "期间", "月份", "报告期", "时间", "统计期"),
    "value": ("value", "数值", "本期数", "本期", "累计数", "值"),
    "basis": ("basis", "口径", "统计口径"),
    "yoy_base": ("yoy_base", "上年同期可比数", "上年同期数", "上年同期", "可比数"),
    "explanation": ("explanation", "说明", "备注"),
    # The upstream's published growth rate (a growth-only row leaves 数值 empty). Not 同比增长: sheets carry
    # that as a computed column, which is read by no one.
    "reported_yoy_pct": ("reported_yoy_pct", "上报增速", "增速", "同比增速", "公布增速"),
}
TARGET_HEADERS: dict[str, tuple[str, ...]] = {
    **_COMMON_HEADERS,
    "year": ("year", "年份", "年度"),
    "value": ("value", "目标值", "全年目标", "年度目标", "目标", "数值"),
    "kind": ("kind", "目标类型", "类型"),
}
ZONE_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "代码", "编码", "园区代码", "开发区代码"),
    "name_zh": ("name_zh", "名称", "园区名称", "开发区名称", "全称"),
    "level": ("level", "级别", "等级"),
    "kind": ("kind", "类型", "类别"),
    "parent": ("parent", "上级", "上级代码", "所属"),
    "groups": ("groups", "分组", "比较组", "所属分组"),
}
# The supervision list (PUT /v1/projects): one row per project, a column per stage date; "stages.land" and
# "planned.land" are the nested fields of the JSON row. Investment by year or month goes as JSON only.
_STAGE_WORDS = {
    "meeting": ("上会",),
    "signed": ("签约",),
    "registered": ("注册",),
    "land": ("供地", "拿地"),
    "start": ("开工",),
    "completion": ("竣工",),
    "production": ("投产",),
}
PROJECT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "项目编号", "项目代码", "编号"),
    "zone": _COMMON_HEADERS["zone"],
    "name": ("name", "项目名称"),
    "tier": ("tier", "项目层级", "层级", "项目级别"),
    "industry": ("industry", "行业", "产业", "所属行业", "产业类别"),
    "total_investment": ("total_investment", "总投资", "计划总投资", "项目总投资"),
    "unit": _COMMON_HEADERS["unit"],
    **{
        f"stages.{stage}": (
            f"stages.{stage}",
            *(f"{word}{suffix}" for word in words for suffix in ("日期", "时间", "")),
        )
        for stage, words in _STAGE_WORDS.items()
    },
    **{
        f"planned.{stage}": (
            f"planned.{stage}",
            *(f"计划{word}{suffix}" for word in words for suffix in ("日期", "时间", "")),
        )
        for stage, words in _STAGE_WORDS.items()
    },
}
HEADERS: dict[Kind, dict[str, tuple[str, ...]]] = {
    "observations": OBSERVATION_HEADERS,
    "targets": TARGET_HEADERS,
    "zones": ZONE_HEADERS,
    "projects": PROJECT_HEADERS,
}
REQUIRED_HEADERS: dict[Kind, tuple[str, ...]] = {
    "observations": ("zone", "indicator", "period", "value"),
    "targets": ("zone", "indicator", "year", "value"),
    "zones": ("code", "name_zh", "level", "kind"),
    "projects": ("id", "zone", "name", "total_investment"),
}
PROJECT_TIER_WORDS = {
    "province": "province",
    "省重大项目": "province",
    "省重大": "province",
    "省级": "province",
    "city": "city",
    "市重大项目": "city",
    "市重大": "city",
    "市级": "city",
    "zone": "zone",
    "区重大项目": "zone",
    "区重大": "zone",
    "区级": "zone",
}
_DATE_TEXT = re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$")
# A required column another may stand in for: a growth-only sheet has 上报增速 and no 数值.
STAND_INS = {"value": "reported_yoy_pct"}
# A target's kind and a zone's level as people write them.
TARGET_KIND_WORDS = {
    "absolute": "absolute",
    "总量": "absolute",
    "绝对值": "absolute",
    "金额": "absolute",
    "growth": "growth",
    "增速": "growth",
    "增长": "growth",
    "增长率": "growth",
}
ZONE_LEVEL_WORDS = {
    "national": "national",
    "国家级": "national",
    "provincial": "provincial",
    "省级": "provincial",
    "other": "other",
    "其他": "other",
    "市级": "other",
    "县级": "other",
}
# Peer groups in one cell: 浙江省级以上开发区、杭州市开发区
_GROUP_SEPARATORS = re.compile(r"[、,，;；|/\n]")
# The Chinese header each field is shown with (templates, problems about a missing column).
HEADER_ZH = {
    "zone": "园区",
    "indicator": "指标",
    "period": "期间",
    "value": "数值",
    "unit": "单位",
    "basis": "口径",
    "yoy_base": "上年同期可比数",
    "explanation": "说明",
    "reported_yoy_pct": "上报增速",
    "year": "年份",
    "kind": "类型",
    "code": "代码",
    "name_zh": "名称",
    "level": "级别",
    "parent": "上级",
    "groups": "分组",
    "id": "项目编号",
    "name": "项目名称",
    "tier": "项目层级",
    "industry": "行业",
    "total_investment": "总投资",
    **{f"stages.{stage}": f"{words[0]}日期" for stage, words in _STAGE_WORDS.items()},
    **{f"planned.{stage}": f"计划{words[0]}日期" for stage, words in _STAGE_WORDS.items()},
}
BASIS_WORDS = {"ytd": "ytd", "累计": "ytd", "本年累计": "ytd", "month": "month", "当月": "month", "本月": "month"}
TOTALS_WORDS = ("合计", "总计", "小计", "全区合计", "总数")
EXAMPLE_MARK = "示例"

_UNIT_SUFFIX = re.compile(r"[(（]([^()（）]*)[)）]$")
_SPACES = re.compile(r"\s+")
# Periods as people write them. Digits are ASCII after NFKC (２０２３ → 2023).
_PERIOD_DASHED = re.compile(r"^(\d{4})[-./](\d{1,2})$")
_PERIOD_COMPACT = re.compile(r"^(\d{4})(\d{2})$")
_PERIOD_CHINESE = re.compile(r"^(\d{4})年(?:(\d{1,2})[-~～—–至到](\d{1,2})|(\d{1,2}))月(累计|当月)?$")
# Quarters (quarterly indicators such as 地区生产总值): 2023-Q2, 2023Q2, 2023年二季度 / 第二季度 / 2季度 (the
# quarter alone), and the year to date as bulletins write it: 2023年1-2季度, 上半年, 前三季度, 全年.
_PERIOD_QUARTER = re.compile(r"^(\d{4})(?:-|年)?[Qq]([1-4])$")
_QUARTER_CHINESE = re.compile(
    r"^(\d{4})年(?:(1)[-~～—–至到]([1-4])季度|第?([1-4一二三四])季度|(上半年|前三季度|全年))$"
)
_QUARTER_NUMERALS = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_QUARTERS_TO_DATE = {"上半年": 2, "前三季度": 3, "全年": 4}
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_EXCEL_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}


class SheetUnreadable(Exception):
    """The file as a whole cannot be read as the sheet it claims to be (one problem, no rows)."""

    def __init__(self, reason: str, sheet: str | None = None, status: int = 422):
        super().__init__(reason)
        self.reason = reason
        self.sheet = sheet
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"row": None, "field": "body", "cell": None, "sheet": self.sheet, "reason": self.reason}


@dataclass(frozen=True)
class Cell:
    """One cell as read: its value (str, int, float, Decimal, datetime or None) and whether it is a formula."""

    value: Any
    formula: str | None = None


@dataclass(frozen=True)
class Table:
    """A sheet's rows as (row number as Excel or a text editor shows it, cells from column A)."""

    sheet: str | None  # None for CSV (one table, no name)
    rows: list[tuple[int, list[Cell]]]


@dataclass(frozen=True)
class RowOrigin:
    """Where one payload row came from: its sheet row and the column letter of each field."""

    row: int
    columns: dict[str, str]


@dataclass(frozen=True)
class SheetProblem:
    """A problem of one cell (or of the file): the JSON problem's shape plus where to find it."""

    row: int | None
    field: str
    cell: str | None
    sheet: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "cell": self.cell, "sheet": self.sheet, "reason": self.reason}


@dataclass
class SheetBatch:
    """The payload to validate, where each of its rows came from, and the problems only the sheet shows."""

    kind: Kind
    sheet: str | None
    payload: dict[str, list[dict[str, Any]]]
    origins: list[RowOrigin]
    problems: list[SheetProblem] = field(default_factory=list)
    # (payload row, field) pairs whose problem is already told by the sheet: the JSON validation's words
    # about the same raw value (e.g. "'2023年13月' is not YYYY-MM") would only repeat it less clearly.
    told: set[tuple[int, str]] = field(default_factory=set)

    def locate(self, index: int | None, field_name: str, reason: str) -> SheetProblem:
        """A JSON problem (payload row index from 0, field) as the cell a person finds in Excel."""
        if index is None or not 0 <= index < len(self.origins):
            return SheetProblem(None, field_name, None, self.sheet, reason)
        origin = self.origins[index]
        letter = origin.columns.get(field_name)
        return SheetProblem(
            origin.row, field_name, f"{letter}{origin.row}" if letter else None, self.sheet, self._rows_named(reason)
        )

    def _rows_named(self, reason: str) -> str:
        # Validation names an earlier row by its index ("row 3 already reports …"): say the sheet's row.
        def sheet_row(match: re.Match[str]) -> str:
            index = int(match.group(1))
            return f"row {self.origins[index].row}" if 0 <= index < len(self.origins) else match.group(0)

        return re.sub(r"\brow (\d+)\b", sheet_row, reason)

    def relabel(self, problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """JSON problems or warnings ({"row": index, "field": …, …}) with the sheet's row, cell and sheet;
        validation's words about a value the sheet already refused are dropped (the sheet's say it better)."""
        located = []
        for problem in problems:
            index = problem.get("row")
            if isinstance(index, int) and (index, problem.get("field", "")) in self.told:
                continue
            where = self.locate(index if isinstance(index, int) else None, str(problem.get("field", "")), "")
            relabelled = dict(problem)
            relabelled.update(row=where.row, cell=where.cell, sheet=where.sheet)
            if "reason" in problem:
                relabelled["reason"] = self._rows_named(str(problem["reason"]))
            located.append(relabelled)
        return located


def sheet_format(content_type: str) -> SheetFormat | None:
    """ "csv" or "xlsx" for a Content-Type header that names a sheet, else None (parameters ignored)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in CSV_TYPES:
        return "csv"
    if media == XLSX_TYPE:
        return "xlsx"
    return None


# --- reading the file ---------------------------------------------------------------------------------------


def decode_csv(body: bytes) -> str:
    """The text of a CSV: UTF-8 (a BOM dropped), else GB18030, which Excel in China writes (and which
    covers GBK and GB2312). Bytes that are neither are one problem, naming where they are."""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return body.decode("gb18030")
        except UnicodeDecodeError:
            raise SheetUnreadable(
                f"the CSV is neither UTF-8 nor GB18030 (byte {utf8_error.start} is {body[utf8_error.start]:#04x});"
                " save it from Excel as 'CSV UTF-8' or plain 'CSV'"
            ) from None


def read_csv(body: bytes) -> Table:
    text = decode_csv(body)
    if "\x00" in text:
        raise SheetUnreadable("the file contains NUL bytes: it is not a CSV text file (an .xlsx sent as text/csv?)")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[tuple[int, list[Cell]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            rows.append((reader.line_num, [Cell(value) for value in record]))
    except csv.Error as error:
        raise SheetUnreadable(f"the CSV cannot be read at line {reader.line_num}: {error}") from None
    return Table(None, rows)


def read_xlsx(body: bytes, sheet: str | None = None) -> Table:
    """The named sheet (else the first) with merged ranges spread over their cells and formulas as their cached values."""
    import openpyxl  # imported here: only uploads of XLSX pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetUnreadable(
            "the file is not an XLSX workbook (not a zip archive); save it from Excel as .xlsx"
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetUnreadable(
            f"the workbook unpacks to {unpacked} bytes, more than the {MAX_UNPACKED_BYTES} read; split it", status=413
        )
    try:
        values = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(body), data_only=False)
    except (InvalidFileException, KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise SheetUnreadable(f"the file is not an XLSX workbook Excel can open ({type(error).__name__})") from None
    names = values.sheetnames
    if sheet is not None and sheet not in names:
        raise SheetUnreadable(f"the workbook has no sheet '{sheet}' (its sheets: {', '.join(names)})", sheet=sheet)
    name = sheet if sheet is not None else names[0]
    cached, written = values[name], formulas[name]
    merged: dict[tuple[int, int], tuple[int, int]] = {}
    for cell_range in cached.merged_cells.ranges:
        for row in range(cell_range.min_row, cell_range.max_row + 1):
            for column in range(cell_range.min_col, cell_range.max_col + 1):
                merged[(row, column)] = (cell_range.min_row, cell_range.min_col)
    rows: list[tuple[int, list[Cell]]] = []
    for number in range(1, cached.max_row + 1):
        cells: list[Cell] = []
        for column in range(1, cached.max_column + 1):
            # A merged range holds its value in its top-left cell only; a person sees it over the whole range.
            source = merged.get((number, column), (number, column))
            value = cached.cell(*source).value
            text = written.cell(*source).value
            formula = text if isinstance(text, str) and text.startswith("=") else None
            cells.append(Cell(value, formula))
        rows.append((number, cells))
    return Table(name, rows)


def read_table(body: bytes, form: SheetFormat, sheet: str | None = None) -> Table:
    if not body.strip():
        raise SheetUnreadable("the file is empty")
    return read_csv(body) if form == "csv" else read_xlsx(body, sheet)


# --- the header ---------------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _header_key(text: str) -> tuple[str, str | None]:
    """(normalised header text, the unit written after it in brackets, e.g. 本期数（万元） → ("本期数", "万元"))."""
    normal = _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()
    unit = None
    match = _UNIT_SUFFIX.search(normal)
    if match and match.start() > 0:
        unit = match.group(1) or None
        normal = normal[: match.start()]
    return normal, unit


def _header_fields(kind: Kind) -> dict[str, str]:
    headers = HEADERS[kind]
    return {_header_key(name)[0]: field_name for field_name, names in headers.items() for name in names}


@dataclass(frozen=True)
class Header:
    last_row: int  # the position in Table.rows of the header's last row; data start below it
    columns: dict[str, int]  # field → column index
    units: dict[str, str]  # field → the unit its header names (本期数（万元）)
    ignored: list[str]  # headers of columns that are no field (序号, 同比增长%): read by no one


def _labels(cells: Sequence[Cell], known: dict[str, str]) -> dict[int, tuple[str, str | None]]:
    labels = {}
    for index, cell in enumerate(cells):
        if isinstance(cell.value, str) and cell.value.strip():
            key, unit = _header_key(cell.value)
            if key in known:
                labels[index] = (known[key], unit)
    return labels


def _two_levels(top: dict[int, tuple[str, str | None]], below: dict[int, tuple[str, str | None]]) -> bool:
    """Whether the row below the top header is a second header level: it names two fields or more, and either
    the top names one field twice (a merged 本期数 spread over 累计数 and 上年同期可比数) or it names fields
    the top does not (an exported merged cell leaves the top's other columns empty)."""
    if len(top) < 2 or len(below) < 2:  # a title above the header is no header level
        return False
    top_fields = [name for name, _ in top.values()]
    return len(top_fields) != len(set(top_fields)) or bool({name for name, _ in below.values()} - set(top_fields))


def find_header(table: Table, kind: Kind) -> Header:
    """The header row: the first of the top rows that names every required field, with the row below it
    when that row names fields too (a two-level header whose top cells are merged over the lower ones)."""
    known = _header_fields(kind)
    required = REQUIRED_HEADERS[kind]
    best: tuple[int, dict[int, tuple[str, str | None]]] | None = None
    for position, (_, cells) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        labels = _labels(cells, known)
        below = _labels(table.rows[position + 1][1], known) if position + 1 < len(table.rows) else {}
        # A lower header row names what a merged top cell spans; its labels win in their columns.
        two_levels = _two_levels(labels, below)
        combined = {**labels, **below} if two_levels else labels
        last = position + 1 if two_levels else position
        fields = {name for name, _ in combined.values()}
        if all(name in fields or STAND_INS.get(name) in fields for name in required):
            return _header(table, last, combined)
        if best is None or len(fields) > len({name for name, _ in best[1].values()}):
            best = (position, combined)
    seen = ""
    if best is not None and best[1]:
        found = sorted({name for name, _ in best[1].values()})
        missing = [HEADER_ZH[name] for name in required if name not in found and STAND_INS.get(name) not in found]
        seen = f"; row {table.rows[best[0]][0]} has {', '.join(found)} but no {'、'.join(missing)}"
    wanted = "、".join(f"{HEADER_ZH[name]} ({name})" for name in required)
    raise SheetUnreadable(
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows: a header names the columns {wanted}{seen}",
        sheet=table.sheet,
    )


def _header(table: Table, last: int, labels: dict[int, tuple[str, str | None]]) -> Header:
    columns: dict[str, int] = {}
    units: dict[str, str] = {}
    header_row = table.rows[last][0]
    for index, (name, unit) in sorted(labels.items()):
        if name in columns:
            first = f"{column_letter(columns[name])}{header_row}"
            raise SheetUnreadable(
                f"two columns are {name} ({HEADER_ZH[name]}): {first} and {column_letter(index)}{header_row}; keep one",
                sheet=table.sheet,
            )
        columns[name] = index
        if unit:
            units[name] = unit
    ignored = [
        str(cell.value).strip()
        for index, cell in enumerate(table.rows[last][1])
        if index not in labels and isinstance(cell.value, str) and cell.value.strip()
    ]
    return Header(last, columns, units, ignored)


# --- cells as JSON values -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, float):
        return _excel_figure(value)
    return str(value).strip() if value is not None else ""


def _excel_figure(value: float) -> str:
    """A number cell as Excel shows it: 15 significant digits, no binary tail (75.02, not 75.0199999…)."""
    figure = Decimal(format(value, f".{EXCEL_DIGITS}g"))
    text = format(figure, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def figure_value(value: Any) -> Any:
    """A figure cell as validation reads figures: numbers as exact decimals, text with thousands separators
    (what Excel's CSV export writes for a number formatted 1,234.50) without them, other text as written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return Decimal(_excel_figure(value))
    if isinstance(value, Decimal):
        return value
    text = _text(value)
    if _THOUSANDS.match(text):
        return text.replace(",", "")
    return text


PeriodReading = tuple[str | None, str | None, str | None]


def parse_period(value: Any) -> PeriodReading:
    """(YYYY-MM, the basis the text implies or None, problem) for a period as people write it.

    2023-05, 2023-5, 2023.05, 2023/05, 202305, 2023年5月 → the month, basis as the 口径 column says;
    2023年1-5月 (or 1～5月, 1至5月) → May, cumulative (累计, ytd); 2023年5月当月 → May, the month alone;
    a date cell → its month. A number cell 2023.1 is refused: Excel keeps 2023.10 as 2023.1, so January
    and October cannot be told apart.
    """
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}", None, None
    if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        return _number_period(value)
    text = _SPACES.sub("", unicodedata.normalize("NFKC", _text(value)))
    if not text:
        return None, None, "is required (2023-05, 2023年5月 or 2023年1-5月)"
    match = _PERIOD_DASHED.match(text) or _PERIOD_COMPACT.match(text)
    if match:
        return _month(text, int(match.group(1)), int(match.group(2)), None)
    quarter = _quarter(text)
    if quarter is not None:
        return quarter
    chinese = _PERIOD_CHINESE.match(text)
    if chinese is None:
        return None, None, f"'{text}' is not a month (write 2023-05, 2023年5月 or 2023年1-5月) or a quarter (2023-Q2)"
    year, first, last, alone, word = chinese.groups()
    basis = None
    if first is not None:
        if int(first) != 1:
            reason = f"'{text}' starts in month {first}: a range is cumulative from January (1-{last}月); a month alone is written 2023年5月"
            return None, None, reason
        basis = "ytd"
    said = {"累计": "ytd", "当月": "month", None: None}[word]
    if basis is not None and said is not None and said != basis:
        return None, None, f"'{text}' says both 累计 and 当月"
    return _month(text, int(year), int(last if first is not None else alone), basis or said)


def _quarter(text: str) -> PeriodReading | None:
    """A quarter's period as the API writes it (2023-Q2), with the basis its words imply; None: not a quarter."""
    match = _PERIOD_QUARTER.match(text)
    if match:
        return f"{match.group(1)}-Q{match.group(2)}", None, None
    chinese = _QUARTER_CHINESE.match(text)
    if chinese is None:
        return None
    year, _, through, alone, to_date = chinese.groups()
    if through is not None:
        return f"{year}-Q{through}", "ytd", None
    if to_date is not None:
        return f"{year}-Q{_QUARTERS_TO_DATE[to_date]}", "ytd", None
    number = _QUARTER_NUMERALS[alone]
    # 二季度 alone is that quarter's own figure; 一季度 is also the year to date (the two are one figure).
    return f"{year}-Q{number}", "ytd" if number == 1 else "month", None


def _month(text: str, year: int, month: int, basis: str | None) -> PeriodReading:
    if not 1 <= month <= 12:
        return None, None, f"'{text}': month {month} is not 1..12"
    return f"{year:04d}-{month:02d}", basis, None


def _number_period(value: float | int | Decimal) -> PeriodReading:
    """A number cell typed as a period (2023.05): the month when its two decimals say it unambiguously."""
    shown = _excel_figure(float(value)) if isinstance(value, float) else str(value)
    whole, _, fraction = shown.partition(".")
    if len(fraction) == 2 and len(whole) == 4 and 1 <= int(fraction) <= 12:
        return f"{whole}-{fraction}", None, None
    if len(fraction) == 1:
        return (
            None,
            None,
            (
                f"{shown} is a number, which cannot tell {whole}年{fraction}月 from {whole}年{fraction}0月:"
                " write the period as text ('2023-05', '2023年5月') or a date"
            ),
        )
    return None, None, f"{shown} is not a month (write 2023-05, 2023年5月 or 2023年1-5月)"


def parse_basis(value: Any) -> tuple[str | None, str | None]:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", _text(value))).casefold()
    if not text:
        return None, None
    basis = BASIS_WORDS.get(text)
    if basis is None:
        return None, f"'{_text(value)}' is not 累计 (ytd) or 当月 (month)"
    return basis, None


def parse_year(value: Any) -> Any:
    """A year cell: 2024, 2024.0 (a number cell), '2024', '2024年'; anything else as written (validation names it)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().removesuffix("年").removesuffix("度")
        if text.isascii() and text.isdigit():
            return int(text)
    if isinstance(value, datetime | date):
        return value.year
    return value


def _is_blank(cells: Sequence[Cell], columns: Iterable[int]) -> bool:
    return all(_text(cells[index].value if index < len(cells) else None) == "" for index in columns)


def _is_totals_or_example(cells: Sequence[Cell], header: Header) -> bool:
    """A 合计/小计 row (sums of the rows above, not a zone's report) or the template's example row."""
    for name in ("zone", "indicator", "code", "id"):
        index = header.columns.get(name)
        if index is None or index >= len(cells):
            continue
        text = _SPACES.sub("", unicodedata.normalize("NFKC", _text(cells[index].value)))
        if text.startswith(TOTALS_WORDS) or (name in {"zone", "code", "id"} and text.startswith(EXAMPLE_MARK)):
            return True
    return False


class _RowReader:
    """One sheet row into one payload row, telling the sheet's own problems by cell."""

    def __init__(self, batch: SheetBatch, header: Header, catalog: Catalog, number: int, cells: Sequence[Cell]):
        self.batch, self.header, self.catalog, self.number, self.cells = batch, header, catalog, number, cells
        self.index = len(batch.origins)

    def cell(self, name: str) -> Cell | None:
        column = self.header.columns.get(name)
        if column is None or column >= len(self.cells):
            return None
        return self.cells[column]

    def tell(self, name: str, reason: str) -> None:
        column = self.header.columns.get(name)
        cell = f"{column_letter(column)}{self.number}" if column is not None else None
        self.batch.problems.append(SheetProblem(self.number, name, cell, self.batch.sheet, reason))
        self.batch.told.add((self.index, name))

    def value(self, name: str) -> Any:
        """The cell's value, or None when empty; a formula without a cached value or an Excel error is told."""
        cell = self.cell(name)
        if cell is None:
            return None
        if cell.formula is not None and cell.value is None:
            self.tell(
                name,
                f"the formula {cell.formula} has no saved value: the file was written by a program that does not"
                " compute formulas; open it in Excel (or WPS) and save it again",
            )
            return None
        if isinstance(cell.value, str) and cell.value.strip() in _EXCEL_ERRORS:
            formula = f" of {cell.formula}" if cell.formula else ""
            self.tell(name, f"the cell shows the Excel error {cell.value.strip()}{formula}, not a figure")
            return None
        if isinstance(cell.value, str) and not cell.value.strip():
            return None
        return cell.value

    def common(self) -> dict[str, Any]:
        row: dict[str, Any] = {}
        zone = self.value("zone")
        if zone is not None:
            row["zone"] = _text(zone)
        indicator = self.value("indicator")
        if indicator is not None:
            found = self.catalog.find(_text(indicator))
            if found is None:
                names = "、".join(i.name_zh for i in self.catalog.indicators.values())
                self.tell("indicator", f"unknown indicator '{_text(indicator)}' (known: {names}; or their codes)")
            row["indicator"] = found.code if found is not None else _text(indicator)
        unit = self.value("unit")
        if unit is not None:
            row["unit"] = _text(unit)
        elif "value" in self.header.units:
            row["unit"] = self.header.units["value"]
        value = self.value("value")
        if value is not None:
            row["value"] = figure_value(value)
        return row

    def observation(self) -> dict[str, Any]:
        row = self.common()
        period = self.value("period")
        implied = None
        if (self.index, "period") not in self.batch.told:  # not already told (a formula without a value)
            text, implied, problem = parse_period(period)
            if problem is not None:
                self.tell("period", problem)
                row["period"] = _text(period)
            else:
                row["period"] = text
        basis_cell = self.value("basis")
        basis, problem = parse_basis(basis_cell)
        if problem is not None:
            self.tell("basis", problem)
            row["basis"] = _text(basis_cell)
        elif basis is not None and implied is not None and basis != implied:
            period_cell = f"{column_letter(self.header.columns['period'])}{self.number}"
            self.tell(
                "basis",
                f"'{_text(basis_cell)}' contradicts the period '{_text(period)}' ({period_cell}), which is"
                f" {'累计 (ytd)' if implied == 'ytd' else '当月 (month)'}: correct one of them",
            )
        elif basis is not None or implied is not None:
            row["basis"] = basis or implied
        base = self.value("yoy_base")
        if base is not None:
            row["yoy_base"] = figure_value(base)
        explanation = self.value("explanation")
        if explanation is not None:
            row["explanation"] = _text(explanation)
        rate = self.value("reported_yoy_pct")
        if rate is not None:
            row["reported_yoy_pct"] = figure_value(rate)
        return row

    def target(self) -> dict[str, Any]:
        row = self.common()
        year = self.value("year")
        if year is not None:
            row["year"] = parse_year(year)
        kind = self.value("kind")
        if kind is not None:
            row["kind"] = self.word("kind", kind, TARGET_KIND_WORDS)
        return row

    def zone(self) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name in ("code", "name_zh", "kind", "parent"):
            value = self.value(name)
            if value is not None:
                row[name] = _text(value)
        level = self.value("level")
        if level is not None:
            row["level"] = self.word("level", level, ZONE_LEVEL_WORDS)
        groups = self.value("groups")
        if groups is not None:
            row["groups"] = [group.strip() for group in _GROUP_SEPARATORS.split(_text(groups)) if group.strip()]
        return row

    def project(self) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name in ("id", "zone", "name", "industry"):
            value = self.value(name)
            if value is not None:
                row[name] = _text(value)
        tier = self.value("tier")
        if tier is not None:
            row["tier"] = self.word("tier", tier, PROJECT_TIER_WORDS)
        total = self.value("total_investment")
        if total is not None:
            row["total_investment"] = figure_value(total)
        unit = self.value("unit")
        if unit is not None:
            row["unit"] = _text(unit)
        elif "total_investment" in self.header.units:
            row["unit"] = self.header.units["total_investment"]
        for group in ("stages", "planned"):
            dates = {}
            for stage in _STAGE_WORDS:
                value = self.value(f"{group}.{stage}")
                if value is not None:
                    dates[stage] = self.date(f"{group}.{stage}", value)
            if dates:
                row[group] = dates
        return row

    def date(self, name: str, value: Any) -> str:
        """A date cell (or 2026-03-10, 2026/3/10, 2026年3月10日) as YYYY-MM-DD; told when it is none."""
        if isinstance(value, datetime | date):
            return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        text = _SPACES.sub("", unicodedata.normalize("NFKC", _text(value)))
        match = _DATE_TEXT.match(text)
        if match is not None:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day).isoformat()
            except ValueError as error:
                self.tell(name, f"'{text}' is not a day of the calendar ({error})")
                return text
        if isinstance(value, float | int):
            reason = f"{text} is a number, not a date: format the cell as a date (2026-03-10)"
        else:
            reason = f"'{text}' is not a date (write 2026-03-10, 2026/3/10 or 2026年3月10日)"
        self.tell(name, reason)
        return text

    def word(self, name: str, value: Any, words: dict[str, str]) -> str:
        """A cell's word as the JSON field's value (国家级 → national); told when it is none of them."""
        text = _text(value)
        found = words.get(_SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold())
        if found is None:
            self.tell(name, f"'{text}' is not one of {'、'.join(words)}")
            return text
        return found


def sheet_batch(table: Table, kind: Kind, catalog: Catalog) -> SheetBatch:
    """The sheet's rows as the JSON payload of `kind`, with where each came from and the sheet's own problems."""
    header = find_header(table, kind)
    batch = SheetBatch(kind, table.sheet, {kind: []}, [])
    letters = {name: column_letter(index) for name, index in header.columns.items()}
    for number, cells in table.rows[header.last_row + 1 :]:
        if _is_blank(cells, header.columns.values()) or _is_totals_or_example(cells, header):
            continue
        reader = _RowReader(batch, header, catalog, number, cells)
        read_row = {
            "observations": reader.observation,
            "targets": reader.target,
            "zones": reader.zone,
            "projects": reader.project,
        }[kind]
        batch.payload[kind].append(read_row())
        batch.origins.append(RowOrigin(number, letters))
    if not batch.origins:
        header_row = table.rows[header.last_row][0]
        raise SheetUnreadable(f"the sheet has a header (row {header_row}) but no rows below it", sheet=table.sheet)
    return batch


def read_sheet(body: bytes, form: SheetFormat, kind: Kind, catalog: Catalog, sheet: str | None = None) -> SheetBatch:
    """An uploaded file as a SheetBatch (raises SheetUnreadable for a file that is no such sheet)."""
    return sheet_batch(read_table(body, form, sheet), kind, catalog)
