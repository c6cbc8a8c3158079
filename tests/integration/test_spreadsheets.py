"""Sheets through the real stack: an XLSX and a GB18030 CSV posted to ingest, the figures read back from query,
and the same figures downloaded as CSV. Each test's zones are its own."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest
from openpyxl import Workbook

from tests.sheets.workbooks import XLSX, saved, with_cached_values
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration


def _progress(pipeline: Pipeline, zone: str, year: int, month: int) -> dict | None:
    response = httpx.get(
        f"{pipeline.query_url}/v1/progress",
        params={"zone": zone, "indicator": "industrial_output", "year": year, "month": month},
        timeout=10,
    )
    items = response.json()["items"]
    return items[0] if items else None


def test_an_xlsx_report_and_a_gb18030_targets_csv_give_the_published_figures(pipeline: Pipeline):
    zone = f"高新区-{uuid.uuid4().hex[:6]}"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "5月"
    sheet["A1"] = "主要经济指标月报"
    sheet.merge_cells("A1:E1")
    sheet.append(["园区", "指标名称", "期间", "本期数", "单位"])
    sheet.append([zone, "规模以上工业总产值", "2024年1-5月", 69.33, "亿元"])
    sheet.append([zone, "规上工业产值", "2025年1-5月", "=D3*10000+D5", "万元"])  # a formula, saved by "Excel"
    sheet.append(["合计", None, None, None, None])
    xlsx = with_cached_values(saved(workbook), {"D4": "750200"})
    auth = {"Authorization": f"Bearer {pipeline.admin_key}"}
    accepted = httpx.post(
        f"{pipeline.ingest_url}/v1/observations", content=xlsx, headers={**auth, "Content-Type": XLSX}, timeout=30
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["accepted"] == 2 and accepted.json()["sheet"] == "5月"

    targets = f"园区,指标,年份,目标值（亿元）\r\n{zone},规上工业产值,2025,166\r\n".encode("gb18030")
    response = httpx.put(
        f"{pipeline.ingest_url}/v1/targets", content=targets, headers={**auth, "Content-Type": "text/csv"}, timeout=30
    )
    assert response.status_code == 202, response.text

    item = wait_for(
        lambda: (found := _progress(pipeline, zone, 2025, 5)) is not None and found["on_track"] is not None and found,
        timeout=60,
        what=f"progress of {zone}",
        last=lambda: _progress(pipeline, zone, 2025, 5),
    )
    assert (item["ytd_value"], item["ytd_last_year"], item["yoy_pct"]) == (75.02, 69.33, 8.2)
    assert (item["target_value"], item["completion_pct"], item["progress_gap_pp"]) == (166, 45.2, 3.5)

    download = httpx.get(
        f"{pipeline.query_url}/v1/progress",
        params={"zone": zone, "year": 2025, "month": 5, "format": "csv"},
        timeout=10,
    )
    header, row = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    figures = dict(zip(header, row, strict=True))
    assert figures["本年累计（亿元）"] == "75.02" and figures["同比增长（%）"] == "8.2"
    assert figures["目标完成率（%）"] == "45.2" and figures["状态"] == "超序时进度3.5个百分点"


def test_a_sheet_with_a_bad_cell_publishes_nothing_and_names_the_cell(pipeline: Pipeline):
    zone = f"经开区-{uuid.uuid4().hex[:6]}"
    body = f"园区,指标,期间,数值,单位,口径\n{zone},出口额,2025年1-5月,12.5,亿元,累计\n{zone},出口额,2025年1-6月,12.5,亿元,当月\n"
    response = httpx.post(
        f"{pipeline.ingest_url}/v1/observations?dry_run=false",
        content=body.encode(),
        headers={"Authorization": f"Bearer {pipeline.admin_key}", "Content-Type": "text/csv"},
        timeout=30,
    )
    assert response.status_code == 422
    assert [(e["row"], e["cell"], e["field"]) for e in response.json()["errors"]] == [(3, "F3", "basis")]
    assert pipeline.revision_count(zone) == 0
