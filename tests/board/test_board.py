"""GET /board against the real pipeline: data posted to ingest, through Kafka and the processor, read by the
query service, shown as HTML; then the same page in headless Chromium, with a screenshot kept as a test artifact.

The zones 大屏甲区/大屏乙区/大屏丙区 and the years 2019 (last year) and 2020 (this year) belong to these tests;
every URL filters on the zones, so other tests' data in the shared database never shows here.

The figures (2020年1-5月, 序时进度 5/12 = 41.7%):

| indicator | zone | 2019-05 | 2020-05 | target | completion | YoY | status |
|---|---|---|---|---|---|---|---|
| 规上工业产值 亿元 | 甲 | 69.33 | 750200 万元 = 75.02 | 166 | 45.2 | +8.2 | 超3.5 |
| | 乙 | 50 | 40 | 100 | 40.0 | -20.0 | 落后1.7 |
| | 丙 | 30 | 33 | 80 | 41.25 → 41.3 (四舍五入) | +10.0 | 落后0.4 |
| 实际利用外资 万美元 | 甲 | — | 500 | 1200 | 41.7 (= 5/12 exactly) | — | 达序时进度 |
| | 乙 | 400 | 6000000 美元 = 600 | 1000 | 60.0 | +50.0 | 超18.3 |
| | 丙 | — | 100 | none | — | — | 无目标 |
| 招商引资签约项目 个 | 甲 | 18 | 20 | 53 | 37.7 | +11.1 | 落后3.9 |
| | 乙 | — | 60 | 50 | 120.0 | — | 超78.3 |
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from tests.board.chromium import dump_dom, near, png_size, read_png, screenshot
from tests.board.reading import Board, read_board
from tests.support import ARTIFACTS, Pipeline, wait_for

pytestmark = pytest.mark.integration

JIA, YI, BING = "大屏甲区", "大屏乙区", "大屏丙区"
ZONES = [JIA, YI, BING]
SCREEN = (1600, 1000)


def obs(zone: str, indicator: str, period: str, value: str, unit: str) -> dict:
    return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": unit}


OBSERVATIONS = [
    obs(JIA, "industrial_output", "2019-05", "69.33", "亿元"),
    obs(JIA, "industrial_output", "2020-04", "60", "亿元"),
    obs(JIA, "industrial_output", "2020-05", "750200", "万元"),
    obs(YI, "industrial_output", "2019-05", "50", "亿元"),
    obs(YI, "industrial_output", "2020-05", "40", "亿元"),
    obs(BING, "industrial_output", "2019-05", "30", "亿元"),
    obs(BING, "industrial_output", "2020-05", "33", "亿元"),
    obs(JIA, "foreign_capital", "2020-05", "500", "万美元"),
    obs(YI, "foreign_capital", "2019-05", "400", "万美元"),
    obs(YI, "foreign_capital", "2020-05", "6000000", "美元"),
    obs(BING, "foreign_capital", "2020-05", "100", "万美元"),
    obs(JIA, "signed_projects", "2019-05", "18", "个"),
    obs(JIA, "signed_projects", "2020-05", "20", "个"),
    obs(YI, "signed_projects", "2020-05", "60", "个"),
]
TARGETS = [
    {"zone": JIA, "indicator": "industrial_output", "year": 2020, "value": "166"},
    {"zone": YI, "indicator": "industrial_output", "year": 2020, "value": "100"},
    {"zone": BING, "indicator": "industrial_output", "year": 2020, "value": "80"},
    {"zone": JIA, "indicator": "foreign_capital", "year": 2020, "value": "1200"},
    {"zone": YI, "indicator": "foreign_capital", "year": 2020, "value": "1000"},
    {"zone": JIA, "indicator": "signed_projects", "year": 2020, "value": "53"},
    {"zone": YI, "indicator": "signed_projects", "year": 2020, "value": "50"},
]
# zone, indicator → completion once everything (last year's base, targets, the 万元 and 美元 conversions) is in.
EXPECTED_COMPLETION = {
    (JIA, "industrial_output"): 45.2, (YI, "industrial_output"): 40.0, (BING, "industrial_output"): 41.3,
    (JIA, "foreign_capital"): 41.7, (YI, "foreign_capital"): 60.0, (BING, "foreign_capital"): None,
    (JIA, "signed_projects"): 37.7, (YI, "signed_projects"): 120.0,
}  # fmt: skip
EXPECTED_YOY = {(JIA, "industrial_output"): 8.2, (YI, "foreign_capital"): 50.0, (JIA, "signed_projects"): 11.1}


def board_url(pipeline: Pipeline, **params: str | int) -> str:
    query = urlencode([("zone", zone) for zone in ZONES] + [(name, str(value)) for name, value in params.items()])
    return f"{pipeline.query_url}/board?{query}"


def get_board(pipeline: Pipeline, **params: str | int) -> tuple[httpx.Response, Board]:
    response = httpx.get(board_url(pipeline, **params), timeout=30)
    return response, read_board(response.text)


@pytest.fixture(scope="module")
def seeded(pipeline: Pipeline) -> Pipeline:
    """The figures above, posted through ingest; waits until the query API shows every one of them."""
    accepted = pipeline.post_observations(OBSERVATIONS)
    assert accepted.status_code == 202, accepted.text
    accepted = pipeline.put_targets(TARGETS)
    assert accepted.status_code == 202, accepted.text

    def figures() -> dict:
        response = httpx.get(
            f"{pipeline.query_url}/v1/progress", params={"zone": ZONES, "year": 2020, "month": 5}, timeout=10
        )
        response.raise_for_status()
        return {(i["zone"], i["indicator"]): (i["completion_pct"], i["yoy_pct"]) for i in response.json()["items"]}

    def complete() -> bool:
        seen = figures()
        return all(seen.get(key, ("missing",))[0] == value for key, value in EXPECTED_COMPLETION.items()) and all(
            seen[key][1] == value for key, value in EXPECTED_YOY.items()
        )

    wait_for(complete, timeout=120, what="the board's figures through the pipeline", last=figures)
    return pipeline


def test_board_shows_the_latest_month_with_exact_figures_and_words(seeded: Pipeline):
    response, board = get_board(seeded)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta http-equiv="refresh" content="60">' in response.text
    assert board.heading == "半年红 进度 — 2020年1-5月"  # the latest month with data, as /v1/progress
    assert board.texts["time-progress"] == "序时进度 41.7%"
    assert board.texts["summary"] == "飘红 4/8 项（园区 × 指标）"
    assert [s.indicator for s in board.sections] == ["industrial_output", "foreign_capital", "signed_projects"]

    output = board.section("industrial_output")
    assert output.caption == "规上工业产值（亿元） 1/3 个园区飘红"
    assert output.zones == [YI, BING, JIA]  # lagging first, the largest shortfall first
    jia = output.row(JIA)
    assert (jia.status, jia.completion, jia.ytd, jia.target, jia.yoy) == (
        "on_track",
        "45.2%",
        "75.02 亿元",
        "166 亿元",
        "+8.2%",
    )
    assert jia.status_text == "✔ 飘红 · 超序时进度3.5个百分点"
    assert jia.bar_label == "完成率45.2%，序时进度41.7%" and jia.bar_width == "45.2%"
    yi = output.row(YI)
    assert (yi.status, yi.completion, yi.ytd, yi.target, yi.yoy) == ("behind", "40.0%", "40 亿元", "100 亿元", "-20.0%")
    assert yi.status_text == "✘ 落后序时进度1.7个百分点"
    bing = output.row(BING)
    assert (bing.completion, bing.yoy) == ("41.3%", "+10.0%")  # 41.25 rounds half up (四舍五入), not to even
    assert bing.status_text == "✘ 落后序时进度0.4个百分点"

    capital = board.section("foreign_capital")
    assert capital.caption == "实际利用外资（万美元） 2/3 个园区飘红"
    assert capital.zones == [YI, JIA, BING]  # on track (by zone), then no target
    assert capital.row(JIA).status_text == "✔ 飘红 · 达序时进度"  # 500/1200 is exactly 5/12
    assert (capital.row(JIA).completion, capital.row(JIA).yoy) == ("41.7%", "—")  # no 2019 figure: no growth
    assert (capital.row(YI).ytd, capital.row(YI).completion, capital.row(YI).yoy) == ("600 万美元", "60.0%", "+50.0%")
    assert capital.row(YI).status_text == "✔ 飘红 · 超序时进度18.3个百分点"
    bing = capital.row(BING)
    assert (bing.status, bing.completion, bing.target, bing.status_text) == ("no_target", "—", "无目标", "— 无目标")
    assert bing.bar_width is None

    projects = board.section("signed_projects")
    assert projects.caption == "招商引资签约项目（个） 1/2 个园区飘红"
    assert projects.zones == [JIA, YI]
    assert (projects.row(JIA).completion, projects.row(JIA).yoy) == ("37.7%", "+11.1%")
    assert projects.row(JIA).status_text == "✘ 落后序时进度3.9个百分点"
    over = projects.row(YI)
    assert (over.ytd, over.target, over.completion) == ("60 个", "50 个", "120.0%")
    assert over.status_text == "✔ 飘红 · 超序时进度78.3个百分点"
    assert over.bar_width == "100%"  # capped, with a ">100%" mark

    # The legend says red is the good colour, in words, and names the marks.
    assert "红色 ✔ 飘红 = 完成率达到或超过序时进度" in board.texts["legend"]
    assert "✘ 落后 = 完成率低于序时进度" in board.texts["legend"]


def test_board_by_month_year_and_indicator(seeded: Pipeline):
    _, april = get_board(seeded, year=2020, month=4)
    assert april.heading == "半年红 进度 — 2020年1-4月"
    assert april.texts["time-progress"] == "序时进度 33.3%"
    (output,) = april.sections
    assert output.zones == [JIA]
    assert (output.row(JIA).completion, output.row(JIA).status_text) == ("36.1%", "✔ 飘红 · 超序时进度2.8个百分点")

    # A year alone: its latest month. 2019 has no targets: every row says so, none is on track.
    _, last_year = get_board(seeded, year=2019)
    assert last_year.heading == "半年红 进度 — 2019年1-5月"
    assert last_year.section("industrial_output").caption == "规上工业产值（亿元） 0/3 个园区飘红"
    assert {row.status_text for s in last_year.sections for row in s.rows} == {"— 无目标"}
    assert last_year.section("industrial_output").row(JIA).ytd == "69.33 亿元"

    _, capital = get_board(seeded, indicator="foreign_capital")
    assert [s.indicator for s in capital.sections] == ["foreign_capital"]
    assert capital.texts["summary"] == "飘红 2/3 项（园区 × 指标）"


def test_board_without_data_says_what_to_do(seeded: Pipeline):
    response, board = get_board(seeded, year=2018)
    assert response.status_code == 200
    assert board.sections == []
    empty = board.texts["empty"]
    assert empty.startswith("暂无数据 2018年还没有符合所选园区、指标的进度数据。")
    assert "POST /v1/observations" in empty and "PUT /v1/targets" in empty and "make sample" in empty

    response = httpx.get(f"{seeded.query_url}/board", params={"zone": "大屏无此区"}, timeout=30)
    assert response.status_code == 200
    assert read_board(response.text).texts["empty"].startswith("暂无数据 目前还没有符合所选园区、指标的进度数据。")


def test_bad_parameters_get_a_422_page_naming_each(seeded: Pipeline):
    response = httpx.get(
        f"{seeded.query_url}/board",
        params={"year": "20x0", "month": "13", "indicator": ["gross_output", "export"]},
        timeout=30,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    board = read_board(response.text)
    assert board.texts["problem"].startswith("参数有误（422）")
    assert board.problems == [
        "year: '20x0' is not a whole number",
        "month: 13 is not between 1 and 12",
        "indicator: unknown indicator 'gross_output' (known: industrial_output, fixed_asset_investment, "
        "manufacturing_investment, import_export, export, import, foreign_capital, signed_projects, "
        "signed_investment, major_project_investment, gdp, industrial_investment, industrial_value_added, "
        "tax_revenue, domestic_capital, enterprises_above_scale, projects_signed, projects_signed_investment,"
        " projects_signed_100m, projects_started, projects_in_production, project_start_rate_pct,"
        " project_production_rate_pct, project_registration_rate_pct, land_to_start_avg_days)",
    ]
    response = httpx.get(f"{seeded.query_url}/board", params={"year": "1989"}, timeout=30)
    assert response.status_code == 422
    assert read_board(response.text).problems == ["year: 1989 is not between 1990 and 2100"]


def test_board_in_headless_chromium(seeded: Pipeline):
    """What a wall screen's browser shows: the DOM after rendering, and a screenshot kept in test-artifacts/."""
    board = read_board(dump_dom(board_url(seeded)))
    assert board.title == "半年红 进度 — 2020年1-5月"
    assert board.texts["time-progress"] == "序时进度 41.7%"
    output = board.section("industrial_output")
    assert output.zones == [YI, BING, JIA]
    assert [row.completion for row in output.rows] == ["40.0%", "41.3%", "45.2%"]
    assert [row.status_text[0] for row in output.rows] == ["✘", "✘", "✔"]
    assert output.caption.endswith("1/3 个园区飘红")
    capital = board.section("foreign_capital")
    assert [(row.zone, row.status_text) for row in capital.rows] == [
        (YI, "✔ 飘红 · 超序时进度18.3个百分点"),
        (JIA, "✔ 飘红 · 达序时进度"),
        (BING, "— 无目标"),
    ]

    path = screenshot(board_url(seeded), ARTIFACTS / "board.png", *SCREEN)
    assert png_size(path) == SCREEN
    assert path.stat().st_size > 30_000, f"{path} is {path.stat().st_size} bytes: blank?"
    image = read_png(path)
    colours = image.colours()
    # Not blank: the dark ground, text, the red (on track) and steel-blue (lagging) bars, the amber marker.
    assert len(colours) > 50, f"only {len(colours)} colours in {path}"
    assert near(colours, (229, 57, 53)) > 100, "no red (on-track) bar in the screenshot"
    assert near(colours, (93, 127, 163)) > 100, "no steel-blue (lagging) bar in the screenshot"
    assert near(colours, (255, 213, 79)) > 20, "no amber time-progress marker in the screenshot"
