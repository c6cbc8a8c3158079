"""The Grafana rankings board, GET /v1/rankings and the built-in /board/rankings show the same ranking.

A peer group of four registered zones and one more member without any figure, three of them under one
district, posted through the real pipeline (固定资产投资, 亿元; no January report: March follows 1-2月):

| zone | 2013 1-2月 / 1-3月 | 2014 1-2月 / 1-3月 | 2014 target | 1-3月 growth, completion |
|---|---|---|---|---|
| a (district) | 10 / 15 | 12 / 16.5 | 33 | +10%, 50% |
| b (district) | 8 / 12 | 10 / 15 | 30 | +25%, 50% |
| c (district) | 5 / 9 | 4 / 10.8 | 36 | +20%, 30% |
| d | 6 / 10 | 6.6 / 12.5 | 25 | +25%, 50% |
| e (district) | – | – | – | unknown |

Growth ranks 1-3月: b 1, d 1 (a tie), c 3, a 4, e unranked; 1-2月: b 1 (+25%), a 2 (+20%), d 3 (+10%), c 4 (−20%).
Completion ranks 1-3月: a, b, d 1 (50%), c 4; 1-2月: a 1 (36.4%), b 2 (33.3%), d 3 (26.4%), c 4 (11.1%).
Codes carry a suffix of their own; the years 2013 and 2014 are this file's alone.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from html import unescape

import httpx
import psycopg
import pytest

from tests.dashboards.grafana_sql import RANKINGS, beijing_year
from tests.dashboards.panels import panel_rows, pick
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
GROUP, DISTRICT = f"排名同组-{RUN}", f"district-{RUN}"
A, B, C, D_, E = (f"{letter}-{RUN}" for letter in "abcde")
NAMES = {A: "甲开发区", B: "乙高新区", C: "丙新城", D_: "丁开发区", E: "戊园区", DISTRICT: "某区"}
FAI = "fixed_asset_investment"
YEAR_2014 = beijing_year(2014)
CHOSEN = {"year": "2014", "month": "3", "indicator": FAI, "group": GROUP}

FIGURES = {
    A: ("10", "15", "12", "16.5"),
    B: ("8", "12", "10", "15"),
    C: ("5", "9", "4", "10.8"),
    D_: ("6", "10", "6.6", "12.5"),
}
TARGETS = {A: 33, B: 30, C: 36, D_: 25}


def registry() -> list[dict]:
    rows = [{"code": DISTRICT, "name_zh": NAMES[DISTRICT], "level": "other", "kind": "区县"}]
    for code in (A, B, C, D_, E):
        row = {"code": code, "name_zh": NAMES[code], "level": "provincial", "kind": "开发区", "groups": [GROUP]}
        if code != D_:
            row["parent"] = DISTRICT
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def ranked(pipeline: Pipeline) -> Pipeline:
    accepted = httpx.put(
        f"{pipeline.ingest_url}/v1/zones",
        json={"zones": registry()},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=30,
    )
    assert accepted.status_code == 202, accepted.text
    rows = [
        {"zone": zone, "indicator": FAI, "period": period, "value": value, "unit": "亿元"}
        for zone, values in FIGURES.items()
        for period, value in zip(("2013-02", "2013-03", "2014-02", "2014-03"), values, strict=True)
    ]
    assert pipeline.post_observations(rows).status_code == 202
    targets = [{"zone": zone, "indicator": FAI, "year": 2014, "value": value} for zone, value in TARGETS.items()]
    assert pipeline.put_targets(targets).status_code == 202

    def ready() -> tuple[int, int, int]:
        with psycopg.connect(pipeline.database_url) as conn:
            (zones,) = conn.execute("SELECT count(*) FROM zones WHERE code LIKE %s", (f"%-{RUN}",)).fetchone()
            done, with_target = conn.execute(
                "SELECT count(yoy_pct), count(completion_pct) FROM progress WHERE zone = ANY(%s) AND year = 2014",
                (list(FIGURES),),
            ).fetchone()
        return zones, done, with_target

    wait_for(lambda: ready() == (6, 8, 8), 90, "the registry and the 2014 figures", last=ready)
    return pipeline


def api(pipeline: Pipeline, by: str, **params: str) -> list[tuple]:
    response = httpx.get(
        f"{pipeline.query_url}/v1/rankings",
        params={"indicator": FAI, "year": 2014, "month": 3, "by": by, "group": GROUP, **params},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json(parse_float=Decimal)
    assert body["previous_month"] == 2  # 1-2月
    return [(i["rank"], i["zone_name"], i["value"], i["previous_rank"], i["rank_change_zh"]) for i in body["items"]]


def grafana(conn: psycopg.Connection, panel: int, value: str, **chosen: str) -> list[tuple]:
    rows = panel_rows(conn, RANKINGS, panel, {**CHOSEN, **chosen}, YEAR_2014)
    return pick(rows, "排名", "开发区", value, "上期排名", "较上期")


@pytest.fixture()
def conn(ranked: Pipeline):
    with psycopg.connect(ranked.database_url, autocommit=True) as connection:
        connection.execute("SET default_transaction_read_only = on")
        yield connection


def test_the_growth_ranking_is_the_same_on_the_grafana_board_and_the_api(ranked: Pipeline, conn):
    expected = [
        (1, "乙高新区", Decimal("25.0"), 1, "持平"),
        (1, "丁开发区", Decimal("25.0"), 3, "上升2位"),  # a tie: the next rank skips to 3
        (3, "丙新城", Decimal("20.0"), 4, "上升1位"),
        (4, "甲开发区", Decimal("10.0"), 2, "下降2位"),
        (None, "戊园区", None, None, None),  # a member without figures: last, unranked
    ]
    assert api(ranked, "yoy_pct") == expected
    assert grafana(conn, 3, "同比增长（%）") == expected


def test_the_completion_ranking_is_the_same_on_the_grafana_board_and_the_api(ranked: Pipeline, conn):
    expected = [
        (1, "甲开发区", Decimal("50.0"), 1, "持平"),
        (1, "乙高新区", Decimal("50.0"), 2, "上升1位"),
        (1, "丁开发区", Decimal("50.0"), 3, "上升2位"),
        (4, "丙新城", Decimal("30.0"), 4, "持平"),
        (None, "戊园区", None, None, None),
    ]
    assert api(ranked, "completion_pct") == expected
    assert grafana(conn, 2, "完成率（%）") == expected
    # 上级 narrows both the same way: the district's children only (丁 is the city's).
    district = [
        (1, "甲开发区", Decimal("50.0"), 1, "持平"),
        (1, "乙高新区", Decimal("50.0"), 2, "上升1位"),
        (3, "丙新城", Decimal("30.0"), 3, "持平"),
        (None, "戊园区", None, None, None),
    ]
    assert api(ranked, "completion_pct", parent=DISTRICT) == district
    assert grafana(conn, 2, "完成率（%）", parent=DISTRICT) == district


def test_the_built_in_board_shows_the_same_ranking(ranked: Pipeline):
    page = httpx.get(
        f"{ranked.query_url}/board/rankings",
        params={"indicator": FAI, "year": 2014, "month": 3, "by": "yoy_pct", "group": GROUP},
        timeout=10,
    )
    assert page.status_code == 200
    html = page.text
    assert "排名 — 固定资产投资（同比增速） 2014年1-3月" in html
    assert "对比 2014年1-2月" in html
    rows = re.findall(
        r'<tr data-zone="([^"]+)" data-rank="([^"]+)" data-change="([^"]+)">\s*<td class="num completion">[^<]*</td>\s*'
        r'<th scope="row">([^<]+)</th>\s*<td class="num">([^<]+)</td>\s*<td class="num">([^<]+)</td>\s*'
        r'<td class="status"><span class="mark" aria-hidden="true">([^<]*)</span> ([^<]+)</td>',
        html,
    )
    assert [tuple(unescape(cell) for cell in row) for row in rows] == [
        (B, "1", "same", "乙高新区", "+25.0%", "1", "＝", "持平"),
        (D_, "1", "up", "丁开发区", "+25.0%", "3", "▲", "上升2位"),
        (C, "3", "up", "丙新城", "+20.0%", "4", "▲", "上升1位"),
        (A, "4", "down", "甲开发区", "+10.0%", "2", "▼", "下降2位"),
        (E, "—", "none", "戊园区", "—", "—", "", "—"),
    ]
    unknown = httpx.get(f"{ranked.query_url}/board/rankings", params={"group": "没有这个组"}, timeout=10)
    assert unknown.status_code == 422
    assert "没有这个组" in unknown.text


def test_rankings_refuse_unknown_fields_by_name(ranked: Pipeline):
    def get(**params: str) -> httpx.Response:
        return httpx.get(f"{ranked.query_url}/v1/rankings", params={"indicator": FAI, **params}, timeout=10)

    wrong_by = get(by="average")
    assert wrong_by.status_code == 422 and wrong_by.json()["errors"][0]["field"] == "by"
    typo = get(parent=f"district-{RUN}x")
    assert typo.status_code == 422
    assert typo.json()["errors"] == [
        {"field": "parent", "reason": f"'district-{RUN}x' is not a registered zone (closest registered: {DISTRICT})"}
    ]
    assert get(indicator="gdp_typo").status_code == 422
    stock = httpx.get(
        f"{ranked.query_url}/v1/rollups", params={"parent": f"nowhere-{RUN}", "indicator": FAI}, timeout=10
    )
    assert stock.status_code == 422 and stock.json()["errors"][0]["field"] == "parent"
