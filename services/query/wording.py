"""The judgement against time progress (序时进度) in words, as boards and alerts say it.

Pure: a function of the stored figures, unit-tested without a database. Red is
the good colour in this domain, so boards must never rely on colour alone: the
words say which way and by how much.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from indicators_core.progress import round_half_up

# Percentage points in the words are always given to one decimal, as official
# releases do ("超序时进度3.5个百分点"), whatever precision a client asks for
# the numbers.
WORDING_DIGITS = 1
_SMALLEST = Decimal(1).scaleb(-WORDING_DIGITS)  # 0.1


class Status(StrEnum):
    ON_TRACK = "on_track"  # completion ≥ time progress (飘红)
    BEHIND = "behind"  # completion < time progress
    # A target is set but the year-to-date value is unknown (a missing month
    # breaks the cumulative chain): no judgement is possible, and saying
    # "无目标" would be false.
    UNKNOWN = "unknown"
    NO_TARGET = "no_target"


def judge(on_track: bool | None, progress_gap_pp: Decimal | None, has_target: bool) -> tuple[Status, str]:
    """Status and its Chinese words from the stored judgement and gap.

    `on_track` decides the direction (it is computed exactly, never from a
    rounded figure); the gap only gives the number of points, rounded half up
    to one decimal:

    - on track, gap rounds to 0.0 → "达序时进度" (exactly on, or ahead by less than 0.05)
    - on track, gap ≥ 0.05 → "超序时进度3.5个百分点"
    - behind, gap rounds to ≥ 0.1 → "落后序时进度2.1个百分点"
    - behind, gap rounds to 0.0 → "落后序时进度不足0.1个百分点": still behind (the
      judgement is exact), and "落后0.0个百分点" would read as a contradiction.
    """
    if on_track is None:
        if has_target:
            return Status.UNKNOWN, "累计数缺失，无法对比序时进度"
        return Status.NO_TARGET, "无目标"
    points = None if progress_gap_pp is None else abs(round_half_up(progress_gap_pp, WORDING_DIGITS))
    if on_track:
        if points is None or points == 0:
            return Status.ON_TRACK, "达序时进度"
        return Status.ON_TRACK, f"超序时进度{points:f}个百分点"
    if points is None:
        return Status.BEHIND, "落后序时进度"
    if points == 0:
        return Status.BEHIND, f"落后序时进度不足{_SMALLEST:f}个百分点"
    return Status.BEHIND, f"落后序时进度{points:f}个百分点"
