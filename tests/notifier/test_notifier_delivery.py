"""The notifier as a real process against a real PostgreSQL, sending to real receivers on loopback.

Each test has a database of its own (the `database` fixture), so a notifier sees only that test's
deliveries. Receivers are small threaded HTTP servers (tests/notifier/receivers.py) and an aiosmtpd SMTP
server that answer from a script and record what they got.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import signal
import time
import urllib.parse
from email import message_from_bytes, policy
from typing import Any

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller

from alerts.model import Severity, Transition
from query.config import QuerySettings
from stack.ports import free_port
from tests.alerts.outbox_rows import behind, fire, insert_subscription
from tests.in_process import query_api
from tests.notifier.processes import api_deliveries, notifier, running
from tests.notifier.receivers import HANG, OK, Received, receivers
from tests.support import wait_for

pytestmark = pytest.mark.integration

SECRET = "通知-webhook-secret-0123456789"
ADMIN_KEY = "notifier-admin-key-0123456789"  # of the query app that shows and tests subscriptions


def delivery(database_url: str, delivery_id: int) -> dict[str, Any]:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute("SELECT * FROM deliveries WHERE id = %s", (delivery_id,)).fetchone()
    assert row is not None
    return row


def wait_status(database_url: str, delivery_id: int, status: str, timeout: float = 30) -> dict[str, Any]:
    return wait_for(
        lambda: (row := delivery(database_url, delivery_id))["status"] == status and row,
        timeout,
        f"delivery {delivery_id} {status}",
        last=lambda: delivery(database_url, delivery_id),
    )


def verify_webhook(received: Received, secret: str) -> None:
    """What a receiver does: recompute the signature over "{timestamp}.{body}" and compare in constant time."""
    timestamp = received.headers["x-indicators-timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    )
    assert hmac.compare_digest(expected, received.headers["x-indicators-signature"])
    assert abs(time.time() - int(timestamp)) < 300  # and refuse old timestamps (replays)


def test_a_receiver_failing_twice_gets_the_message_exactly_once(database: str) -> None:
    with receivers([(503, b"busy"), (500, b"oops"), OK]) as [flaky]:
        insert_subscription(database, "甲区管委会", "webhook", flaky.url, SECRET, zones=["通知甲区"])
        with running(notifier(database, "flaky")):
            [delivery_id] = fire(database, [behind("通知甲区", completion="36.2", gap="5.5")])
            row = wait_status(database, delivery_id, "sent")
            time.sleep(1.5)  # room for a wrong second send to show up
        assert row["attempts"] == 3
        assert row["last_error"] == "HTTP 500"  # the status, never the reply's body
        assert [r.answered for r in flaky.received] == [503, 500, 200]
        [message] = flaky.accepted()
        verify_webhook(message, SECRET)
        assert {r.headers["x-indicators-delivery"] for r in flaky.received} == {str(delivery_id)}
        body = message.json()
        [event] = body["events"]
        assert (event["zone"], event["indicator_name"], event["period"], event["severity_zh"]) == (
            "通知甲区",
            "规上工业产值",
            "2015-05",
            "预警",
        )
        assert event["message"] == "通知甲区1-5月累计完成目标的36.2%，落后序时进度5.5个百分点"
        assert event["figures"] == {
            "month": "5",
            "completion_pct": "36.2",
            "time_progress_pct": "41.666666666667",
            "progress_gap_pp": "-5.5",
        }


def test_a_dead_endpoint_does_not_delay_another_subscriber(database: str) -> None:
    with receivers([HANG], [OK]) as [dead, alive]:
        insert_subscription(database, "失联的", "webhook", dead.url, SECRET)
        insert_subscription(database, "正常的", "webhook", alive.url, SECRET)
        with running(notifier(database, "dead", send_timeout_s=6, lease_s=10)):
            started = time.monotonic()
            dead_id, alive_id = fire(database, [behind("通知乙区")])
            wait_status(database, alive_id, "sent", timeout=30)
            alive_at = alive.accepted()[0].at
            # Both were claimed together: the dead one was hanging while the other was delivered.
            wait_for(lambda: dead.received, 10, "the dead endpoint's request")
            # Sent one after the other, the live one would wait out the dead one's 6 s timeout first.
            assert alive_at - started < 5.0, f"the live subscriber waited {alive_at - started:.1f} s"
            retried = wait_for(
                lambda: (row := delivery(database, dead_id))["last_error"] and row, 20, "the dead endpoint's timeout"
            )
        assert retried["status"] == "pending"  # backing off, not given up
        assert retried["last_error"] == "no answer within 6 s"


def test_killed_before_sending_delivers_once_after_restart(database: str) -> None:
    with receivers([OK]) as [hook]:
        insert_subscription(database, "甲区", "webhook", hook.url, SECRET)
        first = notifier(database, "kill-before")
        with running(first):
            first.stop(signal.SIGKILL)
            [delivery_id] = fire(database, [behind("通知丙区")])
            time.sleep(1)
            assert hook.received == [] and delivery(database, delivery_id)["status"] == "pending"
            first.start()
            first.wait_ready(90)
            row = wait_status(database, delivery_id, "sent")
            time.sleep(1.5)
        assert row["attempts"] == 1
        assert len(hook.received) == 1
        verify_webhook(hook.received[0], SECRET)


def test_killed_mid_send_is_sent_again_when_the_lease_expires(database: str) -> None:
    # At least once: the receiver got the first request, but the notifier died before
    # recording it as sent. The delivery id lets a receiver drop the duplicate.
    with receivers([HANG, OK]) as [hook]:
        insert_subscription(database, "甲区", "webhook", hook.url, SECRET)
        first = notifier(database, "kill-mid", send_timeout_s=8, lease_s=10)
        with running(first):
            [delivery_id] = fire(database, [behind("通知丁区")])
            wait_for(lambda: hook.received, 15, "the first request")
            first.stop(signal.SIGKILL)
            claimed = delivery(database, delivery_id)
            assert claimed["status"] == "pending" and claimed["claimed_until"] is not None
            restarted = notifier(database, "kill-mid-restart", send_timeout_s=2, lease_s=4)
            with running(restarted):
                row = wait_status(database, delivery_id, "sent", timeout=60)
        assert row["attempts"] == 2
        assert [r.headers["x-indicators-delivery"] for r in hook.received] == [str(delivery_id)] * 2
        assert hook.received[0].body == hook.received[1].body  # the same message, deduplicable


def test_gives_up_after_the_bound_and_says_so(database: str) -> None:
    with receivers([(500, b"internal error")]) as [broken]:
        subscription_id = insert_subscription(database, "坏掉的", "webhook", broken.url, SECRET)
        process = notifier(database, "give-up", max_attempts=3)
        with running(process):
            [delivery_id] = fire(database, [behind("通知戊区")])
            row = wait_status(database, delivery_id, "failed")
            metrics = httpx.get(process.ready_url.replace("/readyz", "/metrics"), timeout=10).text
        assert row["attempts"] == 3 and len(broken.received) == 3
        assert row["last_error"] == "HTTP 500"
        assert 'indicators_notifier_deliveries_total{channel="webhook",outcome="failed"} 1.0' in metrics
        assert 'indicators_notifier_deliveries_total{channel="webhook",outcome="retrying"} 2.0' in metrics
        assert 'indicators_notifier_deliveries_total{channel="webhook",outcome="sent"} 0.0' in metrics
        assert re.search(r"^indicators_notifier_deliveries_failed 1\.0$", metrics, re.M)
        assert re.search(r"^indicators_notifier_deliveries_pending 0\.0$", metrics, re.M)
        # ... and in the API.
        listed = api_deliveries(database, ADMIN_KEY, subscription_id)
        assert [(d["id"], d["status"], d["attempts"], d["last_error"]) for d in listed] == [
            (delivery_id, "failed", 3, "HTTP 500")
        ]


def test_dingtalk_robot_signed_and_errcode_checked(database: str) -> None:
    secret = "SECdingtalk0123456789"

    def robot(received: Received) -> tuple[int, bytes]:
        # As DingTalk does: refuse a wrong sign; the first call is refused anyway (rate limit) with HTTP 200.
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(received.path).query))
        string_to_sign = f"{query['timestamp']}\n{secret}".encode()
        sign = base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()).decode()
        if query["sign"] != sign:
            return 200, b'{"errcode":310000,"errmsg":"sign not match"}'
        return 200, b'{"errcode":0,"errmsg":"ok"}'

    with receivers([(200, b'{"errcode":130101,"errmsg":"send too fast"}'), robot]) as [dingtalk]:
        target = dingtalk.url + "?access_token=token123"
        insert_subscription(database, "钉钉群", "dingtalk", target, secret)
        with running(notifier(database, "dingtalk")):
            [delivery_id] = fire(database, [behind("通知甲区")])
            row = wait_status(database, delivery_id, "sent")
        assert row["attempts"] == 2 and row["last_error"] == "HTTP 200, errcode 130101"
        sent = dingtalk.received[-1]
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(sent.path).query))
        assert query["access_token"] == "token123" and abs(time.time() * 1000 - int(query["timestamp"])) < 60_000
        payload = sent.json()
        assert payload["msgtype"] == "markdown"
        assert payload["markdown"]["title"] == "【预警】通知甲区规上工业产值落后序时进度（2015年1-5月）"
        assert "> 通知甲区1-5月累计完成目标的36.2%，落后序时进度5.5个百分点" in payload["markdown"]["text"]


def test_wecom_digest_of_three_is_one_message(database: str) -> None:
    with receivers([(200, b'{"errcode":0,"errmsg":"ok"}')]) as [wecom]:
        insert_subscription(database, "企业微信群", "wecom", wecom.url + "?key=k", zones=["通知乙区"])
        with running(notifier(database, "wecom")):
            [delivery_id] = fire(
                database,
                [
                    behind("通知乙区", "industrial_output", gap="5.5"),
                    behind("通知乙区", "fixed_asset_investment", gap="12.3", severity=Severity.CRITICAL),
                    behind("通知乙区", "export", gap="2.0", version=2, transition=Transition.RESOLVED),
                ],
            )
            wait_status(database, delivery_id, "sent")
            time.sleep(1)
        [message] = wecom.received
        content = message.json()["markdown"]["content"]
        assert content.startswith("### 开发区经济运行监测预警：3条（严重1条、预警1条、已恢复1条）\n")
        # Most severe first, the recovery last.
        headings = re.findall(r"^#### (.+)$", content, re.M)
        assert headings == [
            "【严重】通知乙区 · 固定资产投资 · 2015年1-5月",
            "【预警】通知乙区 · 规上工业产值 · 2015年1-5月",
            "【已恢复】通知乙区 · 出口额 · 2015年1-5月",
        ]
        assert len(content.encode()) <= 4096


class Mailbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        )
        return "250 Message accepted for delivery"


def test_email_arrives_with_chinese_subject_and_body(database: str) -> None:
    mailbox = Mailbox()
    port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        insert_subscription(database, "张三邮箱", "email", "zhang.san@example.com", zones=["通知丙区"])
        with running(
            notifier(database, "email", smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@indicators.local")
        ):
            [delivery_id] = fire(database, [behind("通知丙区", completion="30.1", gap="11.6")])
            wait_status(database, delivery_id, "sent")
    finally:
        smtp.stop()
    [(mail_from, rcpt_tos, raw)] = mailbox.messages
    assert (mail_from, rcpt_tos) == ("alerts@indicators.local", ["zhang.san@example.com"])
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "【预警】通知丙区规上工业产值落后序时进度（2015年1-5月）"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "1. 【预警】通知丙区 · 规上工业产值 · 2015年1-5月" in body
    assert "通知丙区1-5月累计完成目标的30.1%，落后序时进度11.6个百分点" in body


def test_two_notifiers_never_send_one_delivery_twice(database: str) -> None:
    def slow(received: Received) -> tuple[int, bytes]:
        time.sleep(0.1)
        return OK

    with receivers([slow]) as [hook]:
        zones = [f"通知{n:02d}区" for n in range(30)]
        for zone in zones:
            insert_subscription(database, zone, "webhook", hook.url, SECRET, zones=[zone])
        with running(notifier(database, "pair-a", concurrency=4), notifier(database, "pair-b", concurrency=4)):
            ids = fire(database, [behind(zone) for zone in zones])
            assert len(ids) == 30
            for delivery_id in ids:
                wait_status(database, delivery_id, "sent", timeout=60)
            time.sleep(1)
        delivered = sorted(int(r.headers["x-indicators-delivery"]) for r in hook.received)
        assert delivered == sorted(ids)  # each exactly once


def test_test_message_goes_out_even_while_paused(database: str) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    settings = QuerySettings(database_url=database, admin_key=ADMIN_KEY, notify_allow_networks="127.0.0.1/32")
    with receivers([OK]) as [hook]:

        async def subscribe_paused_and_test() -> int:
            async with query_api(settings) as api:
                created = await api.post(
                    "/v1/subscriptions",
                    json={
                        "name": "甲区值班",
                        "channel": "webhook",
                        "target": hook.url,
                        "secret": SECRET,
                        "paused": True,
                    },
                    headers=auth,
                )
                assert created.status_code == 201, created.text
                queued = await api.post(f"/v1/subscriptions/{created.json()['id']}/test", headers=auth)
                assert queued.status_code == 202
                return int(queued.json()["delivery_id"])

        with running(notifier(database, "test-message")):
            delivery_id = asyncio.run(subscribe_paused_and_test())
            wait_status(database, delivery_id, "sent")
        [message] = hook.accepted()
        verify_webhook(message, SECRET)
        body = message.json()
        assert (body["kind"], body["events"]) == ("test", [])
        assert body["title"] == "【测试】开发区经济运行监测：订阅「甲区值班」通知通道测试"
