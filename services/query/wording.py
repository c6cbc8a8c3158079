"""The judgement against time progress (序时进度), or against a growth target, in words, as boards and alerts say it.

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


def growth_words(growth_on_track: bool, growth_gap_pp: Decimal | None) -> str:
    """The judgement against a growth target (增长X%以上) in words, direction judged exactly.

    "增速高于目标2.0个百分点", "增速达到目标" (on target, or above by less than 0.05),
    "增速低于目标0.5个百分点", "增速低于目标不足0.1个百分点" (below, by less than 0.05).
    """
    points = None if growth_gap_pp is None else abs(round_half_up(growth_gap_pp, WORDING_DIGITS))
    if growth_on_track:
        if points is None or points == 0:
            return "增速达到目标"
        return f"增速高于目标{points:f}个百分点"
    if points is None:
        return "增速低于目标"
    if points == 0:
        return f"增速低于目标不足{_SMALLEST:f}个百分点"
    return f"增速低于目标{points:f}个百分点"


def stock_words(completion_pct: Decimal) -> str:
    """A stock (a level at the period's end) against its target: the completion, not a schedule."""
    return f"完成目标{abs(round_half_up(completion_pct, WORDING_DIGITS)):f}%（期末数，不对比序时进度）"


def judge_item(
    on_track: bool | None,
    progress_gap_pp: Decimal | None,
    has_target: bool,
    growth_on_track: bool | None = None,
    growth_gap_pp: Decimal | None = None,
    has_growth_target: bool = False,
    stock_completion_pct: Decimal | None = None,
) -> tuple[Status, str]:
    """Status and words of an item: against time progress when there is an absolute target, else against
    the growth target.

    - an absolute target judged against time progress: judge() below;
    - a stock with an absolute target: its completion ("完成目标83.3%（期末数，不对比序时进度）"), `unknown`:
      a level is not judged against time progress;
    - no absolute target, a growth target and a growth rate: `on_track` / `behind` with growth_words();
    - a growth target but no growth rate: `unknown`, "增速缺失，无法对比增长目标".
    """
    if on_track is None and has_target and stock_completion_pct is not None:
        return Status.UNKNOWN, stock_words(stock_completion_pct)
    if on_track is not None or has_target:
        return judge(on_track, progress_gap_pp, has_target)
    if growth_on_track is not None:
        return (Status.ON_TRACK if growth_on_track else Status.BEHIND), growth_words(growth_on_track, growth_gap_pp)
    if has_growth_target:
        return Status.UNKNOWN, "增速缺失，无法对比增长目标"
    return Status.NO_TARGET, "无目标"


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
