"""The collector's settings for a started service (indicators_core.collector)."""

from __future__ import annotations

import gc

from indicators_core.collector import YOUNG_THRESHOLD, settle_started_objects


def test_started_objects_are_frozen_and_the_young_generation_collected_less_often():
    before = gc.get_threshold()
    try:
        settle_started_objects()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2]) == (50_000, 10, 10)
        assert gc.get_freeze_count() > 10_000  # this process's modules, pytest's included
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # garbage cycles are still collected
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
