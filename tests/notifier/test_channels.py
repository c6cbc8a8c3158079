"""Channel rendering and signing, pure: the formats DingTalk, WeCom, our webhook and e-mail expect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header

from alerts.model import period_zh
from notifier.channels import (
    WECOM_MAX_BYTES,
    Digest,
    DigestEvent,
    dingtalk_sign,
    render_dingtalk,
    render_email,
    render_webhook,
    render_wecom,
    robot_error,
    title,
    webhook_error,
)

CREATED = datetime(2015, 6, 10, 1, 30, tzinfo=UTC)  # 09:30 in Beijing


def event(
    zone="通知甲区",
    indicator="industrial_output",
    name="规上工业产值",
    severity="warning",
    transition="fired",
    rule="behind_schedule",
    message=None,
) -> DigestEvent:
    return DigestEvent(
        rule=rule,
        zone=zone,
        indicator=indicator,
        indicator_name=name,
        period=date(2015, 1, 1),  # a year-to-date rule: one alert per year, judged on May
        version=1,
        transition=transition,
        severity=severity,
        message=message or f"{zone}{name}1-5月累计完成目标的36.2%，落后序时进度5.5个百分点",
        figures={
            "month": "5",
            "completion_pct": "36.2",
            "time_progress_pct": "41.666666666667",
            "progress_gap_pp": "-5.5",
        },
        occurred_at=CREATED,
    )


def digest(*events: DigestEvent, kind="alerts") -> Digest:
    return Digest(
        delivery_id=42,
        kind=kind,
        subscription_id="5b0c…",
        subscription_name="甲区管委会",
        created_at=CREATED,
        events=tuple(events),
    )


def test_titles_say_what_happened_in_words() -> None:
    assert title(digest(event())) == "【预警】通知甲区规上工业产值落后序时进度（2015年1-5月）"
    assert title(digest(event(transition="resolved"))) == "【已恢复】通知甲区规上工业产值落后序时进度（2015年1-5月）"
    three = digest(event(severity="critical"), event(zone="通知乙区"), event(zone="通知丙区", transition="resolved"))
    assert title(three) == "开发区经济运行监测预警：3条（严重1条、预警1条、已恢复1条）"
    assert title(digest(kind="test")) == "【测试】开发区经济运行监测：订阅「甲区管委会」通知通道测试"


def test_webhook_is_signed_over_timestamp_and_body() -> None:
    secret = "webhook-secret-0123456789"
    request = render_webhook(digest(event()), "https://receiver.example/hook", secret, 1433899800)
    assert request.headers["X-Indicators-Timestamp"] == "1433899800"
    assert request.headers["X-Indicators-Delivery"] == "42"
    expected = hmac.new(secret.encode(), b"1433899800." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Indicators-Signature"] == f"sha256={expected}"
    body = json.loads(request.body)
    assert body["delivery_id"] == 42
    assert body["events"][0]["zone"] == "通知甲区"
    assert body["events"][0]["period"] == "2015-01"  # the alert's identity: one per year for this rule
    assert body["events"][0]["period_zh"] == "2015年1-5月"
    assert body["events"][0]["heading"] == "【预警】通知甲区 · 规上工业产值 · 2015年1-5月"
    assert body["events"][0]["severity_zh"] == "预警"
    assert body["events"][0]["figures"]["completion_pct"] == "36.2"
    assert "落后序时进度5.5个百分点" in body["events"][0]["message"]
    # The body is UTF-8 JSON, not \\u escapes: what is signed is what a person reads.
    assert "通知甲区".encode() in request.body


def test_dingtalk_markdown_and_signature_as_documented() -> None:
    secret = "SEC0123456789abcdef"
    timestamp_ms = 1433899800123
    request = render_dingtalk(
        digest(event()), "https://oapi.dingtalk.com/robot/send?access_token=abc", secret, timestamp_ms
    )
    # 加签 recomputed as DingTalk documents it: timestamp + "\n" + secret, HmacSHA256, Base64, urlEncode.
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    sign = urllib.parse.quote_plus(base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()))
    assert request.url == f"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp={timestamp_ms}&sign={sign}"
    assert dingtalk_sign(secret, timestamp_ms) == sign
    payload = json.loads(request.body)
    assert list(payload) == ["msgtype", "markdown"]
    assert payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"title", "text"}
    assert payload["markdown"]["title"] == "【预警】通知甲区规上工业产值落后序时进度（2015年1-5月）"
    text = payload["markdown"]["text"]
    assert text.startswith("### 【预警】通知甲区规上工业产值落后序时进度（2015年1-5月）\n")
    assert "#### 【预警】通知甲区 · 规上工业产值 · 2015年1-5月" in text
    assert "> 通知甲区规上工业产值1-5月累计完成目标的36.2%，落后序时进度5.5个百分点" in text
    assert "投递#42 · 2015-06-10 09:30" in text  # Beijing time


def test_dingtalk_without_secret_is_not_signed() -> None:
    request = render_dingtalk(digest(event()), "https://oapi.dingtalk.com/robot/send?access_token=abc", None, 1)
    assert request.url == "https://oapi.dingtalk.com/robot/send?access_token=abc"


def test_wecom_markdown_within_4096_bytes_with_the_rest_counted() -> None:
    events = [event(zone=f"通知{n:02d}区", message="落后序时进度" + "很多说明文字" * 20) for n in range(40)]
    request = render_wecom(digest(*events), "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    payload = json.loads(request.body)
    assert list(payload) == ["msgtype", "markdown"] and payload["msgtype"] == "markdown"
    assert list(payload["markdown"]) == ["content"]
    content = payload["markdown"]["content"]
    assert len(content.encode("utf-8")) <= WECOM_MAX_BYTES
    shown = content.count("#### 【预警】")
    assert 0 < shown < 40
    assert f"…另有{40 - shown}条" in content
    assert content.startswith("### 开发区经济运行监测预警：40条（预警40条）")


def test_wecom_short_digest_is_whole() -> None:
    content = json.loads(render_wecom(digest(event(), event(zone="通知乙区")), "http://x/").body)["markdown"]["content"]
    assert "另有" not in content
    assert content.count("#### 【预警】") == 2


def test_email_has_a_chinese_subject_and_body_in_utf8() -> None:
    message = render_email(digest(event()), "indicators@localhost", "zhang@example.com", CREATED)
    raw = message.as_bytes(policy=policy.SMTP)
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # the subject header is RFC 2047-encoded, not raw bytes
    parsed = message_from_bytes(raw, policy=policy.default)
    assert (
        str(make_header(decode_header(parsed["Subject"]))) == "【预警】通知甲区规上工业产值落后序时进度（2015年1-5月）"
    )
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    body = parsed.get_content()
    assert "1. 【预警】通知甲区 · 规上工业产值 · 2015年1-5月" in body
    assert "通知甲区规上工业产值1-5月累计完成目标的36.2%，落后序时进度5.5个百分点" in body
    assert parsed["To"] == "zhang@example.com"
    assert parsed["X-Indicators-Delivery"] == "42"


def test_answers_judged_per_channel_by_status_and_errcode_never_by_the_body() -> None:
    # Whatever answers at a target must not come back through /deliveries (issue 14: ports and banners did).
    secret_reply = b"root:x:0:0:root:/root:/bin/bash SSH-2.0-OpenSSH_9.6"
    assert webhook_error(204, b"") is None
    assert webhook_error(503, b"busy") == "HTTP 503"
    assert webhook_error(404, secret_reply) == "HTTP 404"
    assert webhook_error(302, b"") == "HTTP 302"
    assert robot_error(200, b'{"errcode":0,"errmsg":"ok"}') is None
    assert robot_error(200, b'{"errcode":310000,"errmsg":"sign not match"}') == "HTTP 200, errcode 310000"
    assert robot_error(200, b'{"errcode":93000,"errmsg":"' + secret_reply + b'"}') == "HTTP 200, errcode 93000"
    assert robot_error(200, b"<html>" + secret_reply) == "HTTP 200, but the answer is not JSON"
    assert robot_error(200, b'{"errmsg":"root:x:0:0"}') == "HTTP 200, but the answer has no errcode 0"
    assert robot_error(200, b'{"errcode":"0"}') == "HTTP 200, but the answer has no errcode 0"
    assert robot_error(200, b'{"errcode":false}') == "HTTP 200, but the answer has no errcode 0"
    assert robot_error(500, secret_reply) == "HTTP 500"


def test_periods_read_as_people_say_them() -> None:
    assert period_zh("behind_schedule", date(2015, 1, 1), {"month": "5"}) == "2015年1-5月"
    assert period_zh("negative_growth", date(2015, 1, 1), {"month": "1"}) == "2015年1月"
    assert period_zh("sharp_swing", date(2015, 4, 1), {"month": "4"}) == "2015年4月"
    assert period_zh("late_report", date(2015, 4, 1), {}) == "2015年4月"
    # A quarterly indicator (GDP), stored at the quarter's last month: as statistical bulletins say it.
    assert period_zh("negative_growth", date(2015, 1, 1), {"month": "3"}, quarterly=True) == "2015年一季度"
    assert period_zh("behind_schedule", date(2015, 1, 1), {"month": "6"}, quarterly=True) == "2015年上半年"
    assert period_zh("behind_schedule", date(2015, 1, 1), {"month": "9"}, quarterly=True) == "2015年前三季度"
    assert period_zh("negative_growth", date(2015, 1, 1), {"month": "12"}, quarterly=True) == "2015年全年"
    assert period_zh("sharp_swing", date(2015, 6, 1), {"month": "6"}, quarterly=True) == "2015年二季度"
    assert period_zh("late_report", date(2015, 12, 1), {}, quarterly=True) == "2015年四季度"
