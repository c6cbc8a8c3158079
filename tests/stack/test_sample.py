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
    latest = max(o["period"] for o in observations)
    month = int(latest[5:])
    ytd = {(o["zone"], o["indicator"]): Decimal(o["value"]) for o in observations if o["period"] == latest}
    judged = [
        is_on_track(ytd[(t["zone"], t["indicator"])], Decimal(t["value"]), month)
        for t in targets
        if (t["zone"], t["indicator"]) in ytd
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
    assert max(o["period"] for o in observations) == f"{release[0]}-{release[1]:02d}"
    assert {t["year"] for t in targets} == {release[0]}


def test_the_sample_is_the_same_every_time():
    assert build(date(2026, 11, 23)) == build(date(2026, 11, 23))
    assert on_track_pairs(date(2026, 7, 20)) == (18, 40)  # June: 18 of 40 pairs 飘红
