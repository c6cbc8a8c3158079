"""The alert rules: pure functions from figures to a finding (is the condition on, how severe, in words).

Each rule returns a `Finding` for one alert identity (rule + zone + indicator +
period), active or not, with a Chinese message carrying the figures and units;
or None when the figures do not allow a judgement (unknown is not "clear": an
alert is neither fired nor resolved on missing data). The lifecycle
(lifecycle.py) turns findings into transitions; nothing here does I/O.

Periods: behind_schedule and negative_growth judge the year to date, so their
alert is one per zone, indicator and *year* (period = January 1), judged on the
latest month with data: it fires once, escalates at 半年, and resolves when the
zone is back on track. The other rules are about one month (period = that month).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from alerts.config import (
    BehindScheduleConfig,
    ImplausibleConfig,
    LateReportConfig,
    NegativeGrowthConfig,
    SharpSwingConfig,
    StageOverdueConfig,
)
from alerts.model import AlertKey, Rule, Severity
from indicators_core.catalog import Indicator
from indicators_core.progress import MonthProgress, growth_mismatch, round_half_up
from indicators_core.projects import STAGE_ZH, OverdueStage, Project, overdue_message
from indicators_core.units import convert

HUNDRED = Decimal(100)
TWELVE = Decimal(12)
# Checkpoints of the campaign (半年红, 全年红) named in the message when behind there.
CHECKPOINT_WORDS = {6: "时间过半、任务未过半", 12: "全年目标未完成"}


Words = Callable[[], tuple[str, dict[str, str]]]


class Finding:
    """A rule's judgement of one alert identity now: whether it is active, how severe, and its words (the message
    and the figures). The words may be given as a function, called when they are first read: judging every month
    of a backfill, the swing rule finds thousands of months within their normal range that have no alert to
    update, and nobody reads what it would say of them (building it was a fifth of the evaluator's time)."""

    __slots__ = ("_said", "_words", "active", "key", "severity")

    def __init__(
        self,
        key: AlertKey,
        active: bool,
        severity: Severity,  # meaningful when active
        message: str | Words,
        figures: dict[str, str] | None = None,
    ):
        self.key = key
        self.active = active
        self.severity = severity
        self._words: Words | None = None
        self._said: tuple[str, dict[str, str]] | None = None
        if callable(message):
            self._words = message
        else:
            self._said = (message, {} if figures is None else figures)

    def _spoken(self) -> tuple[str, dict[str, str]]:
        if self._said is None:
            assert self._words is not None  # noqa: S101
            self._said = self._words()
        return self._said

    @property
    def message(self) -> str:
        return self._spoken()[0]

    @property
    def figures(self) -> dict[str, str]:
        return self._spoken()[1]

    def reworded(self, reword: Callable[[str], str]) -> Finding:
        """The same judgement with its message rewritten by `reword`, as lazily as this one's."""
        return Finding(self.key, self.active, self.severity, lambda: (reword(self.message), self.figures))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return (self.key, self.active, self.severity, self.message, self.figures) == (
            other.key,
            other.active,
            other.severity,
            other.message,
            other.figures,
        )

    __hash__ = None  # type: ignore[assignment]  # compared by value, like the dataclass it was

    def __repr__(self) -> str:
        return f"Finding({self.key!r}, active={self.active}, {self.severity!r}, {self.message!r})"


# ---------------------------------------------------------------- wording


def exact(value: Decimal) -> str:
    """A figure as stored, without trailing zeros or exponent: 75.020 → "75.02", 1E+2 → "100"."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def shown(value: Decimal, places: int = 4) -> str:
    """A derived figure (a median) rounded half up to at most `places` decimals, trailing zeros dropped."""
    return exact(round_half_up(value, places))


def one_decimal(value: Decimal) -> str:
    """Percentages and points in words: one decimal, half up (四舍五入), as releases write them."""
    return format(round_half_up(value, 1), "f")


def months_label(month: int) -> str:
    """The span of a cumulative figure: 1月, 1-5月."""
    return "1月" if month == 1 else f"1-{month}月"


def span_label(indicator: Indicator, month: int) -> str:
    """The span of a cumulative figure as releases say it: 1-5月, or 1季度 / 1-2季度 for a quarterly series."""
    if indicator.quarterly:
        quarter = month // 3
        return "1季度" if quarter == 1 else f"1-{quarter}季度"
    return months_label(month)


def amount(value: Decimal, indicator: Indicator) -> str:
    return f"{exact(value)}{indicator.unit}"


def _series(zone: str, indicator: Indicator) -> str:
    return f"{zone} {indicator.name_zh}"


def _progress_words(row: MonthProgress) -> str:
    """超/达/落后序时进度, the direction judged exactly (on_track), the points rounded to one decimal."""
    points = round_half_up(abs(row.progress_gap_pp or Decimal(0)), 1)
    if row.on_track:
        return "达序时进度" if points == 0 else f"超序时进度{points:f}个百分点"
    if points == 0:
        return "落后序时进度不足0.1个百分点"
    return f"落后序时进度{points:f}个百分点"


def _growth_words(ytd_value: Decimal, base: Decimal, yoy_pct: Decimal) -> str:
    if ytd_value == base:
        return "同比持平"
    points = round_half_up(abs(yoy_pct), 1)
    direction = "增长" if ytd_value > base else "下降"
    return f"同比{direction}不足0.1%" if points == 0 else f"同比{direction}{points:f}%"


# ---------------------------------------------------------------- behind schedule


def behind_schedule(
    zone: str, indicator: Indicator, row: MonthProgress, config: BehindScheduleConfig
) -> Finding | None:
    """落后序时进度: completion below time progress by more than `gap_pp` points.

    Judged exactly on the stored cumulative value and target (no rounded
    percentage decides): behind by more than G points ⇔ ytd/target·100 <
    N/12·100 − G ⇔ 1200·ytd < (100·N − 12·G)·target.
    """
    ytd, target = row.ytd_value, row.target_value
    if ytd is None or target is None or target <= 0 or row.completion_pct is None or row.progress_gap_pp is None:
        return None
    gap_pp = config.gap_pp
    active = 1200 * ytd < (HUNDRED * row.month - TWELVE * gap_pp) * target
    critical = row.month in config.critical_months
    severity = config.critical_severity if critical else config.severity
    head = f"{_series(zone, indicator)} {row.year}年{span_label(indicator, row.month)}完成率{one_decimal(row.completion_pct)}%，"
    detail = (
        f"（序时进度{one_decimal(row.time_progress_pct)}%，累计{amount(ytd, indicator)}，"
        f"全年目标{amount(target, indicator)}）"
    )
    words = _progress_words(row)
    if active:
        checkpoint = CHECKPOINT_WORDS.get(row.month) if critical else None
        message = head + words + (f"，{checkpoint}" if checkpoint else "") + detail
    elif row.on_track:
        message = head + words + detail
    else:
        message = head + words + f"，未超过{exact(gap_pp)}个百分点的预警线" + detail
    figures = {
        "year": str(row.year),
        "month": str(row.month),
        "ytd_value": exact(ytd),
        "target_value": exact(target),
        "unit": indicator.unit,
        "completion_pct": exact(row.completion_pct),
        "time_progress_pct": exact(row.time_progress_pct),
        "progress_gap_pp": exact(row.progress_gap_pp),
        "gap_threshold_pp": exact(gap_pp),
    }
    key = AlertKey(Rule.BEHIND_SCHEDULE, zone, indicator.code, date(row.year, 1, 1))
    return Finding(key, active, severity, message, figures)


# ---------------------------------------------------------------- negative growth


def negative_growth(
    zone: str,
    indicator: Indicator,
    row: MonthProgress,
    config: NegativeGrowthConfig,
    growth_target_pct: Decimal | None = None,
) -> Finding | None:
    """同比负增长: year-to-date growth below 0; with a growth target, growth below it (less severe).

    Judged on the exact cumulative value and base: negative ⇔ ytd < base;
    below a target of T% ⇔ (ytd − base)·100 < T·base. Without the amounts, on
    the growth rate the upstream published (yoy_source "reported").
    """
    ytd, base, yoy = row.ytd_value, row.yoy_base, row.yoy_pct
    if row.yoy_source == "reported" and yoy is not None:
        return _reported_growth(zone, indicator, row, yoy, config, growth_target_pct)
    if ytd is None or base is None or base <= 0 or yoy is None:
        return None
    negative = ytd < base
    below_target = growth_target_pct is not None and (ytd - base) * HUNDRED < growth_target_pct * base
    head = (
        f"{_series(zone, indicator)} {row.year}年{span_label(indicator, row.month)}累计{amount(ytd, indicator)}，"
        f"{_growth_words(ytd, base, yoy)}"
    )
    base_words = f"（上年同期{'可比数' if row.yoy_base_comparable else ''}{amount(base, indicator)}）"
    target_words = ""
    if growth_target_pct is not None:
        verb = "低于" if below_target else "达到"
        target_words = f"，{verb}增长目标{one_decimal(growth_target_pct)}%"
    severity = config.severity if negative else config.below_target_severity
    figures = {
        "year": str(row.year),
        "month": str(row.month),
        "ytd_value": exact(ytd),
        "yoy_base": exact(base),
        "yoy_base_comparable": "true" if row.yoy_base_comparable else "false",
        "yoy_pct": exact(yoy),
        "unit": indicator.unit,
    }
    if growth_target_pct is not None:
        figures["growth_target_pct"] = exact(growth_target_pct)
    key = AlertKey(Rule.NEGATIVE_GROWTH, zone, indicator.code, date(row.year, 1, 1))
    return Finding(key, negative or below_target, severity, head + target_words + base_words, figures)


def _reported_growth(
    zone: str,
    indicator: Indicator,
    row: MonthProgress,
    yoy: Decimal,
    config: NegativeGrowthConfig,
    growth_target_pct: Decimal | None,
) -> Finding:
    """negative_growth on a published rate alone ("进出口总额增速97.5%", no amounts to compute it from)."""
    negative = yoy < 0
    below_target = growth_target_pct is not None and yoy < growth_target_pct
    points = round_half_up(abs(yoy), 1)
    if yoy == 0:
        words = "同比持平"
    else:
        direction = "增长" if yoy > 0 else "下降"
        words = f"同比{direction}不足0.1%" if points == 0 else f"同比{direction}{points:f}%"
    message = f"{_series(zone, indicator)} {row.year}年{span_label(indicator, row.month)}上报{words}"
    figures = {"year": str(row.year), "month": str(row.month), "yoy_pct": exact(yoy), "yoy_source": "reported"}
    if growth_target_pct is not None:
        verb = "低于" if below_target else "达到"
        message += f"，{verb}增长目标{one_decimal(growth_target_pct)}%"
        figures["growth_target_pct"] = exact(growth_target_pct)
    message += "（无累计数，按上报增速）"
    severity = config.severity if negative else config.below_target_severity
    key = AlertKey(Rule.NEGATIVE_GROWTH, zone, indicator.code, date(row.year, 1, 1))
    return Finding(key, negative or below_target, severity, message, figures)


# ---------------------------------------------------------------- sharp swing


def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def sharp_swing(
    zone: str,
    indicator: Indicator,
    year: int,
    month: int,
    month_value: Decimal | None,
    history: Sequence[Decimal],
    config: SharpSwingConfig,
) -> Finding | None:
    """异常波动: the month's own value (当月) far outside the series' own history.

    `history` is the series' known monthly values in the `window_months`
    before this month (a missing month is left out, never taken as 0). With
    median m and median absolute deviation MAD of that history, the value v
    fires when |v − m| > k·MAD (robust: one earlier outlier does not widen the
    band as a standard deviation would) and v ≥ r·m or v ≤ m/r (material: a
    series that hardly moves does not fire on a small change). No judgement
    with fewer than `min_history` months or a median ≤ 0 (no ratio to state).
    """
    if month_value is None or len(history) < config.min_history:
        return None
    centre = median(history)
    if centre <= 0:
        return None
    deviation = abs(month_value - centre)
    high = month_value >= config.min_ratio * centre
    low = month_value * config.min_ratio <= centre

    def deviations_median() -> Decimal:
        return median([abs(value - centre) for value in history])

    # The deviation's median only where it can decide: most months are within the ratio (a backfill's ten years),
    # and their words, if ever read, take it then.
    known_mad = deviations_median() if high or low else None
    active = known_mad is not None and deviation > config.mad_k * known_mad
    this_month: Decimal = month_value  # not None: narrowed for words() too

    def words() -> tuple[str, dict[str, str]]:
        mad = known_mad if known_mad is not None else deviations_median()
        ratio = this_month / centre
        n = len(history)
        span = (
            f"近{config.window_months}个月"
            if n == config.window_months
            else f"近{config.window_months}个月中有数据的{n}个月"
        )
        head = f"{_series(zone, indicator)} {year}年{month}月当月值{amount(this_month, indicator)}，"
        centre_words = f"{span}中位数{shown(centre)}{indicator.unit}"
        if mad == 0:
            # Half the months or more sit exactly on the median: any departure is outside the band.
            why = f"偏离中位数{shown(deviation)}{indicator.unit}，而过半月份恰为中位数（中位绝对偏差为0）"
        else:
            why = (
                f"偏离中位数{shown(deviation)}{indicator.unit}，"
                f"超过中位绝对偏差{shown(mad)}{indicator.unit}的{exact(config.mad_k)}倍"
            )
        if active and high:
            message = head + f"为{centre_words}的{one_decimal(ratio)}倍，" + why
        elif active:
            message = head + f"仅为{centre_words}的{one_decimal(ratio * HUNDRED)}%，" + why
        else:
            message = (
                head + f"在{span}的正常波动范围内（中位数{shown(centre)}{indicator.unit}，为其{one_decimal(ratio)}倍）"
            )
        figures = {
            "year": str(year),
            "month": str(month),
            "month_value": exact(this_month),
            "unit": indicator.unit,
            "history_months": str(n),
            "median": exact(centre),
            "mad": exact(mad),
            "ratio": shown(ratio, 6),
            "mad_k": exact(config.mad_k),
            "min_ratio": exact(config.min_ratio),
        }
        return message, figures

    key = AlertKey(Rule.SHARP_SWING, zone, indicator.code, date(year, month, 1))
    return Finding(key, active, config.severity, words)


# ---------------------------------------------------------------- implausible


@dataclass(frozen=True)
class Growth:
    """The growth computed from the amounts and the rate the upstream published with the report."""

    computed_pct: Decimal
    reported_pct: Decimal


@dataclass(frozen=True)
class Whole:
    """The whole a part belongs to (catalog `part_of`), with its cumulative value for the same month."""

    indicator: Indicator
    ytd_value: Decimal | None


def _in_unit_of(indicator: Indicator, whole: Whole | None) -> Decimal | None:
    """The whole's cumulative value in the part's unit (None when unknown)."""
    if whole is None or whole.ytd_value is None:
        return None
    if whole.indicator.unit == indicator.unit:
        return whole.ytd_value
    return convert(whole.ytd_value, whole.indicator.unit, indicator.unit, indicator.scale)


def implausible(
    zone: str,
    indicator: Indicator,
    year: int,
    month: int,
    ytd_value: Decimal | None,
    previous: tuple[int, Decimal] | None,
    whole: Whole | None,
    config: ImplausibleConfig,
    growth: Growth | None = None,
) -> Finding | None:
    """数据存疑: a part larger than its whole, a cumulative value lower than the month before, or a
    published growth rate that the amounts do not give.

    `previous` is (month, cumulative value) of the latest earlier month of the
    same year with a known cumulative value; `whole` the indicator this one is
    part of, for the same zone and month; `growth` the computed and the reported
    rate when the report carried both amounts and a rate (more than 0.1 points
    apart is implausible: releases round to one decimal). Each check is made
    when its figures are known; no judgement when none can be made.
    """
    if ytd_value is None:
        return None
    this_month: Decimal = ytd_value  # not None: narrowed for words() too
    whole_value = _in_unit_of(indicator, whole)
    if whole_value is None and previous is None and growth is None:
        return None  # nothing to check it against
    exceeds = whole_value is not None and this_month > whole_value
    # A level may fall; a sum over the year may not.
    fell = previous is not None and this_month < previous[1] and not indicator.stock
    differs = growth is not None and growth_mismatch(growth.computed_pct, growth.reported_pct)

    def words() -> tuple[str, dict[str, str]]:
        # Built only when read: most months of a backfill pass, and have no alert whose words would change.
        problems: list[str] = []
        codes: list[str] = []
        figures = {"year": str(year), "month": str(month), "ytd_value": exact(this_month), "unit": indicator.unit}
        if whole is not None and whole_value is not None:
            figures["whole_indicator"] = whole.indicator.code
            figures["whole_ytd_value"] = exact(whole_value)
            if exceeds:
                codes.append("part_exceeds_whole")
                problems.append(
                    f"{indicator.name_zh}累计{amount(this_month, indicator)}大于{whole.indicator.name_zh}累计"
                    f"{exact(whole_value)}{indicator.unit}（部分不应大于整体）"
                )
        if previous is not None:
            previous_month, previous_value = previous
            figures["previous_month"] = str(previous_month)
            figures["previous_ytd_value"] = exact(previous_value)
            if fell:
                codes.append("cumulative_fell")
                problems.append(
                    f"累计{amount(this_month, indicator)}低于{months_label(previous_month)}累计"
                    f"{amount(previous_value, indicator)}（累计值不应在年内回落）"
                )
        if growth is not None:
            figures["yoy_pct"] = exact(growth.computed_pct)
            figures["reported_yoy_pct"] = exact(growth.reported_pct)
            if differs:
                codes.append("reported_growth_differs")
                problems.append(
                    f"上报增速与计算增速不一致（上报{one_decimal(growth.reported_pct)}%，"
                    f"按累计数计算{one_decimal(growth.computed_pct)}%）"
                )
        figures["problems"] = ",".join(codes)
        head = f"{_series(zone, indicator)} {year}年{span_label(indicator, month)}"
        if problems:
            return head + "数据存疑：" + "；".join(problems), figures
        return head + f"累计{amount(this_month, indicator)}，数据审核无异常", figures

    key = AlertKey(Rule.IMPLAUSIBLE, zone, indicator.code, date(year, month, 1))
    return Finding(key, exceeds or fell or differs, config.severity, words)


# ---------------------------------------------------------------- late report


def due_month(today: date, due_day: int) -> tuple[int, int] | None:
    """The month whose report is due by `today`: last month, once today is its due day or later."""
    if today.day < due_day:
        return None
    if today.month == 1:
        return today.year - 1, 12
    return today.year, today.month - 1


def _months_before(year: int, month: int, count: int) -> list[tuple[int, int]]:
    months = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append((year, month))
    return months


def late_report(
    zone: str,
    indicator: Indicator,
    year: int,
    month: int,
    reported: Collection[tuple[int, int]],
    config: LateReportConfig,
    checked_on: date | None = None,
) -> Finding | None:
    """迟报: no report for (year, month) by its due day, for a series that normally reports that month.

    `reported` holds the (year, month)s the series has a report for. The month
    counts as reported when it, or a later month of the same year (a cumulative
    figure covers it), has a report: then the finding is inactive. Otherwise,
    with `checked_on` (the day of the check, on or after the due day) it is late
    when the series normally reports that month:
    - January: only when it reported January last year (most series send 1-2月
      together, and indicators without a January report never do);
    - other months: it reported the same month last year, or at least 3 of the
      4 months before.
    Without `checked_on` (a result arrived, no check of the clock) a missing
    month gives no judgement.
    """
    name = _series(zone, indicator)
    key = AlertKey(Rule.LATE_REPORT, zone, indicator.code, date(year, month, 1))
    figures = {"year": str(year), "month": str(month), "due_day": str(config.due_day)}
    covering = [m for m in range(month, 13) if (year, m) in reported]
    if covering:
        first = covering[0]
        if first == month:
            message = f"{name} {year}年{month}月数据已报送"
        else:
            message = f"{name} {year}年{months_label(first)}累计数据已报送（含{month}月）"
        figures["reported_month"] = str(first)
        return Finding(key, False, config.severity, message, figures)
    if checked_on is None:
        return None
    if month == 1 and not indicator.january:
        return None
    last_year = (year - 1, month) in reported
    recent = sum(1 for previous in _months_before(year, month, 4) if previous in reported)
    normally = last_year if month == 1 else (last_year or recent >= 3)
    if not normally:
        return None
    reasons = []
    if last_year:
        reasons.append("上年同月已报送")
    if month != 1 and recent >= 3:
        reasons.append(f"前4个月中{recent}个月已报送")
    message = (
        f"{name} {year}年{month}月数据截至{checked_on.month}月{checked_on.day}日仍未报送"
        f"（报送期限为次月{config.due_day}日；{'，'.join(reasons)}）"
    )
    figures.update(
        {
            "checked_on": checked_on.isoformat(),
            "reported_last_year": "true" if last_year else "false",
            "recent_months_reported": str(recent),
        }
    )
    return Finding(key, True, config.severity, message, figures)


# ---------------------------------------------------------------- 项目节点逾期


def stage_alert_code(project_id: str, stage: str) -> str:
    """The `indicator` of a stage_overdue alert: one alert per project and stage (docs/projects.md)."""
    return f"{STAGE_ALERT_PREFIX}{project_id}/{stage}"


STAGE_ALERT_PREFIX = "project:"


def stage_overdue(project: Project, overdue: OverdueStage, config: StageOverdueConfig) -> Finding:
    """项目节点逾期: the stage is overdue (indicators_core.projects.project_status); critical from
    `critical_after_days` days overdue. The alert's period is the month the stage fell due."""
    stage_zh = STAGE_ZH[overdue.stage]
    key = AlertKey(
        Rule.STAGE_OVERDUE,
        project.zone,
        stage_alert_code(project.id, overdue.stage),
        date(overdue.due_on.year, overdue.due_on.month, 1),
    )
    critical = overdue.days_overdue >= config.critical_after_days
    figures = {
        "project_id": project.id,
        "project_name": project.name,
        "stage": overdue.stage,
        "stage_zh": stage_zh,
        "subject_zh": f"{project.name}·{stage_zh}",
        "due_on": overdue.due_on.isoformat(),
        "days_overdue": str(overdue.days_overdue),
    }
    # The zone's code leads the message; alerts.zone_names writes it as the registered name.
    message = overdue_message(project, overdue)
    return Finding(key, True, config.critical_severity if critical else config.severity, message, figures)


def stage_no_longer_overdue(
    key: AlertKey, figures: dict[str, str], project: Project | None, config: StageOverdueConfig
) -> Finding:
    """The resolution of a firing stage_overdue alert: the stage got its date (or its due date moved on)."""
    stage = figures.get("stage", "")
    stage_zh = STAGE_ZH.get(stage, stage)
    name = project.name if project is not None else figures.get("project_name", key.indicator)
    done_on = project.on(stage) if project is not None and stage else None
    how = f"已于{done_on.year}年{done_on.month}月{done_on.day}日{stage_zh}" if done_on else f"{stage_zh}节点已不再逾期"
    kept = {k: v for k, v in figures.items() if k != "days_overdue"}
    if done_on is not None:
        kept["done_on"] = done_on.isoformat()
    return Finding(key, False, config.severity, f"{key.zone} {name} {how}，节点逾期已解除", kept)
