"""/v1/progress and /v1/series as CSV and XLSX (query.downloads): Chinese headers with units, percentages as on
screen, values as stored. Against a real PostgreSQL, the progress table seeded as the processor writes it."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook

from query.config import QuerySettings
from query.downloads import excel_value
from tests.in_process import query_api
from tests.query.progress_rows import seed

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def client(migrated: str) -> AsyncIterator[httpx.AsyncClient]:
    async with query_api(QuerySettings(database_url=migrated)) as api:
        yield api


def rows_of_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_progress_as_csv_has_chinese_headers_units_and_the_figures_as_on_screen(client, migrated):
    tag = uuid.uuid4().hex[:6]
    lagging, ahead = f"临港-{tag}", f"高新区-{tag}"
    seed(migrated, ahead, "industrial_output", 2025, 5, "75.02", last="69.33", target="166")
    seed(migrated, lagging, "industrial_output", 2025, 5, "40.123456789012345678", last="42", target="120")
    params = {"year": 2025, "month": 5, "zone": [ahead, lagging], "format": "csv"}
    response = await client.get("/v1/progress", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    header, first, second = rows_of_csv(response.content)
    assert header == [
        "园区",
        "指标",
        "指标代码",
        "期间",
        "单位",
        "本年累计（亿元）",
        "当月（亿元）",
        "上年同期累计（亿元）",
        "同比基数（亿元）",
        "同比增长（%）",
        "当月同比增长（%）",
        "全年目标（亿元）",
        "目标完成率（%）",
        "序时进度（%）",
        "超（落后）序时进度（百分点）",
        "状态",
        "说明",
    ]
    # Lagging first, as on screen; the stored 18 decimals kept; percentages rounded half up to 1 decimal.
    assert first[:6] == [lagging, "规上工业产值", "industrial_output", "2025-05", "亿元", "40.123456789012345678"]
    assert first[9:16] == ["-4.5", "", "120", "33.4", "41.7", "-8.2", "落后序时进度8.2个百分点"]
    assert second[5] == "75.02" and second[9:16] == ["8.2", "", "166", "45.2", "41.7", "3.5", "超序时进度3.5个百分点"]
    # The same through the Accept header, with ?digits= as on screen.
    accept = await client.get(
        "/v1/progress",
        params={**{k: v for k, v in params.items() if k != "format"}, "digits": 2},
        headers={"Accept": "text/csv"},
    )
    assert rows_of_csv(accept.content)[2][9] == "8.21"


async def test_series_as_xlsx_keeps_exact_figures_and_rounds_percentages(client, migrated):
    zone = f"综保区-{uuid.uuid4().hex[:6]}"
    seed(migrated, zone, "export", 2025, 4, "10.5", last="10", target="40")
    seed(migrated, zone, "export", 2025, 5, "12.3456789012345678", last="11", target="40")
    response = await client.get("/v1/series", params={"zone": zone, "indicator": "export"}, headers={"Accept": XLSX})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][5] == "本年累计（亿元）" and rows[0][9] == "同比增长（%）"
    assert [row[3] for row in rows[1:]] == ["2025-04", "2025-05"]
    # 10.5 is a number cell; 18 significant digits do not fit Excel's double: the stored digits, as text.
    assert rows[1][5] == 10.5 and rows[2][5] == "12.3456789012345678"
    assert rows[1][9] == 5 and rows[2][9] == 12.2  # (12.3456… − 11) / 11 = 12.23…%, rounded as on screen
    assert rows[2][12] == 30.9 and rows[2][13] == 41.7


async def test_a_format_that_is_none_of_them_is_named(client):
    response = await client.get("/v1/progress", params={"format": "pdf"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "format", "reason": "'pdf' is not json, csv or xlsx"}]


def test_excel_cells_hold_a_number_only_when_excel_keeps_it_exactly():
    assert excel_value(Decimal("75.02")) == 75.02
    assert excel_value(Decimal("166")) == 166 and isinstance(excel_value(Decimal("166")), int)
    assert excel_value(Decimal("0.1234567890123456")) == "0.1234567890123456"
    assert excel_value(None) is None and excel_value("高新区") == "高新区"
