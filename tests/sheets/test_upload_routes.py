"""The write routes choose by Content-Type (JSON, CSV, XLSX, else 415), bound sheets as JSON (413), answer a dry run
with 200, and tell a sheet's problems by cell; GET /v1/templates/*.xlsx. In-process: no answer here needs a broker
(a dry run publishes nothing; plausibility is checked on the batch alone while PostgreSQL is unreachable)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from ingest.config import IngestSettings
from ingest.main import create_app
from stack.ports import free_port
from tests.sheets.workbooks import XLSX, monthly_report, saved, with_cached_values

KEY = "sheets-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
SCOPED_KEY = "gaoxin-stats-key-0123456789"


@pytest.fixture(scope="module")
def client():
    settings = IngestSettings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        database_url=f"postgresql://127.0.0.1:{free_port()}/none",
        admin_key=KEY,
        broker_connect_timeout_s=0.2,
        publish_timeout_s=0.5,
        max_body_bytes=64 * 1024,
        api_keys={"高新区统计局": {"keys": [SCOPED_KEY], "zones": ["高新区"]}},
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_dry_run_of_an_xlsx_validates_the_whole_sheet_and_publishes_nothing(client):
    xlsx = with_cached_values(saved(monthly_report()), {"D5": "125000", "D8": "1162200", "E8": "1091300"})
    response = client.post("/v1/observations?dry_run=true", content=xlsx, headers={**AUTH, "Content-Type": XLSX})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "valid": True,
        "rows": 3,
        "published": False,
        "sheet": "5月",
        "plausibility": "batch only (database unavailable)",
    }


def test_a_sheet_with_problems_is_one_422_naming_every_cell(client):
    body = "园区,指标,期间,数值,单位\n高新区,出口额,2025年1-5月,abc,亿元\n高新区,规上工业产值,2025/13,1,斤\n".encode()
    response = client.post(
        "/v1/observations", content=body, headers={**AUTH, "Content-Type": "text/csv; charset=utf-8"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "2 row(s) rejected (3 problem(s)); nothing was published"
    assert [(e["row"], e["cell"], e["field"]) for e in body["errors"]] == [
        (3, "C3", "period"),
        (2, "D2", "value"),
        (3, "E3", "unit"),
    ]
    assert body["errors"][0] == {
        "row": 3,
        "field": "period",
        "cell": "C3",
        "sheet": None,
        "reason": "'2025/13': month 13 is not 1..12",
    }


def test_a_json_body_is_read_as_before_and_can_be_dry_run(client):
    rows = {"targets": [{"zone": "高新区", "indicator": "industrial_output", "year": 2026, "value": 166}]}
    response = client.put("/v1/targets?dry_run=1", json=rows, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "rows": 1, "published": False}


def test_another_content_type_is_415_and_a_large_sheet_413(client):
    response = client.post("/v1/observations", content=b"<xml/>", headers={**AUTH, "Content-Type": "application/xml"})
    assert response.status_code == 415
    assert response.json()["detail"].startswith(
        "Content-Type 'application/xml' is not read here; send application/json"
    )
    big = ("园区,指标,期间,数值,单位\n" + "高新区,出口额,2025-05,1,亿元\n" * 4000).encode()
    response = client.post("/v1/observations", content=big, headers={**AUTH, "Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_a_sheet_needs_a_key_like_any_write(client):
    response = client.post("/v1/observations", content=b"a,b\n", headers={"Content-Type": "text/csv"})
    assert response.status_code == 401


def test_the_templates_are_served_as_workbooks(client):
    for kind, sheet in (
        ("observations", "月报"),
        ("targets", "年度目标"),
        ("zones", "开发区名录"),
        ("projects", "重大项目"),
    ):
        response = client.get(f"/v1/templates/{kind}.xlsx")
        assert response.status_code == 200
        assert response.headers["content-type"] == XLSX
        assert f'filename="{kind}.xlsx"' in response.headers["content-disposition"]
        assert load_workbook(io.BytesIO(response.content)).sheetnames == [sheet, "指标目录"]
    missing = client.get("/v1/templates/alerts.xlsx")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "no template 'alerts.xlsx'; there are: observations.xlsx, targets.xlsx, projects.xlsx, zones.xlsx"
    }


def test_scope_violations_and_plausibility_warnings_of_a_sheet_name_the_cell(client):
    body = "园区,指标,期间,数值,单位\n高新区,出口额,2025-05,1,亿元\n经开区,出口额,2025-05,1,亿元\n".encode()
    scoped = {"Authorization": f"Bearer {SCOPED_KEY}", "Content-Type": "text/csv"}
    response = client.post("/v1/observations?dry_run=true", content=body, headers=scoped)
    assert response.status_code == 403
    assert [(e["row"], e["cell"], e["field"]) for e in response.json()["errors"]] == [(3, "A3", "zone")]
    # A part above its whole (出口额 above 进出口总额), found on the batch alone.
    body = "园区,指标,期间,数值,单位\n综保区,进出口总额,2025-05,10,亿元\n综保区,出口额,2025-05,20,亿元\n".encode()
    response = client.post("/v1/observations", content=body, headers={**AUTH, "Content-Type": "text/csv"})
    assert response.status_code == 422
    (warning,) = response.json()["warnings"]
    assert (warning["row"], warning["cell"], warning["sheet"], warning["rule"]) == (3, "D3", None, "part_of")
    assert warning["figures"] == {"part": "20", "whole": "10"}


ZONES_CSV = (
    "代码,名称,级别,类型,上级\nyuhang,余杭区,其他,区县,\nqianjiang-edz,杭州钱江经济开发区,国家级,经开区,yuhang\n"
).encode()


def test_the_zone_registry_can_be_uploaded_as_a_sheet_by_the_admin_only(client):
    # Both parents are in the sheet: the registry need not be read, so the dry run answers without PostgreSQL.
    response = client.put("/v1/zones?dry_run=true", content=ZONES_CSV, headers={**AUTH, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "rows": 2, "published": False, "sheet": None}
    scoped = {"Authorization": f"Bearer {SCOPED_KEY}", "Content-Type": "text/csv"}
    assert client.put("/v1/zones?dry_run=true", content=ZONES_CSV, headers=scoped).status_code == 403


def test_a_zone_sheet_naming_an_unknown_parent_needs_the_registry():
    # xiaoshan is in neither the sheet nor (unreadable) PostgreSQL: a 503 naming the database, not a guess.
    body = "代码,名称,级别,类型,上级\nxiaoshan-edz,萧山经开区,国家级,经开区,xiaoshan\n".encode()
    with TestClient(create_app(strict_settings(False))) as client:
        response = client.put("/v1/zones", content=body, headers={**AUTH, "Content-Type": "text/csv"})
    assert response.status_code == 503, response.text
    detail = response.json()["detail"]
    assert detail.startswith("the zone registry could not be read (PostgreSQL at 127.0.0.1:")
    assert detail.endswith("a parent outside the batch cannot be confirmed; nothing was published, send it again")


def strict_settings(strict: bool) -> IngestSettings:
    return IngestSettings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        database_url=f"postgresql://127.0.0.1:{free_port()}/none",
        admin_key=KEY,
        broker_connect_timeout_s=0.2,
        publish_timeout_s=0.5,
        zones_strict=strict,
    )


def test_strict_zones_check_a_sheet_as_they_check_json():
    # Strict mode must read the registry to accept any zone; with PostgreSQL unreachable a sheet is refused
    # exactly as JSON is (503 naming the database), also in a dry run: nothing is accepted unchecked.
    body = "园区,指标,期间,数值,单位\n高新区,出口额,2025-05,1,亿元\n".encode()
    as_json = {
        "observations": [{"zone": "高新区", "indicator": "export", "period": "2025-05", "value": 1, "unit": "亿元"}]
    }
    with TestClient(create_app(strict_settings(True))) as client:
        sheet = client.post("/v1/observations?dry_run=true", content=body, headers={**AUTH, "Content-Type": "text/csv"})
        json_body = client.post("/v1/observations?dry_run=true", json=as_json, headers=AUTH)
    assert (sheet.status_code, json_body.status_code) == (503, 503), (sheet.text, json_body.text)
    assert sheet.json()["detail"] == json_body.json()["detail"]


PROJECTS_CSV = (
    "项目编号,园区,项目名称,项目层级,总投资,单位,上会日期,签约日期\n"
    "gx-001,高新区,智能装备产业园,市重大项目,8.5,亿元,2025-01-05,2025-01-10\n"
).encode()


def test_the_project_list_can_be_uploaded_as_a_sheet_and_dry_run(client):
    response = client.put(
        "/v1/projects?dry_run=true", content=PROJECTS_CSV, headers={**AUTH, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "rows": 1, "published": False, "sheet": None}
    # A scoped key writes its own zones' projects only, told by the sheet's row.
    other = PROJECTS_CSV.replace("高新区".encode(), "经开区".encode())
    scoped = {"Authorization": f"Bearer {SCOPED_KEY}", "Content-Type": "text/csv"}
    refused = client.put("/v1/projects?dry_run=true", content=other, headers=scoped)
    assert refused.status_code == 403, refused.text
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "zone")]


def test_a_project_sheet_with_a_stage_out_of_order_names_the_cell(client):
    body = "项目编号,园区,项目名称,总投资,单位,签约日期,开工日期\np-1,高新区,甲项目,2,亿元,2025-03-01,2025-02-01\n"
    response = client.put("/v1/projects", content=body.encode(), headers={**AUTH, "Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    cells = {(e["cell"], e["field"]) for e in response.json()["errors"]}
    assert ("F2", "stages.signed") in cells  # 签约 without 上会 before it
    assert all(e["row"] == 2 for e in response.json()["errors"])
