"""The closed vocabularies of the system, each written once: its codes and the Chinese words for them.

The codes are what the database, the metrics' labels and the API carry; the words are what
subscribers' messages, the boards and the API's `*_zh` fields say. Everything else reads them
from here: the alert model (alerts.model re-exports the enums), the notifier's senders and
metrics, the subscription API's validation. What cannot import Python (the migrations' CHECK
constraints, the Grafana boards' `label_replace` and `CASE` words) is held to these lists by
tests/indicators_core/test_vocabulary.py, so a new entry that is missing there fails a test.

Adding a notifier channel: one `Channel` entry here, its sender module (`notifier/senders/<code>.py`,
exposing `async send(notifier, claim, digest)`), its tests; then the test above names the
migration to write (the `subscriptions.channel` CHECK) and the board words to add.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

# Years a period or a target may have: the API, the board and ingest accept the same ones.
MIN_YEAR, MAX_YEAR = 1990, 2100


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def zh(self) -> str:
        return SEVERITY_ZH[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
SEVERITY_ZH = {Severity.INFO: "提示", Severity.WARNING: "预警", Severity.CRITICAL: "严重"}


class Rule(StrEnum):
    BEHIND_SCHEDULE = "behind_schedule"  # completion below time progress by more than the gap
    NEGATIVE_GROWTH = "negative_growth"  # YoY below 0, or below the growth target
    SHARP_SWING = "sharp_swing"  # monthly value far outside the series' own history
    LATE_REPORT = "late_report"  # no data for last month by the configured day
    IMPLAUSIBLE = "implausible"  # part > whole, or a cumulative value that falls
    STAGE_OVERDUE = "stage_overdue"  # a major project's stage past its due date without a date (docs/projects.md)

    @property
    def zh(self) -> str:
        return RULE_ZH[self]


# The rules as subscribers' messages, the boards and the API name them.
RULE_ZH = {
    Rule.BEHIND_SCHEDULE: "落后序时进度",
    Rule.NEGATIVE_GROWTH: "增速为负或低于目标",
    Rule.SHARP_SWING: "异常波动",
    Rule.LATE_REPORT: "数据迟报",
    Rule.IMPLAUSIBLE: "数据不合理",
    Rule.STAGE_OVERDUE: "项目节点逾期",
}


class Transition(StrEnum):
    FIRED = "fired"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RESOLVED = "resolved"

    @property
    def zh(self) -> str:
        return TRANSITION_ZH[self]


TRANSITION_ZH = {
    Transition.FIRED: "新触发",
    Transition.ESCALATED: "升级",
    Transition.DEESCALATED: "降级",
    Transition.RESOLVED: "已恢复",
}

# An alert's state (alerts.state) and a delivery's life (deliveries.kind, deliveries.status).
ALERT_STATES = ("firing", "resolved")
DELIVERY_KINDS = ("alerts", "test")
DELIVERY_STATUSES = ("pending", "sent", "failed")
# What one delivery attempt came to: the notifier metrics' `outcome` label.
DELIVERY_OUTCOMES = ("sent", "retrying", "failed")
# A registered zone's level (PUT /v1/zones; the zones table CHECKs it): 国家级, 省级, anything else.
ZONE_LEVELS = ("national", "provincial", "other")
ZONE_LEVEL_ZH = {"national": "国家级", "provincial": "省级", "other": "其他"}
# A major project's tier (PUT /v1/projects; the projects table CHECKs it): 省/市/区重大项目.
PROJECT_TIERS = ("province", "city", "zone")
PROJECT_TIER_ZH = {"province": "省重大项目", "city": "市重大项目", "zone": "区重大项目"}


@dataclass(frozen=True)
class Channel:
    """A way to notify a subscriber."""

    code: str
    zh: str  # as the boards name it
    url_target: bool  # the target is a URL (held to the SSRF guard); else an e-mail address
    # A subscription's secret signs its messages: required, optional, or refused (the channel signs nothing).
    signing: Literal["required", "optional", "refused"]

    @property
    def sender(self) -> str:
        """The notifier module that sends it: `async send(notifier, claim, digest)`."""
        return f"notifier.senders.{self.code}"


CHANNELS = (
    Channel("webhook", "Webhook", url_target=True, signing="required"),
    Channel("dingtalk", "钉钉", url_target=True, signing="optional"),
    Channel("wecom", "企业微信", url_target=True, signing="refused"),
    Channel("email", "电子邮件", url_target=False, signing="refused"),
)
CHANNEL_CODES = tuple(channel.code for channel in CHANNELS)
URL_CHANNELS = tuple(channel.code for channel in CHANNELS if channel.url_target)
CHANNEL_ZH = {channel.code: channel.zh for channel in CHANNELS}


def channel(code: str) -> Channel | None:
    """The channel of this code, or None."""
    return next((known for known in CHANNELS if known.code == code), None)


# Why a message went to a dead-letter topic (indicators_core.dead_letters.REASONS), as the boards say it.
DEAD_LETTER_REASON_ZH = {
    "undecodable": "无法解码",
    "invalid_data": "数据无法入库",
    "arithmetic": "无法计算",
    "other": "其他错误",
}
