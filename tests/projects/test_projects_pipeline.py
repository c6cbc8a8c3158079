"""The project list through the real pipeline: PUT /v1/projects on ingest → Kafka → processor (projects,
project_versions, project_investment, the derived figures as progress rows) → query (/v1/projects, /v1/projects/{id},
/v1/projects/stats, /v1/progress with targets and 序时进度).

Two zones of this run's own (codes with a suffix), the year 2023, judged "as of" given days (never the clock):

- 招商 (COUNTS): 83 projects of 1亿元 or more signed in January–June, 7 below 1亿 in March, 1 in July; the target of
  亿元以上签约项目数 is 150 → June: 83 of 150 = 55.3%, 5.3 points ahead of 序时进度 (50%).
- 富春湾新城 (FUCHUN), registered with its name:

| id | 上会 | 签约 | 注册 | 供地 | 开工 | planned 开工 | 完成投资 (本年累计) |
|---|---|---|---|---|---|---|---|
| XX | 2022-12-20 | 2023-01-10 | | | | | |
| S1 | 2023-01-02 | 2023-01-05 | 2023-01-09 | 2023-02-01 | 2023-04-23 | 2023-05-01 | 3月 3200万元, 6月 1.2亿元 (plan 5亿) |
| S2 | 2023-01-03 | 2023-01-06 | | 2023-03-01 | 2023-06-30 | 2023-06-01 | 6月 0.8亿元 |

June: 3 signed, 2 started (开工率 2/2 = 100%), 注册率 1/3 = 33.3%, 拿地至开工 (81 + 121) / 2 = 101 days, 重大项目完成投资
1.2 + 0.8 = 2.0亿元 (March: 0.32). XX: 签约 + 2 months = 2023-03-10 for 供地; on 2023-03-25 it is 15 days overdue.
Then S2's 开工 is revised to 2023-07-05: June becomes 1 started, 50%, 81 days.
"""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest

from tests.support import Pipeline, batches_published, wait_for

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
COUNTS, FUCHUN = f"zhaoshang-{RUN}", f"fuchunwan-{RUN}"


def put(pipeline: Pipeline, path: str, key: str, rows: list[dict]) -> httpx.Response:
    return httpx.put(
        f"{pipeline.ingest_url}{path}",
        json={key: rows},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=30,
    )


def get(pipeline: Pipeline, path: str, **params) -> httpx.Response:
    response = httpx.get(f"{pipeline.query_url}{path}", params=params, timeout=10)
    response.raise_for_status()
    return response


def item(pipeline: Pipeline, zone: str, indicator: str, month: int) -> dict | None:
    items = get(pipeline, "/v1/progress", zone=zone, indicator=indicator, year=2023, month=month).json()["items"]
    return items[0] if items else None


def fuchun_rows(s2_start: str = "2023-06-30") -> list[dict]:
    def project(pid: str, name: str, stages: dict, **fields) -> dict:
        return {
            "id": f"{pid}-{RUN}",
            "zone": FUCHUN,
            "name": name,
            "total_investment": 5,
            "unit": "亿元",
            "stages": stages,
            **fields,
        }

    return [
        project("XX", "XX项目", {"meeting": "2022-12-20", "signed": "2023-01-10"}, tier="city"),
        project(
            "S1",
            "电机项目",
            {
                "meeting": "2023-01-02",
                "signed": "2023-01-05",
                "registered": "2023-01-09",
                "land": "2023-02-01",
                "start": "2023-04-23",
            },
            planned={"start": "2023-05-01"},
            annual_plan_investment={"2023": 50000},
            unit="万元",
            total_investment=80000,
            completed_investment=[
                {"period": "2023-03", "value": 3200},
                {"period": "2023-06", "value": "1.2", "unit": "亿元"},
            ],
        ),
        project(
            "S2",
            "电池项目",
            {"meeting": "2023-01-03", "signed": "2023-01-06", "land": "2023-03-01", "start": s2_start},
            planned={"start": "2023-06-01"},
            completed_investment=[{"period": "2023-06", "value": "0.8"}],
        ),
    ]


def count_rows() -> list[dict]:
    def project(pid: str, signed: str, investment: str) -> dict:
        return {
            "id": f"{pid}-{RUN}",
            "zone": COUNTS,
            "name": f"招商项目{pid}",
            "total_investment": investment,
            "unit": "亿元",
            "stages": {"meeting": signed, "signed": signed},
        }

    rows = [project(f"A{i}", f"2023-{1 + i % 6:02d}-{1 + i % 28:02d}", "1") for i in range(83)]
    rows += [project(f"B{i}", "2023-03-03", "0.99") for i in range(7)]
    return [*rows, project("C", "2023-07-01", "20")]


@pytest.fixture(scope="module")
def seeded(pipeline: Pipeline) -> Pipeline:
    zone = {"code": FUCHUN, "name_zh": "富春湾新城", "level": "provincial", "kind": "新城"}
    assert put(pipeline, "/v1/zones", "zones", [zone]).status_code == 202
    accepted = put(pipeline, "/v1/projects", "projects", fuchun_rows() + count_rows())
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["accepted"] == 94
    target = {"zone": COUNTS, "indicator": "projects_signed_100m", "year": 2023, "value": 150}
    assert pipeline.put_targets([target]).status_code == 202
    wait_for(
        lambda: (
            (june := item(pipeline, COUNTS, "projects_signed_100m", 6)) is not None
            and june["target_value"] is not None
            and (mpi := item(pipeline, FUCHUN, "major_project_investment", 6)) is not None
            and mpi["ytd_value"] is not None
            and item(pipeline, FUCHUN, "land_to_start_avg_days", 6) is not None
        ),
        120,
        "the derived figures of June 2023 computed, with the target",
        last=lambda: item(pipeline, COUNTS, "projects_signed_100m", 6),
    )
    return pipeline


def test_83_signed_against_a_target_of_150_is_55_3_percent_5_3_points_ahead_of_time_progress(seeded: Pipeline):
    june = item(seeded, COUNTS, "projects_signed_100m", 6)
    assert june["indicator_name"] == "亿元以上签约项目数" and june["unit"] == "个"
    assert (june["ytd_value"], june["target_value"], june["completion_pct"]) == (83, 150, 55.3)
    assert (june["time_progress_pct"], june["progress_gap_pp"], june["on_track"]) == (50.0, 5.3, True)
    assert june["status_zh"] == "超序时进度5.3个百分点"
    # The month alone: 13 of the 83 were signed in June (i % 6 == 5 for i < 83: 5, 11, …, 77).
    assert june["month_value"] == 13
    assert item(seeded, COUNTS, "projects_signed", 6)["ytd_value"] == 90
    assert item(seeded, COUNTS, "projects_signed_investment", 6)["ytd_value"] == 89.93
    assert item(seeded, COUNTS, "projects_signed_100m", 7)["ytd_value"] == 84


def test_the_zones_rates_days_and_completed_investment(seeded: Pipeline):
    def value(code: str, month: int = 6):
        return item(seeded, FUCHUN, code, month)["ytd_value"]

    assert (value("projects_signed"), value("projects_started"), value("project_start_rate_pct")) == (3, 2, 100)
    assert value("project_registration_rate_pct") == 33.333333333333
    assert value("land_to_start_avg_days") == 101
    assert (value("major_project_investment", 3), value("major_project_investment")) == (0.32, 2.0)
    # A rate is a level (a stock): no 序时进度 judgement even with a target.
    assert item(seeded, FUCHUN, "project_start_rate_pct", 6)["on_track"] is None


def test_the_list_says_where_each_project_stands_and_what_is_overdue_worst_first(seeded: Pipeline):
    listed = get(seeded, "/v1/projects", zone=FUCHUN, as_of="2023-03-25").json()
    assert listed["as_of"] == "2023-03-25"
    by_id = {p["id"].removesuffix(f"-{RUN}"): p for p in listed["items"]}
    xx = by_id["XX"]
    assert (xx["current_stage"], xx["next_stage"], xx["next_due_on"], xx["days_overdue"]) == (
        "signed",
        "land",
        "2023-03-10",
        15,
    )
    assert xx["zone_name"] == "富春湾新城" and xx["tier_zh"] == "市重大项目"
    assert xx["overdue"] == [
        {
            "stage": "land",
            "stage_zh": "供地",
            "due_on": "2023-03-10",
            "days_overdue": 15,
            "message": "富春湾新城 XX项目 签约后2个月未供地，已逾期15天（应于2023年3月10日前供地）",
        }
    ]
    assert listed["items"][0]["id"] == f"XX-{RUN}"  # overdue first
    # On 2023-03-25 S1 has land (Feb 1) and waits for 开工 (planned May 1): not overdue yet, its later dates unseen.
    assert (by_id["S1"]["current_stage"], by_id["S1"]["stages"]["start"], by_id["S1"]["days_overdue"]) == (
        "land",
        None,
        None,
    )
    overdue = get(seeded, "/v1/projects", zone=FUCHUN, overdue="true", as_of="2023-03-25").json()["items"]
    assert [p["id"] for p in overdue] == [f"XX-{RUN}"]
    started = get(seeded, "/v1/projects", zone=FUCHUN, stage="start", as_of="2023-12-31").json()["items"]
    assert sorted(p["id"] for p in started) == [f"S1-{RUN}", f"S2-{RUN}"]
    s2 = next(p for p in started if p["id"] == f"S2-{RUN}")
    assert s2["late"] == [
        {"stage": "start", "stage_zh": "开工", "due_on": "2023-06-01", "done_on": "2023-06-30", "days_late": 29}
    ]


def test_stats_give_the_figures_and_the_counts_by_stage(seeded: Pipeline):
    stats = get(seeded, "/v1/projects/stats", year=2023, month=6, zone=FUCHUN).json()
    assert stats["by_stage"] == {
        FUCHUN: {"none": 0, "meeting": 0, "signed": 1, "land": 0, "start": 2, "completion": 0, "production": 0}
    }
    figures = {i["indicator"]: i["ytd_value"] for i in stats["items"]}
    assert figures["projects_started"] == 2 and figures["major_project_investment"] == 2.0


def test_a_revised_date_moves_the_figures_and_every_version_is_kept(seeded: Pipeline):
    assert put(seeded, "/v1/projects", "projects", [fuchun_rows(s2_start="2023-07-05")[2]]).status_code == 202
    wait_for(
        lambda: item(seeded, FUCHUN, "projects_started", 6)["ytd_value"] == 1,
        90,
        "June's 新开工项目数 recomputed after the revision",
        last=lambda: item(seeded, FUCHUN, "projects_started", 6),
    )
    assert item(seeded, FUCHUN, "project_start_rate_pct", 6)["ytd_value"] == 50
    assert item(seeded, FUCHUN, "land_to_start_avg_days", 6)["ytd_value"] == 81
    assert item(seeded, FUCHUN, "projects_started", 7)["ytd_value"] == 2
    detail = get(seeded, f"/v1/projects/S2-{RUN}").json()
    assert [v["changes"] for v in detail["versions"]] == [
        [
            "name",
            "zone",
            "total_investment",
            "stages.meeting",
            "stages.signed",
            "stages.land",
            "stages.start",
            "planned.start",
            "completed_investment",
            "reported_total_investment",
            "reported_unit",
        ],
        ["stages.start"],
    ]
    assert [v["source"] for v in detail["versions"]] == ["admin", "admin"]
    assert detail["stages"]["start"] == "2023-07-05"
    s1 = get(seeded, f"/v1/projects/S1-{RUN}").json()
    assert s1["total_investment"] == 8 and s1["annual_plan_investment"] == {"2023": 5}
    assert s1["investment"] == [
        {
            "year": 2023,
            "plan": 5,
            "months": [{"period": "2023-03", "ytd_value": 0.32}, {"period": "2023-06", "ytd_value": 1.2}],
            "completion_pct": 24.0,
        }
    ]


def test_bad_projects_are_named_by_row_and_field_and_nothing_is_published(seeded: Pipeline):
    before = batches_published(seeded)
    good, backwards = (
        fuchun_rows()[0],
        {**fuchun_rows()[1], "stages": {"meeting": "2023-02-01", "signed": "2023-01-05"}},
    )
    refused = put(seeded, "/v1/projects", "projects", [good, backwards, {**good, "id": "Y", "unit": "美元"}])
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"row": 1, "field": "stages.signed", "reason": "签约 2023-01-05 is before 上会 (meeting) 2023-02-01"},
        {
            "row": 2,
            "field": "unit",
            "reason": "unit '美元' cannot be converted to '亿元' (expected one of 元、万元、亿元): investment is in 元, 万元 or 亿元",
        },
    ]
    assert refused.json()["detail"] == "2 row(s) rejected (2 problem(s)); nothing was published"
    derived = seeded.post_observations(
        [{"zone": FUCHUN, "indicator": "projects_started", "period": "2023-06", "value": 5, "unit": "个"}]
    )
    assert derived.status_code == 422
    assert derived.json()["errors"][0]["field"] == "indicator"
    no_key = httpx.put(f"{seeded.ingest_url}/v1/projects", json={"projects": [good]}, timeout=10)
    assert no_key.status_code == 401
    assert batches_published(seeded) == before
    with psycopg.connect(seeded.database_url) as conn:
        (versions,) = conn.execute("SELECT count(*) FROM project_versions WHERE zone = %s", (FUCHUN,)).fetchone()
    assert versions == 4  # XX, S1, S2 and S2's revision
