"""The zone registry, rankings, shares and roll-ups through the real pipeline: PUT /v1/zones on ingest → Kafka →
processor (zones, zone_revisions) → query (GET /v1/zones, zone_name, share_of_parent_pct, /v1/rankings,
/v1/rollups) and the alert messages.

The figures (固定资产投资, 亿元; no January report, so 1-2月 is the period before March):

| zone | 2009 1-2月 | 2009 1-3月 | 2010 1-2月 | 2010 1-3月 | 2010 target |
|---|---|---|---|---|---|
| 钱江 (child of 余杭, group) | 10 | 15 | 12 (+20%) | 16.5 (+10%) | 33 (50%) |
| 余经 (child of 余杭, group) | 8 | 12 | 10 (+25%) | 15 (+25%) | 30 (50%) |
| 临平 (child of 余杭, group) | 5 | 9 | 4 (−20%) | 10.8 (+20%) | 36 (30%) |
| 萧山 (child of 杭州, group) | – | – | 7 | – | 20 |
| 新城 (child of 余杭) | – | – | – | 7.7 | |
| 未报 (child of 余杭) | – | – | – | – | |
| 余杭 itself | | | | 120 | |

Codes carry a suffix of their own per test run; the years 2009 and 2010 are this file's alone.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from stack.ports import free_port
from tests.support import Pipeline, batches_published, ingest_process, wait_for

pytestmark = pytest.mark.integration

FAI = "fixed_asset_investment"
RUN = uuid.uuid4().hex[:6]
CITY, DISTRICT = f"hangzhou-{RUN}", f"yuhang-{RUN}"
QIANJIANG, YUJING, LINPING, XIAOSHAN = f"qianjiang-{RUN}", f"yujing-{RUN}", f"linping-{RUN}", f"xiaoshan-{RUN}"
NEWTOWN, SILENT, FALLING = f"newtown-{RUN}", f"silent-{RUN}", f"falling-{RUN}"
GROUP = f"浙江省级以上开发区-{RUN}"
STATS_KEY = "zones-stats-bureau-key-0123456789"


def registry_rows() -> list[dict]:
    def zone(code: str, name: str, level: str, kind: str, parent: str | None = None, groups=None) -> dict:
        row = {"code": code, "name_zh": name, "level": level, "kind": kind}
        if parent is not None:
            row["parent"] = parent
        if groups is not None:
            row["groups"] = groups
        return row

    # Children before their parents: a parent registered by the same batch is enough.
    return [
        zone(QIANJIANG, "杭州钱江经济开发区", "national", "经开区", DISTRICT, [GROUP]),
        zone(YUJING, "余杭经济技术开发区", "national", "经开区", DISTRICT, [GROUP]),
        zone(LINPING, "临平新城", "provincial", "新城", DISTRICT, [GROUP]),
        zone(XIAOSHAN, "萧山经济技术开发区", "national", "经开区", CITY, [GROUP]),
        zone(NEWTOWN, "未来科技城", "provincial", "新城", DISTRICT),
        zone(SILENT, "未报送园区", "other", "园区", DISTRICT),
        zone(FALLING, "负增长园区", "other", "园区", CITY),
        zone(DISTRICT, "余杭区", "other", "区县", CITY),
        zone(CITY, "杭州市", "other", "地级市"),
    ]


def put_zones(url: str, rows: list[dict], key: str) -> httpx.Response:
    return httpx.put(f"{url}/v1/zones", json={"zones": rows}, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def obs(zone: str, period: str, value: str, indicator: str = FAI) -> dict:
    return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": "亿元"}


def get(pipeline: Pipeline, path: str, **params) -> httpx.Response:
    return httpx.get(f"{pipeline.query_url}{path}", params=params, timeout=10)


def registered(pipeline: Pipeline) -> dict[str, dict]:
    response = get(pipeline, "/v1/zones")
    response.raise_for_status()
    return {item["code"]: item for item in response.json()["items"]}


def march_progress(pipeline: Pipeline, zones: list[str]) -> dict[str, dict]:
    response = get(pipeline, "/v1/progress", zone=zones, indicator=FAI, year=2010, month=3)
    response.raise_for_status()
    return {item["zone"]: item for item in response.json()["items"]}


@pytest.fixture(scope="module")
def seeded(pipeline: Pipeline) -> Pipeline:
    """The registry and the figures above, stored and computed."""
    accepted = put_zones(pipeline.ingest_url, registry_rows(), pipeline.admin_key)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["accepted"] == 9
    wait_for(lambda: CITY in registered(pipeline) and QIANJIANG in registered(pipeline), 60, "the registry stored")
    rows = [
        obs(QIANJIANG, "2009-02", "10"),
        obs(QIANJIANG, "2009-03", "15"),
        obs(YUJING, "2009-02", "8"),
        obs(YUJING, "2009-03", "12"),
        obs(LINPING, "2009-02", "5"),
        obs(LINPING, "2009-03", "9"),
        obs(FALLING, "2009-03", "10", "industrial_output"),
        obs(QIANJIANG, "2010-02", "12"),
        obs(QIANJIANG, "2010-03", "16.5"),
        obs(YUJING, "2010-02", "10"),
        obs(YUJING, "2010-03", "15"),
        obs(LINPING, "2010-02", "4"),
        obs(LINPING, "2010-03", "10.8"),
        obs(XIAOSHAN, "2010-02", "7"),
        obs(NEWTOWN, "2010-03", "7.7"),
        obs(DISTRICT, "2010-03", "120"),
        obs(FALLING, "2010-03", "8", "industrial_output"),
    ]
    assert pipeline.post_observations(rows).status_code == 202
    targets = [
        {"zone": zone, "indicator": FAI, "year": 2010, "value": value}
        for zone, value in ((QIANJIANG, 33), (YUJING, 30), (LINPING, 36), (XIAOSHAN, 20))
    ]
    assert pipeline.put_targets(targets).status_code == 202
    zones = [QIANJIANG, YUJING, LINPING, NEWTOWN, DISTRICT]
    wait_for(
        lambda: (
            all(
                (item := march_progress(pipeline, zones).get(zone)) is not None and item["ytd_value"] is not None
                for zone in zones
            )
            and all(march_progress(pipeline, zones)[z]["completion_pct"] is not None for z in zones[:3])
            and all(march_progress(pipeline, zones)[z]["ytd_last_year"] is not None for z in zones[:3])
        ),
        90,
        "March 2010 of the zones computed with their targets and last year",
        last=lambda: march_progress(pipeline, zones),
    )
    return pipeline


def test_the_registry_is_stored_with_each_zones_chain_of_parents_and_every_revision(seeded: Pipeline):
    zones = registered(seeded)
    qianjiang = zones[QIANJIANG]
    assert qianjiang["name_zh"] == "杭州钱江经济开发区"
    assert (qianjiang["level"], qianjiang["kind"], qianjiang["parent"]) == ("national", "经开区", DISTRICT)
    assert qianjiang["groups"] == [GROUP]
    assert qianjiang["parents"] == [{"code": DISTRICT, "name_zh": "余杭区"}, {"code": CITY, "name_zh": "杭州市"}]
    assert qianjiang["source"] == "admin"
    assert zones[CITY]["parents"] == [] and zones[CITY]["parent"] is None

    # A later PUT of a code replaces it; both reports stay in zone_revisions.
    renamed = dict(registry_rows()[0], name_zh="钱江经济开发区（新）")
    assert put_zones(seeded.ingest_url, [renamed], seeded.admin_key).status_code == 202
    wait_for(lambda: registered(seeded)[QIANJIANG]["name_zh"] == "钱江经济开发区（新）", 60, "the renamed zone")
    with psycopg.connect(seeded.database_url) as conn:
        revisions = conn.execute(
            "SELECT name_zh, source FROM zone_revisions WHERE code = %s ORDER BY reported_at", (QIANJIANG,)
        ).fetchall()
    assert revisions == [("杭州钱江经济开发区", "admin"), ("钱江经济开发区（新）", "admin")]
    assert put_zones(seeded.ingest_url, [registry_rows()[0]], seeded.admin_key).status_code == 202
    wait_for(lambda: registered(seeded)[QIANJIANG]["name_zh"] == "杭州钱江经济开发区", 60, "the name restored")


def test_items_carry_the_zone_name_and_the_share_of_the_parents_own_figure(seeded: Pipeline):
    items = march_progress(seeded, [QIANJIANG, YUJING, DISTRICT])
    assert items[QIANJIANG]["zone_name"] == "杭州钱江经济开发区"
    assert items[QIANJIANG]["share_of_parent_pct"] == 13.8  # 16.5 / 120 = 13.75%, half up
    assert items[YUJING]["share_of_parent_pct"] == 12.5  # 15 / 120
    assert items[DISTRICT]["zone_name"] == "余杭区"
    assert items[DISTRICT]["share_of_parent_pct"] is None  # 杭州市 has no figure of its own
    series = get(seeded, "/v1/series", zone=QIANJIANG, indicator=FAI, **{"from": "2010-01", "to": "2010-12"}).json()
    assert [(i["period"], i["zone_name"], i["share_of_parent_pct"]) for i in series["items"]] == [
        ("2010-02", "杭州钱江经济开发区", None),  # 余杭区 reported no 1-2月
        ("2010-03", "杭州钱江经济开发区", 13.8),
    ]


def test_a_peer_group_is_ranked_with_ties_unknowns_last_and_the_change_since_1_2月(seeded: Pipeline):
    growth = get(seeded, "/v1/rankings", indicator=FAI, year=2010, month=3, by="yoy_pct", group=GROUP).json()
    assert (growth["period"], growth["previous_month"], growth["by"], growth["group"]) == (
        "2010-03",
        2,
        "yoy_pct",
        GROUP,
    )
    assert [
        (i["rank"], i["zone"], i["zone_name"], i["value"], i["previous_rank"], i["rank_change"], i["rank_change_zh"])
        for i in growth["items"]
    ] == [
        (1, YUJING, "余杭经济技术开发区", 25.0, 1, 0, "持平"),  # 15 on 12; 1-2月 10 on 8
        (2, LINPING, "临平新城", 20.0, 3, 1, "上升1位"),  # 10.8 on 9; 1-2月 4 on 5 = −20%
        (3, QIANJIANG, "杭州钱江经济开发区", 10.0, 2, -1, "下降1位"),  # 16.5 on 15; 1-2月 12 on 10
        (None, XIAOSHAN, "萧山经济技术开发区", None, None, None, None),  # no 1-3月, no 2009
    ]

    completion = get(seeded, "/v1/rankings", indicator=FAI, year=2010, month=3, group=GROUP).json()
    assert completion["by"] == "completion_pct"
    assert [(i["rank"], i["zone"], i["value"]) for i in completion["items"]] == [
        (1, QIANJIANG, 50.0),  # 16.5 / 33: a tie shares the rank …
        (1, YUJING, 50.0),  # 15 / 30
        (3, LINPING, 30.0),  # … and the next rank skips: 10.8 / 36
        (None, XIAOSHAN, None),
    ]

    amounts = get(seeded, "/v1/rankings", indicator=FAI, year=2010, month=3, by="ytd_value", parent=DISTRICT).json()
    assert [(i["rank"], i["zone"], i["value"]) for i in amounts["items"]] == [
        (1, QIANJIANG, 16.5),
        (2, YUJING, 15),
        (3, LINPING, 10.8),
        (4, NEWTOWN, 7.7),
        (None, SILENT, None),
    ]
    # Both narrow the field: the group's members under 余杭区 (not 萧山, a child of 杭州市).
    both = get(seeded, "/v1/rankings", indicator=FAI, year=2010, month=3, group=GROUP, parent=DISTRICT).json()
    assert [i["zone"] for i in both["items"]] == [QIANJIANG, YUJING, LINPING]


def test_a_roll_up_sums_the_children_and_grows_the_sums_not_the_rates(seeded: Pipeline):
    body = get(seeded, "/v1/rollups", parent=DISTRICT, indicator=FAI, year=2010, month=3).json()
    assert (body["parent"], body["parent_name"], body["period"], body["unit"]) == (
        DISTRICT,
        "余杭区",
        "2010-03",
        "亿元",
    )
    assert body["ytd_value"] == 50  # 16.5 + 15 + 10.8 + 7.7
    assert body["ytd_last_year"] == 36  # 15 + 12 + 9: 未来科技城 has no 2009
    assert body["yoy_pct"] == 17.5  # (42.3 − 36) / 36; the average of the rates would be 18.3
    assert (body["children_reported"], body["children_total"]) == (4, 5)
    assert body["parent_ytd_value"] == 120
    assert [(c["zone"], c["ytd_value"], c["yoy_pct"], c["share_pct"]) for c in body["children"]] == [
        (LINPING, 10.8, 20.0, 21.6),
        (NEWTOWN, 7.7, None, 15.4),
        (QIANJIANG, 16.5, 10.0, 33.0),
        (SILENT, None, None, None),
        (YUJING, 15, 25.0, 30.0),
    ]


def test_alert_messages_name_the_zone_by_its_registered_name(seeded: Pipeline):
    def message() -> str | None:
        with psycopg.connect(seeded.database_url) as conn:
            row = conn.execute(
                "SELECT message FROM alerts WHERE zone = %s AND rule = 'negative_growth'", (FALLING,)
            ).fetchone()
        return row[0] if row else None

    text = wait_for(message, 120, "the negative-growth alert of 负增长园区", last=message)
    assert text.startswith("负增长园区 规上工业产值 2010年1-3月累计8亿元，同比下降20.0%"), text
    alerts = get(seeded, "/v1/alerts", zone=FALLING).json()["items"]
    assert [(a["zone"], a["zone_name"]) for a in alerts] == [(FALLING, "负增长园区")]


def test_bad_zones_are_named_by_row_and_field_and_nothing_is_published(seeded: Pipeline):
    before = batches_published(seeded)
    fields = put_zones(
        seeded.ingest_url,
        [
            {"code": f"good-{RUN}", "name_zh": "好园区", "level": "other", "kind": "园区"},
            {"code": f"bad-{RUN}", "name_zh": "坏园区", "level": "county", "kind": "园区", "colour": "red"},
            {"code": f"dup-{RUN}", "name_zh": "重复", "level": "other", "kind": "园区", "groups": ["甲", "甲"]},
            {"code": f"good-{RUN}", "name_zh": "好园区", "level": "other", "kind": "园区"},
        ],
        seeded.admin_key,
    )
    assert fields.status_code == 422, fields.text
    assert fields.json()["detail"] == "3 row(s) rejected (4 problem(s)); nothing was published"
    errors = {(e["row"], e["field"]): e["reason"] for e in fields.json()["errors"]}
    assert errors == {
        (1, "colour"): "unknown field 'colour' (allowed: code, groups, kind, level, name_zh, parent)",
        (1, "level"): "'county' is not one of national, provincial, other (国家级, 省级, 其他)",
        (2, "groups"): "item 1 repeats the group '甲'",
        (3, "code"): f"row 0 already registers 'good-{RUN}'; send one row per zone",
    }

    # Parents are checked against the stored registry once every field is right.
    parents = put_zones(
        seeded.ingest_url,
        [
            {
                "code": f"orphan-{RUN}",
                "name_zh": "孤儿园区",
                "level": "other",
                "kind": "园区",
                "parent": f"yuhang-{RUN}x",
            },
            {"code": CITY, "name_zh": "杭州市", "level": "other", "kind": "地级市", "parent": QIANJIANG},
        ],
        seeded.admin_key,
    )
    assert parents.status_code == 422, parents.text
    errors = {(e["row"], e["field"]): e["reason"] for e in parents.json()["errors"]}
    assert set(errors) == {(0, "parent"), (1, "parent")}
    assert errors[(0, "parent")].startswith(f"parent 'yuhang-{RUN}x' is not registered (closest registered: {DISTRICT}")
    assert errors[(1, "parent")] == (
        f"the chain of parents comes back to '{CITY}' ({CITY} → {QIANJIANG} → {DISTRICT} → {CITY})"
    )
    time.sleep(1)
    assert batches_published(seeded) == before
    assert f"orphan-{RUN}" not in registered(seeded) and registered(seeded)[CITY]["parent"] is None


@pytest.fixture(scope="module")
def strict_ingest(seeded: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second ingest on the pipeline's broker and database, with INDICATORS_ZONES_STRICT=true and a scoped writer."""
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": seeded.kafka_bootstrap,
        "INDICATORS_DATABASE_URL": seeded.database_url,
        "INDICATORS_ADMIN_KEY": seeded.admin_key,
        "INDICATORS_ZONES_STRICT": "true",
        "INDICATORS_API_KEYS": json.dumps({"余杭统计局": STATS_KEY}, ensure_ascii=False),
    }
    with ingest_process(env, tmp_path_factory.mktemp("strict-ingest")) as url:
        yield url


def test_strict_mode_refuses_unregistered_zones_naming_the_closest_codes(seeded: Pipeline, strict_ingest: str):
    def post(rows: list[dict]) -> httpx.Response:
        return httpx.post(
            f"{strict_ingest}/v1/observations",
            json={"observations": rows},
            headers={"Authorization": f"Bearer {seeded.admin_key}"},
            timeout=30,
        )

    before = batches_published(seeded)
    typo = f"qianjiang-{RUN}x"
    refused = post([obs(YUJING, "2010-04", "20"), obs(typo, "2010-04", "3")])
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["row"], error["field"]) == (1, "zone")
    assert error["reason"].startswith(f"zone '{typo}' is not registered (closest registered: {QIANJIANG}")
    assert error["reason"].endswith("); register it with PUT /v1/zones first")
    time.sleep(1)
    assert batches_published(seeded) == before

    assert post([obs(YUJING, "2010-04", "20")]).status_code == 202
    # Only the admin key registers zones: a scoped writer is refused before its body is read.
    forbidden = put_zones(strict_ingest, registry_rows()[:1], STATS_KEY)
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"] == [
        {"row": None, "field": "zones", "reason": "the key of '余杭统计局' may not register zones"}
    ]


def test_strict_mode_answers_503_while_the_registry_cannot_be_read(seeded: Pipeline, tmp_path: Path):
    env = {
        "INDICATORS_KAFKA_BOOTSTRAP": seeded.kafka_bootstrap,
        "INDICATORS_DATABASE_URL": f"postgresql://indicators@127.0.0.1:{free_port()}/indicators",
        "INDICATORS_ADMIN_KEY": seeded.admin_key,
        "INDICATORS_ZONES_STRICT": "true",
    }
    with ingest_process(env, tmp_path) as url:
        response = httpx.post(
            f"{url}/v1/observations",
            json={"observations": [obs(YUJING, "2010-04", "20")]},
            headers={"Authorization": f"Bearer {seeded.admin_key}"},
            timeout=30,
        )
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    detail = response.json()["detail"]
    assert detail.startswith("the zone registry could not be read (PostgreSQL at 127.0.0.1:")
    assert detail.endswith(
        "INDICATORS_ZONES_STRICT=true accepts a batch only once its zones are found registered;"
        " nothing was published, send it again"
    )
