"""`indicators` run as a subprocess against the real stack: upload (dry run, cells of errors, batch ids), progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from tests.sheets.workbooks import saved
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration
INDICATORS = Path(sys.executable).with_name("indicators")


def run(pipeline: Pipeline, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INDICATORS_URL": pipeline.ingest_url,
        "INDICATORS_QUERY_URL": pipeline.query_url,
        "INDICATORS_KEY": pipeline.admin_key,
        "COLUMNS": "200",
    }
    if config is not None:
        env = {k: v for k, v in env.items() if not k.startswith("INDICATORS_")} | {"INDICATORS_CONFIG": str(config)}
    return subprocess.run([str(INDICATORS), *args], capture_output=True, text=True, env=env, timeout=120)


def report(path: Path, zone: str, rows: list[tuple]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "月报"
    sheet.append(["园区", "指标", "期间", "数值", "单位"])
    for row in rows:
        sheet.append([zone, *row])
    path.write_bytes(saved(workbook))
    return path


def test_upload_names_bad_cells_and_a_dry_run_publishes_nothing(pipeline: Pipeline, tmp_path: Path):
    zone = f"综保区-{uuid.uuid4().hex[:6]}"
    bad = report(
        tmp_path / "bad.xlsx", zone, [("出口额", "2025年1-5月", 12.5, "亿元"), ("出口额", "2025年13月", "x", "亿元")]
    )
    failed = run(pipeline, "upload", str(bad))
    assert failed.returncode == 1
    assert "月报!C3" in failed.stderr and "month 13 is not 1..12" in failed.stderr
    assert "月报!D3" in failed.stderr
    good = report(tmp_path / "good.xlsx", zone, [("出口额", "2025年1-5月", 12.5, "亿元")])
    dry = run(pipeline, "upload", "--dry-run", str(good))
    assert dry.returncode == 0, dry.stderr
    assert "valid: 1 observations rows of good.xlsx (月报); nothing was published (--dry-run)" in dry.stdout
    assert pipeline.revision_count(zone) == 0


def test_upload_in_batches_prints_batch_ids_and_progress_reads_back(pipeline: Pipeline, tmp_path: Path):
    zone = f"生态园-{uuid.uuid4().hex[:6]}"
    rows = [("规上工业产值", f"2024-{m:02d}", 10 * m, "亿元") for m in range(1, 13)]
    rows += [("规上工业产值", f"2025年1-{m}月", 11 * m, "亿元") for m in range(1, 6)]
    sheet = report(tmp_path / "year.xlsx", zone, rows)
    done = run(pipeline, "upload", "--batch-rows", "5", str(sheet))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("accepted\n") == 4  # 17 rows in batches of 5
    assert "accepted: 17 observations rows of year.xlsx (月报) in 4 batch(es)" in done.stdout
    targets = tmp_path / "targets.json"
    targets.write_text(
        json.dumps({"targets": [{"zone": zone, "indicator": "industrial_output", "year": 2025, "value": 120}]})
    )
    assert run(pipeline, "upload", str(targets)).returncode == 0

    def table() -> list[dict] | None:
        shown = run(pipeline, "progress", "--year", "2025", "--month", "5", "--zone", zone, "--format", "json")
        items = json.loads(shown.stdout)["items"] if shown.returncode == 0 else []
        return items if items and items[0]["on_track"] is not None else None

    (item,) = wait_for(table, timeout=60, what=f"progress of {zone}")
    # 55 against 50 last year: +10%; 55 of 120 = 45.8% against 41.7% time progress.
    assert (item["ytd_value"], item["yoy_pct"], item["completion_pct"], item["progress_gap_pp"]) == (55, 10, 45.8, 4.2)
    shown = run(pipeline, "progress", "--year", "2025", "--month", "5", "--zone", zone)
    assert shown.returncode == 0, shown.stderr
    line = next(line for line in shown.stdout.splitlines() if zone in line)
    assert "规上工业产值" in line and "45.8%" in line and "✔ 超序时进度4.2个百分点" in line
    csv_out = run(pipeline, "progress", "--year", "2025", "--month", "5", "--zone", zone, "--format", "csv")
    assert csv_out.stdout.splitlines()[1].startswith(f"{zone},规上工业产值,industrial_output,2025-05,亿元,55,")


def test_settings_come_from_a_config_file(pipeline: Pipeline, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(
        f'url = "{pipeline.ingest_url}"\nquery_url = "{pipeline.query_url}"\nkey = "{pipeline.admin_key}"\n'
    )
    shown = run(pipeline, "alerts", "--format", "json", config=config)
    assert shown.returncode == 0, shown.stderr
    assert set(json.loads(shown.stdout)) >= {"items", "counts"}
    config.write_text('colour = "red"\n')
    wrong = run(pipeline, "alerts", config=config)
    assert wrong.returncode == 1 and "unknown setting 'colour'" in wrong.stderr


def test_upload_a_zone_registry_sheet_in_one_batch_and_read_the_names_back(pipeline: Pipeline, tmp_path: Path):
    tag = uuid.uuid4().hex[:6]
    district, zone = f"cli-district-{tag}", f"cli-edz-{tag}"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名录"
    sheet.append(["代码", "名称", "级别", "类型", "上级", "分组"])
    sheet.append([district, f"命令行区-{tag}", "其他", "区县", None, None])
    sheet.append([zone, f"命令行经开区-{tag}", "省级", "经开区", district, f"命令行组-{tag}、杭州市开发区"])
    path = tmp_path / "zones.xlsx"
    path.write_bytes(saved(workbook))
    # --batch-rows 1 is not obeyed for a registry: the child's parent is in the same batch.
    done = run(pipeline, "upload", "--batch-rows", "1", str(path))
    assert done.returncode == 0, done.stderr
    assert "accepted: 2 zones rows of zones.xlsx (名录) in 1 batch(es)" in done.stdout

    def registered() -> dict | None:
        items = httpx.get(f"{pipeline.query_url}/v1/zones", timeout=10).json()["items"]
        return next((item for item in items if item["code"] == zone), None)

    item = wait_for(registered, timeout=60, what=f"zone {zone} registered")
    assert (item["name_zh"], item["level"], item["kind"], item["parent"]) == (
        f"命令行经开区-{tag}",
        "provincial",
        "经开区",
        district,
    )
    assert item["parents"] == [{"code": district, "name_zh": f"命令行区-{tag}"}]
    assert item["groups"] == [f"命令行组-{tag}", "杭州市开发区"]


def test_upload_wait_returns_once_every_row_is_stored_and_computed(pipeline: Pipeline, tmp_path: Path):
    """A backfill's way: --wait follows the batches on the query service (GET /v1/batches) until every row is
    stored, so the figures read right after the command are the whole file's, with no waiting of our own."""
    zone = f"回填区-{uuid.uuid4().hex[:6]}"
    # 1991-2001: years no other test of the session's pipeline reports (the boards' tests list zones by year).
    rows = [
        ("规上工业产值", f"{year}-{m:02d}", (year - 1990) * m, "亿元")
        for year in range(1991, 2002)
        for m in range(1, 13)
    ]
    sheet = report(tmp_path / "history.xlsx", zone, rows)
    done = run(pipeline, "upload", "--batch-rows", "40", "--wait", str(sheet))
    assert done.returncode == 0, done.stderr
    assert "accepted: 132 observations rows of history.xlsx (月报) in 4 batch(es)" in done.stdout
    assert "stored and computed: 132 rows in " in done.stdout
    assert pipeline.revision_count(zone) == 132
    shown = run(pipeline, "progress", "--year", "2001", "--month", "12", "--zone", zone, "--format", "json")
    (item,) = json.loads(shown.stdout)["items"]
    # 11 × 12 = 132 in 2001 against 10 × 12 = 120 in 2000: +10%.
    assert (item["ytd_value"], item["ytd_last_year"], item["yoy_pct"]) == (132, 120, 10)

    batch_ids = [line.split()[1].rstrip(":") for line in done.stdout.splitlines() if line.startswith("batch ")]
    answer = httpx.get(f"{pipeline.query_url}/v1/batches", params=[("id", b) for b in batch_ids], timeout=10).json()
    assert [(item["rows_stored"], item["by_kind"]) for item in answer["items"]] == [
        (40, {"observations": 40}),
        (40, {"observations": 40}),
        (40, {"observations": 40}),
        (12, {"observations": 12}),
    ]


def test_batches_are_asked_by_their_ids(pipeline: Pipeline):
    unknown = str(uuid.uuid4())
    answer = httpx.get(f"{pipeline.query_url}/v1/batches", params={"id": unknown}, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"items": [{"batch_id": unknown, "rows_stored": 0, "by_kind": {}}]}
    wrong = httpx.get(f"{pipeline.query_url}/v1/batches", params={"id": "batch-7"}, timeout=10)
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {"field": "id", "reason": "'batch-7' is not a batch id (a UUID, as ingest answers it)"}
    ]
    many = httpx.get(
        f"{pipeline.query_url}/v1/batches", params=[("id", str(uuid.uuid4())) for _ in range(101)], timeout=10
    )
    assert many.status_code == 422
    assert many.json()["errors"] == [{"field": "id", "reason": "at most 100 batch ids per request, not 101"}]
