"""`make sample`: post a realistic year of data for several zones to a running stack.

Last year's twelve months and this year's months so far (1-2月 released together; no January
for investment, as upstreams really report), cumulative (累计) figures, and this year's annual
targets; 地区生产总值 by quarter (1-n季度, "YYYY-Qn"), growth-rate targets (增长X%以上), and each zone's major-project
list (some projects overdue). Zones differ on purpose: some on track (飘红), some lagging, one shrinking. Seeded, so
the same figures every time; posting twice changes nothing.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx

from cli.main import progress_bar
from cli.uploading import FileRows, UploadFailed, upload
from indicators_core.progress import month_number, month_of_number

# zone → (scale of its economy, this year's growth factor, target ambition)
ZONES = {
    "高新区": (Decimal("1.00"), Decimal("1.082"), Decimal("1.06")),
    "经开区": (Decimal("0.80"), Decimal("1.035"), Decimal("1.12")),
    "综保区": (Decimal("0.35"), Decimal("1.150"), Decimal("1.10")),
    "临港产业园": (Decimal("0.55"), Decimal("0.940"), Decimal("1.08")),
    "生态工业园": (Decimal("0.25"), Decimal("1.060"), Decimal("1.05")),
}
# indicator → (last year's full-year value for a zone of scale 1, unit, decimals)
INDICATORS = {
    "industrial_output": (Decimal("980"), "亿元", 2),
    "fixed_asset_investment": (Decimal("120"), "亿元", 2),
    "manufacturing_investment": (Decimal("55"), "亿元", 2),
    "import_export": (Decimal("260"), "亿元", 2),
    "export": (Decimal("150"), "亿元", 2),
    "foreign_capital": (Decimal("1800"), "万美元", 0),
    "signed_projects": (Decimal("50"), "个", 0),
    "major_project_investment": (Decimal("380"), "亿元", 2),
}
NO_JANUARY = {"fixed_asset_investment", "manufacturing_investment"}
# The zone registry (PUT /v1/zones), posted first: each zone's full name, level, kind and parent, a district
# and the city above them, and a peer group, so that the boards show names, /v1/rankings?group= and
# ?parent= have a field (the four national and provincial zones are peers), and /v1/rollups?parent=示范市 sums
# its zones. The codes are the zones' short names
# the figures are reported under.
CITY, DISTRICT = "示范市", "滨江区"
PEER_GROUP = "省级以上开发区"
REGISTRY = [
    {"code": CITY, "name_zh": "示范市", "level": "other", "kind": "地级市"},
    {"code": DISTRICT, "name_zh": "示范市滨江区", "level": "other", "kind": "区县", "parent": CITY},
    {
        "code": "高新区",
        "name_zh": "示范高新技术产业开发区",
        "level": "national",
        "kind": "高新区",
        "parent": DISTRICT,
        "groups": [PEER_GROUP],
    },
    {
        "code": "经开区",
        "name_zh": "示范经济技术开发区",
        "level": "national",
        "kind": "经开区",
        "parent": CITY,
        "groups": [PEER_GROUP],
    },
    {
        "code": "综保区",
        "name_zh": "示范综合保税区",
        "level": "national",
        "kind": "综保区",
        "parent": DISTRICT,
        "groups": [PEER_GROUP],
    },
    {
        "code": "临港产业园",
        "name_zh": "示范临港产业园",
        "level": "provincial",
        "kind": "产业园",
        "parent": CITY,
        "groups": [PEER_GROUP],
    },
    {"code": "生态工业园", "name_zh": "示范生态工业园", "level": "other", "kind": "产业园", "parent": CITY},
]

# Quarterly indicators (catalog frequency "quarter"): indicator → (last year's full-year value at scale 1,
# unit, decimals); posted as 1-n季度累计, "period": "YYYY-Qn", for the quarters released by then.
QUARTERLY = {"gdp": (Decimal("600"), "亿元", 2)}
# Growth-rate targets (增长X%以上) every zone gets beside its absolute targets: the zones growing less
# than this (经开区 +3.5%, 生态工业园 +6%, 临港产业园 shrinking) show "增速低于目标…".
GROWTH_TARGETS = {"industrial_output": Decimal(8), "gdp": Decimal(7)}


def cumulative_shares(rng: random.Random) -> list[Decimal]:
    """Share of the year done by the end of each month: a slow start (Spring Festival), a push before
    the half-year and year-end checks. Close enough to linear that, against the zones' targets, the
    board shows a mix of on-track and lagging pairs in every month from March on (tested)."""
    weights = [
        Decimal(str(round(w * rng.uniform(0.92, 1.08), 3)))
        for w in (7.5, 7.5, 8.5, 8.5, 8.5, 9, 8, 8, 8.5, 8.5, 8, 9.5)
    ]
    total = sum(weights)
    running = Decimal(0)
    shares = []
    for weight in weights:
        running += weight
        shares.append(running / total)
    return shares


def latest_release(today: date) -> tuple[int, int]:
    """(year, month) of the latest month released by `today`: a month's figures come out mid next month,
    and January only with February (1-2月, mid-March). Before that, last year's full year is the latest.

    The sample's "this year" is that year, so the boards have a year in progress in every month of the
    calendar, January and February included.
    """
    months_back = 1 if today.day >= 15 else 2
    year, month = month_of_number(month_number(today.year, today.month) - months_back)
    if month == 1:  # January is released with February only
        year, month = year - 1, 12
    return year, month


def build(today: date) -> tuple[list[dict], list[dict]]:
    rng = random.Random(20260501)  # noqa: S311 -- sample figures, not secrets
    this_year, last_month = latest_release(today)
    last_year = this_year - 1
    observations: list[dict] = []
    targets: list[dict] = []
    for zone, (scale, growth, ambition) in ZONES.items():
        for indicator, (base, unit, places) in INDICATORS.items():
            quantum = Decimal(1).scaleb(-places)
            full_last = base * scale * Decimal(str(round(rng.uniform(0.9, 1.1), 3)))
            shares_last, shares_this = cumulative_shares(rng), cumulative_shares(rng)
            for year, full, shares, months in (
                (last_year, full_last, shares_last, 12),
                (this_year, full_last * growth, shares_this, last_month),
            ):
                for month in range(1, months + 1):
                    if month == 1:
                        continue  # 1-2月 are released together
                    value = (full * shares[month - 1]).quantize(quantum)
                    observations.append(
                        {
                            "zone": zone,
                            "indicator": indicator,
                            "period": f"{year}-{month:02d}",
                            "value": str(value),
                            "unit": unit,
                        }
                    )
            target = (full_last * ambition).quantize(Decimal(1) if places == 0 else Decimal("0.1"))
            targets.append(
                {"zone": zone, "indicator": indicator, "year": this_year, "value": str(target), "unit": unit}
            )
    quarterly_observations, quarterly_targets = build_quarterly(this_year, last_month)
    observations.extend(quarterly_observations)
    targets.extend(quarterly_targets)
    targets.extend(
        {"zone": zone, "indicator": indicator, "year": this_year, "kind": "growth", "value": str(pct)}
        for zone in ZONES
        for indicator, pct in GROWTH_TARGETS.items()
    )
    return observations, targets


def build_quarterly(this_year: int, last_month: int) -> tuple[list[dict], list[dict]]:
    """The quarterly indicators: last year's four quarters and this year's released ones (a quarter is out
    once its last month is), with this year's absolute targets. A random stream of its own, so the monthly
    figures stay the ones the boards' tests know."""
    rng = random.Random(20260502)  # noqa: S311 -- sample figures, not secrets
    observations: list[dict] = []
    targets: list[dict] = []
    for zone, (scale, growth, ambition) in ZONES.items():
        for indicator, (base, unit, places) in QUARTERLY.items():
            quantum = Decimal(1).scaleb(-places)
            full_last = base * scale * Decimal(str(round(rng.uniform(0.9, 1.1), 3)))
            for year, full, quarters in (
                (this_year - 1, full_last, 4),
                (this_year, full_last * growth, last_month // 3),
            ):
                shares = cumulative_shares(rng)
                for quarter in range(1, quarters + 1):
                    value = (full * shares[3 * quarter - 1]).quantize(quantum)
                    observations.append(
                        {
                            "zone": zone,
                            "indicator": indicator,
                            "period": f"{year}-Q{quarter}",
                            "value": str(value),
                            "unit": unit,
                        }
                    )
            target = (full_last * ambition).quantize(Decimal("0.1"))
            targets.append(
                {"zone": zone, "indicator": indicator, "year": this_year, "value": str(target), "unit": unit}
            )
    return observations, targets


INDUSTRIES = ("新能源汽车", "集成电路", "生物医药", "高端装备", "新材料", "数字经济")
PRODUCTS = ("电机", "电池", "芯片封测", "创新药", "精密轴承", "碳纤维", "工业软件", "储能系统")
TIERS = ("province", "city", "zone", None)


def _day(start: date, low: int, high: int, rng: random.Random) -> date:
    return date.fromordinal(start.toordinal() + rng.randint(low, high))


def build_projects(today: date) -> tuple[list[dict], list[dict]]:
    """The zones' major-project lists (PUT /v1/projects): projects signed since January of last year, each
    carried through its stages at a pace of its own up to `today`; about one stage in five stalls, so some
    projects are overdue (签约后2个月未供地, …) and some reached a stage late. No completed investment: the sample's
    重大项目完成投资 stays the observations above. With a target of 亿元以上签约项目数 for each zone."""
    rng = random.Random(20260503)  # noqa: S311 -- sample figures, not secrets
    first = date(today.year - 1, 1, 1)
    # (stage, days after the previous stage, low and high): 签约即供地 within about 2 months, 拿地即开工 within 3, …
    pace = (("land", 25, 80), ("start", 40, 110), ("completion", 200, 420), ("production", 10, 45))
    projects: list[dict] = []
    targets: list[dict] = []
    for number, zone in enumerate(ZONES, start=1):
        for index in range(6 + rng.randint(0, 4)):
            signed = _day(first, 0, max(0, (today - first).days - 5), rng)
            stages = {"meeting": _day(signed, -25, -5, rng).isoformat(), "signed": signed.isoformat()}
            if rng.random() < 0.7:
                stages["registered"] = _day(signed, 3, 20, rng).isoformat()
            previous = date.fromisoformat(max(stages.values()))
            planned: dict[str, str] = {}
            for stage, low, high in pace:
                reached = _day(previous, low, high, rng)
                if stage == "start" and rng.random() < 0.5:
                    planned["start"] = _day(previous, 80, 100, rng).isoformat()
                if reached > today or rng.random() < 0.2:
                    break
                stages[stage] = reached.isoformat()
                previous = reached
            product, industry = rng.choice(PRODUCTS), rng.choice(INDUSTRIES)
            in_wan = rng.random() < 0.3  # some zones keep their 台账 in 万元
            investment = Decimal(str(round(rng.uniform(0.3, 30), 2)))
            projects.append(
                {
                    "id": f"sample-{number}-{index + 1:02d}",
                    "zone": zone,
                    "name": f"{product}项目（{signed.year}-{index + 1:02d}）",
                    "tier": rng.choice(TIERS),
                    "industry": industry,
                    "total_investment": str(investment * 10000 if in_wan else investment),
                    "unit": "万元" if in_wan else "亿元",
                    "stages": stages,
                    "planned": planned,
                }
            )
        targets.append({"zone": zone, "indicator": "projects_signed_100m", "year": today.year, "value": "8"})
    return projects, targets


def main() -> int:
    ingest_url = os.environ.get("INDICATORS_INGEST_URL", "http://127.0.0.1:8000")
    key = os.environ.get("INDICATORS_ADMIN_KEY") or _key_from_data_dir()
    observations, targets = build(sample_day())
    projects, project_targets = build_projects(sample_day())
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=headers, timeout=60) as client:
        response = client.put(f"{ingest_url}/v1/zones", json={"zones": REGISTRY})
        if response.status_code != 202:
            print(f"zones refused: {response.status_code} {response.text}", file=sys.stderr)
            return 1
        # The command line's own upload (cli.uploading): batches within ingest's limits, a progress bar.
        for kind, rows in (("observations", observations), ("targets", targets)):
            with progress_bar(len(rows)) as advance:
                try:
                    upload(client, ingest_url, FileRows(kind, rows), check_first=False, advance=advance)
                except UploadFailed as failed:
                    print(f"{kind} refused: {failed.detail} {failed.problems[:5]}", file=sys.stderr)
                    return 1
        response = client.put(f"{ingest_url}/v1/projects", json={"projects": projects})
        if response.status_code != 202:
            print(f"projects refused: {response.status_code} {response.text}", file=sys.stderr)
            return 1
        response = client.put(f"{ingest_url}/v1/targets", json={"targets": project_targets})
        if response.status_code != 202:
            print(f"project targets refused: {response.status_code} {response.text}", file=sys.stderr)
            return 1
    print(
        f"posted {len(REGISTRY)} registered zones, {len(observations)} observations, {len(targets)} targets and"
        f" {len(projects)} major projects for {len(ZONES)} zones to {ingest_url}"
    )
    return 0


def sample_day() -> date:
    """Today, or the day INDICATORS_SAMPLE_TODAY (YYYY-MM-DD) names: the sample as it would be posted then."""
    given = os.environ.get("INDICATORS_SAMPLE_TODAY")
    if not given:
        return date.today()
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise SystemExit(f"INDICATORS_SAMPLE_TODAY={given!r} is not a date YYYY-MM-DD") from None


def _key_from_data_dir() -> str:
    key_file = Path(os.environ.get("INDICATORS_DATA_DIR", ".data")) / "admin-key"
    if not key_file.exists():
        raise SystemExit("no admin key: set INDICATORS_ADMIN_KEY or start the stack with `make run` first")
    return key_file.read_text().strip()


if __name__ == "__main__":
    sys.exit(main())
