"""The local stack's alert inbox: it takes what the notifier signs, refuses what it did not, prints alerts in words."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

import httpx

from notifier.channels import Digest, DigestEvent, render_webhook, webhook_signature
from stack.inbox import AlertInbox, delivery_lines, webhook_problem

SECRET = "收件箱-secret-0123456789"
NOW = 1_700_000_000


def test_a_signed_fresh_request_passes():
    body = '{"title":"预警"}'.encode()
    assert webhook_problem(SECRET, str(NOW), webhook_signature(SECRET, NOW, body), body, NOW + 10) is None


def test_what_is_refused_and_why():
    body = b'{"title":"x"}'
    signed = webhook_signature(SECRET, NOW, body)
    assert webhook_problem(SECRET, None, signed, body, NOW) == "no X-Indicators-Timestamp (Unix seconds)"
    assert (
        webhook_problem(SECRET, str(NOW), signed, body + b" ", NOW) == "X-Indicators-Signature does not match the body"
    )
    assert webhook_problem("another", str(NOW), signed, body, NOW) == "X-Indicators-Signature does not match the body"
    assert webhook_problem(SECRET, str(NOW), None, body, NOW) == "X-Indicators-Signature does not match the body"
    assert webhook_problem(SECRET, str(NOW), signed, body, NOW + 301) == f"timestamp {NOW} is more than 300 s from now"


def lagging_digest() -> Digest:
    event = DigestEvent(
        rule="behind_schedule",
        zone="收件甲区",
        indicator="industrial_output",
        indicator_name="规上工业产值",
        period=date(2026, 1, 1),
        version=1,
        transition="fired",
        severity="critical",
        message="收件甲区 规上工业产值 2026年1-6月完成率42.0%，落后序时进度8.0个百分点，时间过半、任务未过半",
        figures={"month": "6", "completion_pct": "42"},
        occurred_at=datetime(2026, 7, 16, 1, 0, tzinfo=UTC),
    )
    return Digest(7, "alerts", "0b6f", "本机预警收件箱", datetime(2026, 7, 16, 1, 0, 5, tzinfo=UTC), (event,))


def test_a_delivery_prints_its_title_then_each_alert():
    message = render_webhook(lagging_digest(), "http://inbox/alerts", SECRET, NOW)
    assert delivery_lines(json.loads(message.body)) == [
        "投递#7（签名有效）：【严重】收件甲区规上工业产值落后序时进度（2026年1-6月）",
        "  【严重】收件甲区 · 规上工业产值 · 2026年1-6月："
        "收件甲区 规上工业产值 2026年1-6月完成率42.0%，落后序时进度8.0个百分点，时间过半、任务未过半",
    ]


def test_the_inbox_server_takes_the_notifiers_request_and_refuses_a_forged_one():
    printed: list[str] = []
    inbox = AlertInbox("127.0.0.1", 0, SECRET, printed.append)
    inbox.start()
    try:
        now = int(time.time())
        message = render_webhook(lagging_digest(), inbox.url, SECRET, now)
        taken = httpx.post(message.url, content=message.body, headers=message.headers, timeout=10)
        assert taken.status_code == 204
        assert printed[0] == "投递#7（签名有效）：【严重】收件甲区规上工业产值落后序时进度（2026年1-6月）"
        assert [payload["delivery_id"] for payload in inbox.received] == [7]

        forged = render_webhook(lagging_digest(), inbox.url, "not-the-secret", now)
        refused = httpx.post(forged.url, content=forged.body, headers=forged.headers, timeout=10)
        assert refused.status_code == 401
        assert printed[-1] == "refused a delivery: X-Indicators-Signature does not match the body"
        assert len(inbox.received) == 1
    finally:
        inbox.stop()
