"""The alert vocabulary shared by the evaluator (rules, lifecycle) and delivery (outbox, channels).

The evaluator produces `AlertTransition`s and, in the same transaction, hands
them to the outbox, which matches them against subscriptions. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def zh(self) -> str:
        return _SEVERITY_ZH[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
_SEVERITY_ZH = {Severity.INFO: "提示", Severity.WARNING: "预警", Severity.CRITICAL: "严重"}


class Rule(StrEnum):
    BEHIND_SCHEDULE = "behind_schedule"  # completion below time progress by more than the gap
    NEGATIVE_GROWTH = "negative_growth"  # YoY below 0, or below the growth target
    SHARP_SWING = "sharp_swing"  # monthly value far outside the series' own history
    LATE_REPORT = "late_report"  # no data for last month by the configured day
    IMPLAUSIBLE = "implausible"  # part > whole, or a cumulative value that falls


# The rules and transitions as subscribers' messages, the boards and the API name them.
RULE_ZH = {
    Rule.BEHIND_SCHEDULE: "落后序时进度",
    Rule.NEGATIVE_GROWTH: "增速为负或低于目标",
    Rule.SHARP_SWING: "异常波动",
    Rule.LATE_REPORT: "数据迟报",
    Rule.IMPLAUSIBLE: "数据不合理",
}

# Rules judged on the year to date: one alert per zone, indicator and year (period = January 1),
# so that a lag can escalate at 半年 and resolve later without becoming a new alert each month.
YEAR_TO_DATE_RULES = frozenset({Rule.BEHIND_SCHEDULE, Rule.NEGATIVE_GROWTH})


def period_zh(rule: str, period: date, figures: dict[str, str]) -> str:
    """The period as people say it: 2018年1-5月 for the year-to-date rules, 2018年4月 for the others."""
    if rule in YEAR_TO_DATE_RULES:
        month = int(figures.get("month") or 0)
        if month > 1:
            return f"{period.year}年1-{month}月"
        return f"{period.year}年1月" if month == 1 else f"{period.year}年"
    return f"{period.year}年{period.month}月"


class Transition(StrEnum):
    FIRED = "fired"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RESOLVED = "resolved"


TRANSITION_ZH = {
    Transition.FIRED: "新触发",
    Transition.ESCALATED: "升级",
    Transition.DEESCALATED: "降级",
    Transition.RESOLVED: "已恢复",
}

@dataclass(frozen=True)
class AlertKey:
    rule: Rule
    zone: str
    indicator: str
    # First day of the month the alert is about. The year-to-date rules (behind_schedule,
    # negative_growth) have one alert per year: January 1, judged on the year's latest month
    # (that month is in the figures, "month").
    period: date


@dataclass(frozen=True)
class AlertTransition:
    """One change of one alert: what the history records and what subscribers are sent."""

    key: AlertKey
    version: int
    transition: Transition
    severity: Severity
    message: str  # Chinese, with the figures
    figures: dict[str, str] = field(default_factory=dict)  # exact decimals as strings
    occurred_at: datetime | None = None
