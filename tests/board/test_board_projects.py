"""GET /board/projects (the board's 重大项目 view) on a project list posted through the real pipeline: the counts by
stage, the derived figures against their targets and the overdue list worst first, with the figures worked out by hand
in tests/dashboards/seed.py (项目看板A区/B区, 2017) and held to GET /v1/projects/stats and /v1/projects?overdue=true.

"Today" is never the clock: the page judges the overdue stages on `as_of`, or at the end of the month shown (June 2017
is long over, so 2017-06-30 whatever the clock says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

import httpx
import pytest

from indicators_core.progress import round_half_up
from tests.dashboards.seed import PROJECT_NAME_A, PROJECT_ZONE_A, PROJECT_ZONE_B, PROJECT_ZONES
from tests.dashboards.test_projects_board import post_projects
from tests.support import Pipeline

pytestmark = pytest.mark.integration

B = PROJECT_ZONE_B  # not registered: shown by its code
STAGE_ORDER = ("none", "meeting", "signed", "land", "start", "completion", "production")


@dataclass
class Page:
    """What a person reads: the heading, texts by id, and the rows of each table by what they show."""

    heading: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    stages: dict[str, list[str]] = field(default_factory=dict)  # zone code → cells after the zone's name
    figures: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (zone, indicator) → cells
    overdue: list[tuple[str, list[str]]] = field(default_factory=list)  # (project id, cells)
    links: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.zone: str | None = None  # the figures section being read
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.capture: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "section" and "data-figures-zone" in a:
            self.zone = a["data-figures-zone"]
        elif tag == "tr" and "data-stage-zone" in a:
            self.row = self.page.stages.setdefault(a["data-stage-zone"], [])
        elif tag == "tr" and "data-indicator" in a and self.zone:
            self.row = self.page.figures.setdefault((self.zone, a["data-indicator"]), [])
        elif tag == "tr" and "data-project" in a:
            self.row = []
            self.page.overdue.append((a["data-project"], self.row))
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "a":
            self.page.links.append(a.get("href", ""))
        elif tag in ("h1", "li") or "id" in a:
            self.capture = (a.get("id") or tag, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif self.capture is not None and tag in ("h1", "li", "div", "p", "span", "h2"):
            what, parts = self.capture
            text = " ".join("".join(parts).split())
            if what == "h1":
                self.page.heading = text
            elif what == "li":
                self.page.problems.append(text)
            else:
                self.page.texts[what] = text
            self.capture = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.capture is not None:
            self.capture[1].append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


@pytest.fixture(scope="module")
def listed(pipeline: Pipeline) -> Pipeline:
    return post_projects(pipeline)


def get_page(pipeline: Pipeline, **params: str) -> tuple[httpx.Response, Page]:
    response = httpx.get(
        f"{pipeline.query_url}/board/projects", params={"zone": list(PROJECT_ZONES), **params}, timeout=30
    )
    return response, read_page(response.text)


def api(pipeline: Pipeline, path: str, **params) -> dict:
    response = httpx.get(f"{pipeline.query_url}{path}", params={"zone": list(PROJECT_ZONES), **params}, timeout=10)
    response.raise_for_status()
    return response.json(parse_float=Decimal)


def test_june_by_stage_figures_and_overdue_worst_first(listed: Pipeline):
    response, page = get_page(listed, year="2017", month="6")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta http-equiv="refresh" content="60">' in response.text
    assert "<script" not in response.text
    assert page.heading == "重大项目 — 2017年1-6月"
    assert page.texts["summary"] == "项目 8 个 · 逾期 4 个"
    assert page.texts["judged-on"] == "逾期截至2017年6月30日"  # the month's end, not the clock
    # 未上会 上会 签约 供地 开工 竣工 投产 | 合计 其中已注册
    assert page.stages == {
        PROJECT_ZONE_A: [PROJECT_NAME_A, "1", "1", "1", "0", "1", "1", "1", "6", "2"],
        B: [B, "0", "0", "1", "0", "1", "0", "0", "2", "0"],
    }
    assert [cells for _, cells in page.overdue] == [
        ["甲一号项目", PROJECT_NAME_A, "市重大项目", "签约", "供地", "2017年4月10日", "已逾期81天"],
        ["甲四号项目", PROJECT_NAME_A, "—", "上会", "签约", "2017年6月10日", "已逾期20天"],
        ["甲二号项目", PROJECT_NAME_A, "省重大项目", "开工", "竣工", "2017年6月15日", "已逾期15天"],
        ["甲三号项目", PROJECT_NAME_A, "区重大项目", "竣工", "投产", "2017年6月20日", "已逾期10天"],
    ]
    a = {code: cells for (zone, code), cells in page.figures.items() if zone == PROJECT_ZONE_A}
    # 指标 | 数值 | 年度目标 | 完成率 | 状态
    assert a["projects_signed_100m"] == ["亿元以上签约项目数", "2 个", "8 个", "25.0%", "落后序时进度25.0个百分点"]
    assert a["project_start_rate_pct"] == [
        "项目开工率",
        "100.0%",
        "90.0%",
        "111.1%",
        "完成目标111.1%（期末数，不对比序时进度）",
    ]
    assert a["project_production_rate_pct"] == ["项目投产率", "50.0%", "无目标", "—", "无目标"]
    assert a["project_registration_rate_pct"] == ["项目注册率", "33.3%", "无目标", "—", "无目标"]
    assert a["land_to_start_avg_days"] == ["拿地至开工平均天数", "44.7天", "无目标", "—", "无目标"]
    assert a["projects_signed_investment"][1] == "5.0 亿元"
    b = {code: cells for (zone, code), cells in page.figures.items() if zone == B}
    assert b["projects_started"] == ["新开工项目数", "1 个", "2 个", "50.0%", "飘红 · 达序时进度"]
    assert b["land_to_start_avg_days"][1] == "46天"
    assert "project_start_rate_pct" not in b  # no planned start in 2017: the rate is unknown, not 0
    assert "/board/projects" in page.links and "/board" in page.links and "/board/rankings" in page.links


def figure_text(number: Decimal | int, unit: str) -> str:
    value = Decimal(str(number))  # a whole number comes out of the JSON as an int
    if unit == "%":
        return f"{round_half_up(value, 1):f}%"
    if unit == "天":
        rounded = round_half_up(value, 1)
        return f"{rounded.normalize() if rounded == rounded.to_integral_value() else rounded:f}天"
    return f"{value:,f} {unit}"


def test_the_page_shows_what_the_api_answers(listed: Pipeline):
    _, page = get_page(listed, year="2017", month="6", as_of="2017-06-30")
    stats = api(listed, "/v1/projects/stats", year=2017, month=6)
    for zone in PROJECT_ZONES:
        counts = stats["by_stage"][zone]
        assert page.stages[zone][1:8] == [str(counts[stage]) for stage in STAGE_ORDER]
        assert page.stages[zone][8] == str(sum(counts.values()))
    assert set(page.figures) == {(i["zone"], i["indicator"]) for i in stats["items"]}
    for item in stats["items"]:
        cells = page.figures[(item["zone"], item["indicator"])]
        assert cells[0] == item["indicator_name"]
        assert cells[1] == figure_text(item["ytd_value"], item["unit"])
        assert cells[3] == ("—" if item["completion_pct"] is None else f"{item['completion_pct']:f}%")
        assert cells[4].removeprefix("飘红 · ") == item["status_zh"]
    overdue = api(listed, "/v1/projects", overdue="true", as_of="2017-06-30")["items"]
    assert [project for project, _ in page.overdue] == [item["id"] for item in overdue]
    assert [cells[6] for _, cells in page.overdue] == [f"已逾期{item['days_overdue']}天" for item in overdue]
    assert [cells[4] for _, cells in page.overdue] == [item["overdue"][0]["stage_zh"] for item in overdue]


def test_a_later_day_judges_the_list_then(listed: Pipeline):
    _, page = get_page(listed, as_of="2017-09-01")
    assert page.heading == "重大项目 — 2017年1-9月"  # the day's month
    assert page.texts["judged-on"] == "逾期截至2017年9月1日"
    # P1 got its land on July 20; P6's planned 上会 (August 1) and Q2's 供地 (August 20) have passed.
    assert [(cells[0], cells[4], cells[6]) for _, cells in page.overdue] == [
        ("甲四号项目", "签约", "已逾期83天"),
        ("甲二号项目", "竣工", "已逾期78天"),
        ("甲三号项目", "投产", "已逾期73天"),
        ("甲六号项目", "上会", "已逾期31天"),
        ("乙二号项目", "供地", "已逾期12天"),
    ]
    overdue = api(listed, "/v1/projects", overdue="true", as_of="2017-09-01")["items"]
    assert [item["days_overdue"] for item in overdue] == [83, 78, 73, 31, 12]
    _, one = get_page(listed, year="2017", month="6", zone=B)
    assert one.texts["overdue-empty"] == "无逾期项目"


def test_bad_parameters_are_a_page_naming_each(listed: Pipeline):
    response, page = get_page(listed, year="二〇一七", month="13", as_of="2017-02-30")
    assert response.status_code == 422
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert [problem.split(":")[0] for problem in page.problems] == ["year", "month", "as_of"]
    assert "2017-02-30" in response.text
    nothing = httpx.get(f"{listed.query_url}/board/projects", params={"zone": "没有项目的园区"}, timeout=30)
    assert nothing.status_code == 200
    assert "暂无数据" in nothing.text
