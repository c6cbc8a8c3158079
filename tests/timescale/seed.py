"""What the Timescale tests store, and what it implies (worked out by hand).

Zones 时序A区, 时序B区, 时序C区 (written through the processor's ProgressStore) and 时序D区 (posted
through the whole pipeline); 2022 is last year, 2023 this year. The focus month is May 2023: time
progress 5/12 = 41.666…% (stored 41.666666666667, shown 41.7).

| zone | indicator | 2022 Apr / May | 2023 Apr / May | 2023 target |
|---|---|---|---|---|
| 时序A区 | 规上工业产值 (亿元) | 350 / 420 | 380 / 472.5 | 1050 |
| 时序B区 | 规上工业产值 | 300 / 320 | 290 / 290 → revised 300 | 800 |
| 时序C区 | 规上工业产值 | 160 / 200 | 190 / 250 | 600 |
| 时序A区 | 招商引资签约项目 (个) | – / 16 | – / 20 | 53 |
| 时序B区 | 招商引资签约项目 | – / 18 | – / 18 | 40 |
| 时序C区 | 固定资产投资 (亿元) | – | 1-2月 12, May 45 (no Mar, Apr) | 100 |

May 2023, stored to 12 decimals:
- A 规上工业产值: 472.5 / 1050 = 45 %; gap 45 − 41.666666666667 = 3.333333333333 (超序时进度3.3个百分点);
  YoY 52.5 / 420 = 12.5 %; May alone 92.5, May 2022 alone 70.
- B 规上工业产值 (after the revision): 300 / 800 = 37.5 %; gap −4.166666666667 (落后序时进度4.2个百分点);
  YoY −20 / 320 = −6.25 % (−6.3 half up).
- C 规上工业产值: 250 / 600 = 41.666666666667 % = time progress exactly (12 × 250 = 5 × 600): on track,
  gap 0 (达序时进度); YoY 50 / 200 = 25 %.
- A 签约项目: 20 / 53 = 37.735849056604 %; gap −3.930817610063 (落后序时进度3.9个百分点); YoY 25 %.
- B 签约项目: 18 / 40 = 45 %: on track (超序时进度3.3个百分点); YoY 0 %.
- C 固定资产投资: 45 / 100 = 45 % on track; no 2022 figure, so no YoY; May alone unknown (no April).
On track in May 2023: 规上工业产值 2 of 3 zones (A, C), 签约项目 1 of 2 (B), 固定资产投资 1 of 1 (C).
"""

from __future__ import annotations

ZONE_A, ZONE_B, ZONE_C = "时序A区", "时序B区", "时序C区"
STORE_ZONES = (ZONE_A, ZONE_B, ZONE_C)
PIPELINE_ZONE = "时序D区"
LAST_YEAR, THIS_YEAR = 2022, 2023

# (zone, indicator, "YYYY-MM", value, unit): cumulative (累计) figures as upstreams post them.
OBSERVATIONS = [
    (ZONE_A, "industrial_output", "2022-04", "350", "亿元"),
    (ZONE_A, "industrial_output", "2022-05", "4200000", "万元"),  # 420亿元, converted by ingest's rules
    (ZONE_A, "industrial_output", "2023-04", "380", "亿元"),
    (ZONE_A, "industrial_output", "2023-05", "472.5", "亿元"),
    (ZONE_B, "industrial_output", "2022-04", "300", "亿元"),
    (ZONE_B, "industrial_output", "2022-05", "320", "亿元"),
    (ZONE_B, "industrial_output", "2023-04", "290", "亿元"),
    (ZONE_B, "industrial_output", "2023-05", "290", "亿元"),  # revised to 300 by REVISION
    (ZONE_C, "industrial_output", "2022-04", "160", "亿元"),
    (ZONE_C, "industrial_output", "2022-05", "200", "亿元"),
    (ZONE_C, "industrial_output", "2023-04", "190", "亿元"),
    (ZONE_C, "industrial_output", "2023-05", "250", "亿元"),
    (ZONE_A, "signed_projects", "2022-05", "16", "个"),
    (ZONE_A, "signed_projects", "2023-05", "20", "个"),
    (ZONE_B, "signed_projects", "2022-05", "18", "个"),
    (ZONE_B, "signed_projects", "2023-05", "18", "个"),
    (ZONE_C, "fixed_asset_investment", "2023-02", "12", "亿元"),
    (ZONE_C, "fixed_asset_investment", "2023-05", "45", "亿元"),
]
REVISION = [(ZONE_B, "industrial_output", "2023-05", "300", "亿元")]

# (zone, indicator, year, value): absolute annual targets of this year.
TARGETS = [
    (ZONE_A, "industrial_output", THIS_YEAR, "1050"),
    (ZONE_B, "industrial_output", THIS_YEAR, "800"),
    (ZONE_C, "industrial_output", THIS_YEAR, "600"),
    (ZONE_A, "signed_projects", THIS_YEAR, "53"),
    (ZONE_B, "signed_projects", THIS_YEAR, "40"),
    (ZONE_C, "fixed_asset_investment", THIS_YEAR, "100"),
]

PROGRESS_ROWS = len(OBSERVATIONS)  # one progress row per reported month


def observation_rows(
    observations: list[tuple[str, str, str, str, str]] = OBSERVATIONS, zone: str | None = None
) -> list[dict]:
    """The body rows of POST /v1/observations; `zone` renames every zone (the pipeline test's own)."""
    return [
        {"zone": zone or z, "indicator": indicator, "period": period, "value": value, "unit": unit}
        for z, indicator, period, value, unit in observations
    ]


def target_rows(targets: list[tuple[str, str, int, str]] = TARGETS, zone: str | None = None) -> list[dict]:
    return [
        {"zone": zone or z, "indicator": indicator, "year": year, "value": value}
        for z, indicator, year, value in targets
    ]
