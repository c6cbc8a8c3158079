"""The figures the board tests post through the pipeline, and what they imply (worked out by hand).

Zones 看板A区, 看板B区, 看板C区 only; 2021 is last year, 2022 this year. The focus month is May 2022:
time progress 5/12 = 41.666…% → 41.7.

| zone | indicator | 2021 Apr / May | 2022 Apr / May | 2022 target |
|---|---|---|---|---|
| 看板A区 | 规上工业产值 (亿元) | 350 / 420 | 380 / 472.5 | 1050 |
| 看板B区 | 规上工业产值 | 300 / 320 | 290 / 300 | 800 |
| 看板C区 | 规上工业产值 | 160 / 200 | 190 / 250 | 600 |
| 看板A区 | 招商引资签约项目 (个) | – / 16 | – / 20 | 53 |
| 看板B区 | 招商引资签约项目 | – / 18 | – / 18 | 40 |
| 看板C区 | 招商引资签约项目 | – / – | – / 5 | (none) |
| 看板A区 | 固定资产投资 (亿元) | 24 / – | 30 / – | 100 |
| 看板A区 | 进出口总额 (亿元) | – / 200 | – / 224 | growth 10% only |
| 看板B区 | 进出口总额 | – / 100 | – / 105 | growth 10% only |
| 看板C区 | 进出口总额 | – / – | – / – | growth 8% only |

地区生产总值 (gdp, 亿元) is quarterly: "2022-Q1" (1季度, stored at month 3; time progress 1/4 = 25.0%):
看板A区 2021-Q1 2500, 2022-Q1 2700, target 15000 and growth 6%; 看板B区 2021-Q1 1000, 2022-Q1 1075, growth 7% only.

The registry (PUT /v1/zones): 看板A区 is 看板甲开发区, 看板B区 is 看板乙高新区; 看板C区 is not registered,
so the boards show it by its code.

May 2022, worked out:
- A 规上工业产值: 472.5 / 1050 = 45.0%, gap 45.0 − 41.67 = +3.33 → 飘红（超序时进度3.3个百分点）; YoY 52.5/420 = 12.5%.
- B 规上工业产值: 300 / 800 = 37.5%, gap −4.17 → 落后序时进度4.2个百分点; YoY −20/320 = −6.25% → −6.3 (half up).
- C 规上工业产值: 250 / 600 = 41.666…% = time progress exactly (12 × 250 = 5 × 600) → 飘红（达序时进度）; YoY 25.0%.
- A 签约项目: 20 / 53 = 37.7358…% → 37.7, gap −3.93 → 落后序时进度3.9个百分点; YoY 4/16 = 25.0%.
- B 签约项目: 18 / 40 = 45.0% → 飘红（超序时进度3.3个百分点）; YoY 0.0%.
- C 签约项目: no target of either kind → 无目标; no 2021 figure → no YoY.
- A 固定资产投资: target 100 but no May report → 本月未报送 (its last report is April: 30%).
- A 进出口总额: growth target only: 24/200 = +12.0% against 10% → 飘红（增速高于目标2.0个百分点）.
- B 进出口总额: 5/100 = +5.0% against 10% → 增速低于目标5.0个百分点 (lagging: −5.0 points, the largest shortfall).
- C 进出口总额: a growth target, no report → 本月未报送.
- 地区生产总值 is not listed in April or May: a quarterly indicator is due at a quarter's end only.
March 2022 (1季度): A gdp 2700 / 15000 = 18.0% against 25.0% → 落后序时进度7.0个百分点 (judged on the absolute
target; +8.0% against 6%); B gdp +75/1000 = 7.5% against 7% → 飘红（增速高于目标0.5个百分点）.
April 2022: A 380/1050 = 36.19%, B 290/800 = 36.25% → 36.3 (half up), C 190/600 = 31.67%.
Completion ranks: April B 1, A 2, C 3; May A 1, C 2, B 3 → A 上升1位, C 上升1位, B 下降2位.
Growth ranks: April C 18.75→18.8, A 8.57→8.6, B −3.3; May C 25.0, A 12.5, B −6.3 → all 持平.
Alerts (the evaluator, default rules.toml): B 规上工业产值 negative_growth 预警 (−6.3%); B 进出口总额 negative_growth
提示 (below its growth target); A 地区生产总值 behind_schedule 预警 (7.0 points behind, over the 5-point line),
期间 2022年一季度.
"""

from __future__ import annotations

ZONE_A, ZONE_B, ZONE_C = "看板A区", "看板B区", "看板C区"
ZONES = (ZONE_A, ZONE_B, ZONE_C)
LAST_YEAR, THIS_YEAR = 2021, 2022

# (zone, indicator, "YYYY-MM", value, unit): cumulative (累计) figures.
OBSERVATIONS = [
    (ZONE_A, "industrial_output", "2021-04", "350", "亿元"),
    (ZONE_A, "industrial_output", "2021-05", "420", "亿元"),
    (ZONE_A, "industrial_output", "2022-04", "380", "亿元"),
    (ZONE_A, "industrial_output", "2022-05", "472.5", "亿元"),
    (ZONE_B, "industrial_output", "2021-04", "300", "亿元"),
    (ZONE_B, "industrial_output", "2021-05", "320", "亿元"),
    (ZONE_B, "industrial_output", "2022-04", "290", "亿元"),
    (ZONE_B, "industrial_output", "2022-05", "300", "亿元"),
    (ZONE_C, "industrial_output", "2021-04", "160", "亿元"),
    (ZONE_C, "industrial_output", "2021-05", "200", "亿元"),
    (ZONE_C, "industrial_output", "2022-04", "190", "亿元"),
    (ZONE_C, "industrial_output", "2022-05", "250", "亿元"),
    (ZONE_A, "signed_projects", "2021-05", "16", "个"),
    (ZONE_A, "signed_projects", "2022-05", "20", "个"),
    (ZONE_B, "signed_projects", "2021-05", "18", "个"),
    (ZONE_B, "signed_projects", "2022-05", "18", "个"),
    (ZONE_C, "signed_projects", "2022-05", "5", "个"),
    (ZONE_A, "fixed_asset_investment", "2021-04", "24", "亿元"),
    (ZONE_A, "fixed_asset_investment", "2022-04", "30", "亿元"),
    (ZONE_A, "import_export", "2021-05", "200", "亿元"),
    (ZONE_A, "import_export", "2022-05", "224", "亿元"),
    (ZONE_B, "import_export", "2021-05", "100", "亿元"),
    (ZONE_B, "import_export", "2022-05", "105", "亿元"),
    (ZONE_A, "gdp", "2021-Q1", "2500", "亿元"),
    (ZONE_A, "gdp", "2022-Q1", "2700", "亿元"),
    (ZONE_B, "gdp", "2021-Q1", "1000", "亿元"),
    (ZONE_B, "gdp", "2022-Q1", "1075", "亿元"),
]

# (zone, indicator, year, value): absolute annual targets of this year.
TARGETS = [
    (ZONE_A, "industrial_output", THIS_YEAR, "1050"),
    (ZONE_B, "industrial_output", THIS_YEAR, "800"),
    (ZONE_C, "industrial_output", THIS_YEAR, "600"),
    (ZONE_A, "signed_projects", THIS_YEAR, "53"),
    (ZONE_B, "signed_projects", THIS_YEAR, "40"),
    (ZONE_A, "fixed_asset_investment", THIS_YEAR, "100"),
    (ZONE_A, "gdp", THIS_YEAR, "15000"),
]

# (zone, indicator, year, percent): growth targets of this year (增长X%以上, PUT /v1/targets "kind": "growth").
GROWTH_TARGETS = [
    (ZONE_A, "import_export", THIS_YEAR, "10"),
    (ZONE_B, "import_export", THIS_YEAR, "10"),
    (ZONE_C, "import_export", THIS_YEAR, "8"),
    (ZONE_A, "gdp", THIS_YEAR, "6"),
    (ZONE_B, "gdp", THIS_YEAR, "7"),
]

# The registry (PUT /v1/zones): C is left out on purpose (shown by its code).
NAMES = {ZONE_A: "看板甲开发区", ZONE_B: "看板乙高新区"}
NAME_A, NAME_B = NAMES[ZONE_A], NAMES[ZONE_B]

# What the progress table holds once the pipeline has processed everything (for the wait).
PROGRESS_ROWS = len(OBSERVATIONS)  # one row per reported month
ROWS_WITH_TARGET = 10  # 2022: 规上工业产值 ×6, 签约项目 A and B, 固定资产投资 A April, 地区生产总值 A 1季度
ROWS_WITH_GROWTH_TARGET = 4  # 2022: 进出口总额 A and B May, 地区生产总值 A and B 1季度
ROWS_WITH_LAST_YEAR = 13  # 2022 rows whose 2021 period was reported (C 签约项目 has none)

# The open alerts of 2022 the seed raises: (rule, zone, indicator, state, severity), as tests.support.alert_state.
ALERTS = {
    ("negative_growth", ZONE_B, "industrial_output", "firing", "warning"),
    ("negative_growth", ZONE_B, "import_export", "firing", "info"),
    ("behind_schedule", ZONE_A, "gdp", "firing", "warning"),
}


def observation_rows() -> list[dict]:
    return [
        {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": unit}
        for zone, indicator, period, value, unit in OBSERVATIONS
    ]


def target_rows() -> list[dict]:
    """The body rows of PUT /v1/targets: the absolute targets, then the growth targets."""
    return [
        {"zone": zone, "indicator": indicator, "year": year, "value": value} for zone, indicator, year, value in TARGETS
    ] + [
        {"zone": zone, "indicator": indicator, "year": year, "kind": "growth", "value": value}
        for zone, indicator, year, value in GROWTH_TARGETS
    ]


def zone_rows() -> list[dict]:
    """The body rows of PUT /v1/zones."""
    return [{"code": code, "name_zh": name, "level": "provincial", "kind": "开发区"} for code, name in NAMES.items()]


# ------------------------------------------------------------------ major projects (重大项目督导, /board/projects)
#
# Zones 项目看板A区 (registered as 项目看板甲开发区) and 项目看板B区 (not registered: shown by its code); the year 2017
# is theirs alone. Judged on 2017-06-30 (the end of the month shown; never the clock). Total investment in 亿元.
#
# | id | zone | tier | 总投资 | 上会 | 签约 | 注册 | 供地 | 开工 | 竣工 | 投产 | planned |
# |---|---|---|---|---|---|---|---|---|---|---|---|
# | P1 甲一号项目 | A | city | 1.5 | 01-05 | 02-10 | | 07-20 | | | | |
# | P2 甲二号项目 | A | province | 3 | 01-03 | 01-10 | 01-20 | 02-15 | 04-01 | | | start 03-01, completion 06-15, production 06-01 |
# | P3 甲三号项目 | A | zone | 0.5 | 03-01 | 03-20 | | 04-10 | 05-10 | 05-20 | | start 05-31 |
# | P4 甲四号项目 | A | – | 2 | 05-10 | | | | | | | |
# | P5 甲五号项目 | A | – | 4 | 2016-11-01 | 2016-12-01 | 2016-12-05 | 01-20 | 03-20 | 05-01 | 05-15 | production 05-31 |
# | P6 甲六号项目 | A | – | 1 | | | | | | | | meeting 08-01 |
# | Q1 乙一号项目 | B | – | 1.2 | 04-01 | 04-15 | | 05-05 | 06-20 | | | |
# | Q2 乙二号项目 | B | – | 0.8 | 06-01 | 06-20 | | | | | | |
#
# At the end of June (a date after it, P1's 供地 07-20, is not reached yet):
# - stages: A none 1 (P6), 上会 1 (P4), 签约 1 (P1), 开工 1 (P2), 竣工 1 (P3), 投产 1 (P5); 6 projects, 2 registered
#   (P2, P5). B 签约 1 (Q2), 开工 1 (Q1); 2 projects, none registered.
# - overdue, worst first: P1 供地 due 04-10 (签约 + 2 months), 81 days; P4 签约 due 06-10 (上会 + 1 month), 20 days;
#   P2 竣工 planned 06-15, 15 days (its planned 投产 waits for 竣工: not overdue); P3 投产 due 06-20 (竣工 + 1 month),
#   10 days. On 2017-09-01: P4 83, P2 78, P3 73, P6 上会 (planned 08-01) 31, Q2 供地 (due 08-20) 12; P1 got its
#   land on 07-20.
# - A 1-6月: 签约 3 (P1 P2 P3), 签约总投资 5.0, 亿元以上 2 (P1 P2; target 8: 25.0%, 25.0 points behind 50%),
#   新开工 3 (P2 P3 P5), 投产 1 (P5), 开工率 2/2 = 100% (planned starts P2 P3; target 90: 完成目标111.1%), 投产率 1/2
#   = 50% (planned P2 06-01 not produced, P5 05-31 produced), 注册率 1/3 = 33.3% (P2), 拿地至开工 (45 + 30 + 59) / 3
#   = 44.666… → 44.7天.
# - B 1-6月: 签约 2, 签约总投资 2.0, 亿元以上 1, 新开工 1 (target 2: 50.0% = 序时进度, 飘红（达序时进度）), 投产 0,
#   开工率 and 投产率 unknown (no planned start or production), 注册率 0%, 拿地至开工 46天.
# - stage durations (days, the later stage in 1-6月): A 上会至签约 (36 + 7 + 19) / 3 = 20.7, 签约至供地 (36 + 21 + 50)
#   / 3 = 35.7, 拿地至开工 44.7, 竣工至投产 14.0; B 16.5, 20.0, 46.0, —; both zones 19.0, 31.8 (127 / 4 = 31.75),
#   45.0, 14.0; started 3, 1, 4.
PROJECT_ZONE_A, PROJECT_ZONE_B = "项目看板A区", "项目看板B区"
PROJECT_ZONES = (PROJECT_ZONE_A, PROJECT_ZONE_B)
PROJECT_NAME_A = "项目看板甲开发区"
PROJECT_YEAR = 2017


def _on(day: str) -> str:
    return day if day.startswith("2016") else f"2017-{day}"


def _project_row(
    pid: str, zone: str, name: str, total: str, stages: dict, planned: dict | None = None, **fields
) -> dict:
    row = {
        "id": f"项目看板-{pid}",
        "zone": zone,
        "name": name,
        "total_investment": total,
        "unit": "亿元",
        "stages": {stage: _on(day) for stage, day in stages.items()},
        **fields,
    }
    if planned:
        row["planned"] = {stage: _on(day) for stage, day in planned.items()}
    return row


def project_rows() -> list[dict]:
    """The body rows of PUT /v1/projects."""
    a, b = PROJECT_ZONE_A, PROJECT_ZONE_B
    return [
        _project_row(
            "P1", a, "甲一号项目", "1.5", {"meeting": "01-05", "signed": "02-10", "land": "07-20"}, tier="city"
        ),
        _project_row(
            "P2",
            a,
            "甲二号项目",
            "3",
            {"meeting": "01-03", "signed": "01-10", "registered": "01-20", "land": "02-15", "start": "04-01"},
            {"start": "03-01", "completion": "06-15", "production": "06-01"},
            tier="province",
        ),
        _project_row(
            "P3",
            a,
            "甲三号项目",
            "0.5",
            {"meeting": "03-01", "signed": "03-20", "land": "04-10", "start": "05-10", "completion": "05-20"},
            {"start": "05-31"},
            tier="zone",
        ),
        _project_row("P4", a, "甲四号项目", "2", {"meeting": "05-10"}),
        _project_row(
            "P5",
            a,
            "甲五号项目",
            "4",
            {
                "meeting": "2016-11-01",
                "signed": "2016-12-01",
                "registered": "2016-12-05",
                "land": "01-20",
                "start": "03-20",
                "completion": "05-01",
                "production": "05-15",
            },
            {"production": "05-31"},
        ),
        _project_row("P6", a, "甲六号项目", "1", {}, {"meeting": "08-01"}),
        _project_row(
            "Q1", b, "乙一号项目", "1.2", {"meeting": "04-01", "signed": "04-15", "land": "05-05", "start": "06-20"}
        ),
        _project_row("Q2", b, "乙二号项目", "0.8", {"meeting": "06-01", "signed": "06-20"}),
    ]


def project_target_rows() -> list[dict]:
    """PUT /v1/targets of the derived figures: 亿元以上签约项目数 and 开工率 for A, 新开工项目数 for B."""
    return [
        {"zone": PROJECT_ZONE_A, "indicator": "projects_signed_100m", "year": PROJECT_YEAR, "value": "8"},
        {"zone": PROJECT_ZONE_A, "indicator": "project_start_rate_pct", "year": PROJECT_YEAR, "value": "90"},
        {"zone": PROJECT_ZONE_B, "indicator": "projects_started", "year": PROJECT_YEAR, "value": "2"},
    ]


def project_zone_rows() -> list[dict]:
    return [{"code": PROJECT_ZONE_A, "name_zh": PROJECT_NAME_A, "level": "provincial", "kind": "开发区"}]


# What the progress table holds for June 2017 once the list is processed: (zone, indicator) → ytd_value as stored,
# and the targets' completion (the wait's condition).
PROJECT_FIGURES_JUNE = {
    (PROJECT_ZONE_A, "projects_signed"): "3",
    (PROJECT_ZONE_A, "projects_signed_investment"): "5.0",
    (PROJECT_ZONE_A, "projects_signed_100m"): "2",
    (PROJECT_ZONE_A, "projects_started"): "3",
    (PROJECT_ZONE_A, "projects_in_production"): "1",
    (PROJECT_ZONE_A, "project_start_rate_pct"): "100",
    (PROJECT_ZONE_A, "project_production_rate_pct"): "50",
    (PROJECT_ZONE_A, "project_registration_rate_pct"): "33.333333333333",
    (PROJECT_ZONE_A, "land_to_start_avg_days"): "44.666666666667",
    (PROJECT_ZONE_B, "projects_signed"): "2",
    (PROJECT_ZONE_B, "projects_signed_investment"): "2.0",
    (PROJECT_ZONE_B, "projects_signed_100m"): "1",
    (PROJECT_ZONE_B, "projects_started"): "1",
    (PROJECT_ZONE_B, "projects_in_production"): "0",
    (PROJECT_ZONE_B, "project_registration_rate_pct"): "0",
    (PROJECT_ZONE_B, "land_to_start_avg_days"): "46",
}
