"""What each channel sends: pure functions from a digest to a request or an e-mail, and how answers are judged.

- webhook: our JSON, signed: `X-Indicators-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`
  with the subscription's secret, `X-Indicators-Timestamp` in Unix seconds.
- dingtalk: the group robot's markdown message `{"msgtype": "markdown", "markdown": {"title", "text"}}`;
  with a secret, the robot's 加签: HMAC-SHA256 of "{timestamp_ms}\\n{secret}" keyed by the secret,
  base64, URL-encoded, appended as `&timestamp=…&sign=…`. Success is HTTP 200 and `errcode` 0.
- wecom: the group robot's markdown message `{"msgtype": "markdown", "markdown": {"content"}}`, at
  most 4096 bytes of content (a longer digest is cut, ending "…另有N条"). Success is HTTP 200 and `errcode` 0.
- email: a UTF-8 plain-text e-mail with a Chinese subject (RFC 2047-encoded header).

Words, never colour, carry the meaning (on these boards red means on track), so the
robot messages use no font colours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from alerts.model import RULE_ZH, TRANSITION_ZH, Rule, Severity, Transition, period_zh

# Times in messages are the subscribers' local time.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
WECOM_MAX_BYTES = 4096  # WeCom group robot: markdown.content at most 4096 bytes (UTF-8)
# DingTalk refuses robot messages of about 20 000 bytes and more; stay well under it.
DINGTALK_MAX_BYTES = 18_000
SIGNATURE_HEADER = "X-Indicators-Signature"
TIMESTAMP_HEADER = "X-Indicators-Timestamp"
DELIVERY_HEADER = "X-Indicators-Delivery"
USER_AGENT = "indicators-notifier/1.0"

RESOLVED_LABEL = "已恢复"
LABEL_ORDER = [Severity.CRITICAL.zh, Severity.WARNING.zh, Severity.INFO.zh, RESOLVED_LABEL]
SYSTEM_ZH = "开发区经济运行监测"


@dataclass(frozen=True)
class DigestEvent:
    """One alert event as a message tells it."""

    rule: str
    zone: str
    indicator: str
    indicator_name: str
    period: date
    version: int
    transition: str
    severity: str
    message: str
    figures: dict[str, Any]
    occurred_at: datetime
    quarterly: bool = False  # the indicator is reported by quarter (2026年上半年, not 2026年1-6月)

    @property
    def label(self) -> str:
        """【严重】/【预警】/【提示】, or 【已恢复】 when the alert cleared."""
        if self.transition == Transition.RESOLVED:
            return RESOLVED_LABEL
        return Severity(self.severity).zh

    @property
    def rule_zh(self) -> str:
        try:
            return RULE_ZH[Rule(self.rule)]
        except ValueError:
            return self.rule

    @property
    def transition_zh(self) -> str:
        try:
            return TRANSITION_ZH[Transition(self.transition)]
        except ValueError:
            return self.transition

    @property
    def period_zh(self) -> str:
        return period_zh(self.rule, self.period, self.figures, quarterly=self.quarterly)

    @property
    def heading(self) -> str:
        return f"【{self.label}】{self.zone} · {self.indicator_name} · {self.period_zh}"


@dataclass(frozen=True)
class Digest:
    """One delivery: a digest of alert events for one subscriber, or a test message."""

    delivery_id: int
    kind: str  # "alerts" | "test"
    subscription_id: str
    subscription_name: str
    created_at: datetime
    events: tuple[DigestEvent, ...] = ()


@dataclass(frozen=True)
class HttpMessage:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def title(digest: Digest) -> str:
    """The subject line: the one alert itself, or how many of which kind."""
    if digest.kind == "test":
        return f"【测试】{SYSTEM_ZH}：订阅「{digest.subscription_name}」通知通道测试"
    if len(digest.events) == 1:
        event = digest.events[0]
        return f"【{event.label}】{event.zone}{event.indicator_name}{event.rule_zh}（{event.period_zh}）"
    counts = Counter(event.label for event in digest.events)
    summary = "、".join(f"{label}{counts[label]}条" for label in LABEL_ORDER if counts[label])
    return f"{SYSTEM_ZH}预警：{len(digest.events)}条（{summary}）"


def _test_text(digest: Digest) -> str:
    return (
        f"这是一条测试消息，来自{SYSTEM_ZH}系统。收到即表示订阅「{digest.subscription_name}」的通知通道配置正确。"
        f"发送时间：{_local(digest.created_at)}。"
    )


def _footer(digest: Digest) -> str:
    return f"订阅「{digest.subscription_name}」 · 投递#{digest.delivery_id} · {_local(digest.created_at)}"


def _markdown_block(event: DigestEvent) -> str:
    return f"#### {event.heading}\n**{event.rule_zh}**（{event.transition_zh}）\n\n> {event.message}\n"


def fit_markdown(head: str, blocks: Sequence[str], foot: str, max_bytes: int) -> str:
    """head + as many blocks as fit + foot within `max_bytes` (UTF-8); what is cut is counted: "…另有N条"."""

    def size(text: str) -> int:
        return len(text.encode("utf-8"))

    def compose(kept: Sequence[str], left: int) -> str:
        parts = [head, *kept]
        if left:
            parts.append(f"…另有{left}条，详见订阅的投递记录\n")
        parts.append(foot)
        return "\n".join(parts)

    kept: list[str] = []
    for position, block in enumerate(blocks):
        left_after = len(blocks) - position - 1
        if size(compose([*kept, block], left_after)) > max_bytes:
            text = compose(kept, len(blocks) - position)
            break
        kept.append(block)
    else:
        text = compose(kept, 0)
    if size(text) > max_bytes:  # even the head and the count do not fit: cut the text itself
        text = text.encode("utf-8")[: max_bytes - len("…".encode())].decode("utf-8", errors="ignore") + "…"
    return text


def markdown_text(digest: Digest, max_bytes: int) -> str:
    """The digest as robot markdown (DingTalk and WeCom read the same subset: headings, bold, quotes)."""
    head = f"### {title(digest)}\n"
    foot = f"###### {_footer(digest)}"
    if digest.kind == "test":
        return fit_markdown(head, [_test_text(digest) + "\n"], foot, max_bytes)
    return fit_markdown(head, [_markdown_block(event) for event in digest.events], foot, max_bytes)


def plain_text(digest: Digest) -> str:
    """The digest as plain text (e-mail body)."""
    lines = [title(digest), ""]
    if digest.kind == "test":
        lines += [_test_text(digest), ""]
    for number, event in enumerate(digest.events, start=1):
        lines += [
            f"{number}. {event.heading}",
            f"   {event.rule_zh}（{event.transition_zh}）",
            f"   {event.message}",
            "",
        ]
    lines += ["——", f"{_footer(digest)}", f"{SYSTEM_ZH}系统自动发送，请勿直接回复。"]
    return "\n".join(lines) + "\n"


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def webhook_payload(digest: Digest) -> dict[str, Any]:
    """Our webhook JSON: the events with their figures (exact decimals as strings), and the text as sent elsewhere."""
    return {
        "delivery_id": digest.delivery_id,
        "kind": digest.kind,
        "subscription": {"id": digest.subscription_id, "name": digest.subscription_name},
        "created_at": digest.created_at.isoformat(),
        "title": title(digest),
        "text": plain_text(digest),
        "events": [
            {
                "rule": event.rule,
                "rule_zh": event.rule_zh,
                "zone": event.zone,
                "indicator": event.indicator,
                "indicator_name": event.indicator_name,
                "period": f"{event.period.year:04d}-{event.period.month:02d}",
                "period_zh": event.period_zh,
                "heading": event.heading,
                "version": event.version,
                "transition": event.transition,
                "transition_zh": event.transition_zh,
                "severity": event.severity,
                "severity_zh": Severity(event.severity).zh,
                "message": event.message,
                "figures": event.figures,
                "occurred_at": event.occurred_at.isoformat(),
            }
            for event in digest.events
        ],
    }


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of "{timestamp}.{body}" keyed by the subscription's secret."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def render_webhook(digest: Digest, target: str, secret: str, timestamp: int) -> HttpMessage:
    """The signed webhook request; `timestamp` is Unix seconds at sending."""
    body = _json_bytes(webhook_payload(digest))
    return HttpMessage(
        url=target,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
            DELIVERY_HEADER: str(digest.delivery_id),
        },
        body=body,
    )


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, "{timestamp_ms}\\n{secret}")), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def render_dingtalk(digest: Digest, target: str, secret: str | None, timestamp_ms: int) -> HttpMessage:
    """The DingTalk group-robot markdown message; signed (timestamp and sign in the URL) when there is a secret."""
    url = target
    if secret:
        url += ("&" if "?" in target else "?") + f"timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": title(digest), "text": markdown_text(digest, DINGTALK_MAX_BYTES)},
    }
    return HttpMessage(
        url=url,
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        body=_json_bytes(payload),
    )


def render_wecom(digest: Digest, target: str) -> HttpMessage:
    """The WeCom group-robot markdown message (content within 4096 bytes)."""
    payload = {"msgtype": "markdown", "markdown": {"content": markdown_text(digest, WECOM_MAX_BYTES)}}
    return HttpMessage(
        url=target,
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        body=_json_bytes(payload),
    )


def render_email(digest: Digest, sender: str, recipient: str, now: datetime) -> EmailMessage:
    """A UTF-8 plain-text e-mail; the Chinese subject is encoded by the e-mail package (RFC 2047)."""
    message = EmailMessage()
    message["Subject"] = title(digest)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now.astimezone(LOCAL_TZ))
    message["Message-ID"] = make_msgid(idstring=f"delivery-{digest.delivery_id}", domain="indicators.local")
    message[DELIVERY_HEADER] = str(digest.delivery_id)
    message.set_content(plain_text(digest), charset="utf-8")
    return message


# What a delivery records of an answer is its status code (and a robot's errcode), never the body: a target
# is any URL an admin typed, and the reply of whatever answers there must not come back through the API.


def webhook_error(status_code: int, body: bytes) -> str | None:
    """Why a webhook answer is a failure (anything but 2xx), or None."""
    if 200 <= status_code < 300:
        return None
    return f"HTTP {status_code}"


def robot_error(status_code: int, body: bytes) -> str | None:
    """Why a DingTalk/WeCom robot answer is a failure, or None: success is HTTP 200 and errcode 0.

    The robots' errcodes are documented numbers (e.g. DingTalk's 310000); the errmsg beside them is
    the answer's text and is not recorded.
    """
    if status_code != 200:
        return f"HTTP {status_code}"
    try:
        answer = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "HTTP 200, but the answer is not JSON"
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode == 0 and not isinstance(errcode, bool):
        return None
    if isinstance(errcode, int) and not isinstance(errcode, bool):
        return f"HTTP 200, errcode {errcode}"
    return "HTTP 200, but the answer has no errcode 0"
