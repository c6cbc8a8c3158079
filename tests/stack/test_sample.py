"""`make sample` must give the boards something to show: some zones on track, some lagging."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from indicators_core.progress import is_on_track
from stack.sample import INDICATORS, ZONES, build


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


@pytest.mark.parametrize("today", [date(2026, 5, 20), date(2026, 7, 20), date(2026, 11, 23)])
def test_the_sample_shows_both_on_track_and_lagging_zones(today: date):
    on_track, judged = on_track_pairs(today)
    assert judged == len(ZONES) * len(INDICATORS)
    assert 0 < on_track < judged


def test_the_sample_is_the_same_every_time():
    assert build(date(2026, 11, 23)) == build(date(2026, 11, 23))
    assert on_track_pairs(date(2026, 7, 20)) == (18, 40)  # June: 18 of 40 pairs 飘红
