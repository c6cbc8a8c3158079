"""`make sample` must give the boards something to show: some zones on track, some lagging."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from indicators_core.progress import is_on_track
from stack.sample import INDICATORS, ZONES, build, latest_release


def on_track_pairs(today: date) -> tuple[int, int]:
    """(on-track pairs, pairs with a target and a figure) for the latest month the sample reports."""
    observations, targets = build(today)
    latest = max(o["period"] for o in observations if o["indicator"] in INDICATORS)
    month = int(latest[5:])
    ytd = {(o["zone"], o["indicator"]): Decimal(o["value"]) for o in observations if o["period"] == latest}
    judged = [
        is_on_track(ytd[(t["zone"], t["indicator"])], Decimal(t["value"]), month)
        for t in targets
        if (t["zone"], t["indicator"]) in ytd and t.get("kind", "absolute") == "absolute"
    ]
    return sum(judged), len(judged)


# Every day of the calendar the sample may be run on, as far as it matters: before and after the 15th
# of each month (the release day), so `make run` + `make sample` (tests/stack/test_run.py) show lagging
# zones whatever the month.
EVERY_MONTH = [date(2027, month, day) for month in range(1, 13) for day in (5, 20)]


@pytest.mark.parametrize("today", EVERY_MONTH, ids=str)
def test_the_sample_shows_lagging_zones_every_month_and_on_track_ones_from_march_on(today: date):
    on_track, judged = on_track_pairs(today)
    assert judged == len(ZONES) * len(INDICATORS)
    assert on_track < judged  # lagging pairs: behind-schedule alerts for the inbox
    if latest_release(today)[1] >= 3:
        assert on_track > 0  # and a mix on the board
    else:
        assert on_track == 0  # 1-2月: the slow Spring Festival start lags everywhere, as it often does


@pytest.mark.parametrize(
    ("today", "release"),
    [
        (date(2027, 1, 5), (2026, 11)),
        (date(2027, 1, 20), (2026, 12)),
        (date(2027, 2, 20), (2026, 12)),  # January alone is not released
        (date(2027, 3, 5), (2026, 12)),
        (date(2027, 3, 15), (2027, 2)),  # 1-2月
        (date(2026, 12, 2), (2026, 10)),
        (date(2026, 12, 15), (2026, 11)),
    ],
)
def test_the_sample_ends_with_the_latest_released_month(today: date, release: tuple[int, int]):
    assert latest_release(today) == release
    observations, targets = build(today)
    assert max(o["period"] for o in observations if o["indicator"] in INDICATORS) == f"{release[0]}-{release[1]:02d}"
    # 地区生产总值 by quarter: the quarters whose last month is released.
    quarters = sorted(o["period"] for o in observations if o["indicator"] == "gdp" and o["zone"] == "高新区")
    assert quarters == [f"{release[0] - 1}-Q{q}" for q in range(1, 5)] + [
        f"{release[0]}-Q{q}" for q in range(1, release[1] // 3 + 1)
    ]
    assert {t["year"] for t in targets} == {release[0]}


def test_the_sample_is_the_same_every_time():
    assert build(date(2026, 11, 23)) == build(date(2026, 11, 23))
    assert on_track_pairs(date(2026, 7, 20)) == (18, 40)  # June: 18 of 40 pairs 飘红


def test_the_sample_has_growth_targets_beside_the_absolute_ones():
    _, targets = build(date(2026, 7, 20))
    growth = {(t["zone"], t["indicator"]): t["value"] for t in targets if t.get("kind") == "growth"}
    assert growth == {(zone, code): pct for zone in ZONES for code, pct in (("industrial_output", "8"), ("gdp", "7"))}
    assert ("高新区", "gdp") in {(t["zone"], t["indicator"]) for t in targets if "kind" not in t}


def test_the_sample_registers_its_zones_with_parents_and_a_peer_group():
    from ingest.zones import parent_problems, validate_zones
    from stack.sample import PEER_GROUP, REGISTRY

    rows = validate_zones({"zones": REGISTRY}, 5000)
    assert parent_problems(rows, {}) == []  # every parent is in the batch, no loop
    by_code = {row.code: row for row in rows}
    assert set(ZONES) <= set(by_code)
    assert [code for code, row in by_code.items() if PEER_GROUP in row.groups] == [
        "高新区",
        "经开区",
        "综保区",
        "临港产业园",
    ]
    assert (by_code["高新区"].parent, by_code["滨江区"].parent, by_code["示范市"].parent) == ("滨江区", "示范市", None)


@pytest.mark.parametrize("today", [date(2027, 3, 5), date(2026, 7, 20), date(2026, 12, 15)], ids=str)
def test_the_sample_project_lists_are_accepted_and_some_projects_are_overdue(today: date):
    from indicators_core.projects import Project, load_deadlines, project_status
    from ingest.projects import validate_projects
    from stack.sample import build_projects

    projects, targets = build_projects(today)
    rows = validate_projects({"projects": projects}, today, 5000)  # every row valid as of the day
    assert {row.zone for row in rows} == set(ZONES)
    statuses = [
        project_status(
            Project(r.id, r.zone, r.name, r.total_investment, r.stages, r.planned, r.tier), load_deadlines(), today
        )
        for r in rows
    ]
    overdue = [s for s in statuses if s.days_overdue is not None]
    assert 0 < len(overdue) < len(statuses)
    assert any(s.late for s in statuses)
    assert {(t["zone"], t["indicator"]) for t in targets} == {(zone, "projects_signed_100m") for zone in ZONES}
    assert build_projects(today) == (projects, targets)
