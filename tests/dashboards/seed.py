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
