"""Subscription input checks, pure: every wrong field named with its reason; secrets and tokens not shown."""

from __future__ import annotations

import pytest

from indicators_core.auth import bearer_key_owner
from indicators_core.catalog import load_catalog
from indicators_core.netguard import parse_networks
from query.subscriptions import SubscriptionInvalid, SubscriptionSpec, shown_target, validate_subscription

CATALOG = load_catalog()
WEBHOOK = {
    "name": "甲区管委会",
    "channel": "webhook",
    "target": "https://example.org/hook",
    "secret": "0123456789abcdef",
}


def problems(payload: object, current: SubscriptionSpec | None = None) -> list[tuple[str, str]]:
    with pytest.raises(SubscriptionInvalid) as error:
        validate_subscription(payload, CATALOG, current)
    return [(p.field, p.reason) for p in error.value.errors]


def test_a_complete_webhook_subscription() -> None:
    spec = validate_subscription(
        {
            **WEBHOOK,
            "zones": ["通知甲区", " 通知乙区 ", "通知甲区"],
            "indicators": ["industrial_output"],
            "rules": ["behind_schedule"],
            "min_severity": "warning",
        },
        CATALOG,
    )
    assert spec == SubscriptionSpec(
        name="甲区管委会",
        channel="webhook",
        target="https://example.org/hook",
        secret="0123456789abcdef",
        zones=["通知甲区", "通知乙区"],
        indicators=["industrial_output"],
        rules=["behind_schedule"],
        min_severity="warning",
        paused=False,
    )


def test_omitted_filters_mean_all_and_severity_defaults_to_info() -> None:
    spec = validate_subscription({"name": "全部", "channel": "email", "target": "zhang.san@example.com"}, CATALOG)
    assert (spec.zones, spec.indicators, spec.rules, spec.min_severity, spec.secret) == (None, None, None, "info", None)


def test_every_problem_is_named() -> None:
    assert problems(
        {
            "channel": "sms",
            "target": "x",
            "zones": [],
            "indicators": ["gross_output"],
            "rules": ["late"],
            "min_severity": "urgent",
            "colour": "red",
            "paused": "yes",
        }
    ) == [
        (
            "colour",
            "unknown field (known: name, channel, target, secret, zones, indicators, rules, min_severity, paused)",
        ),
        ("name", "is required"),
        ("channel", "'sms' is not one of webhook, dingtalk, wecom, email"),
        ("zones", "an empty list matches nothing; omit it (or null) for all zones"),
        ("indicators[0]", "unknown indicator 'gross_output' (known: " + ", ".join(CATALOG.codes()) + ")"),
        (
            "rules[0]",
            "unknown rule 'late' (known: behind_schedule, negative_growth, sharp_swing, late_report, implausible, stage_overdue)",
        ),
        ("min_severity", "'urgent' is not one of info, warning, critical"),
        ("paused", "must be true or false"),
    ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {**WEBHOOK, "target": "ftp://example.org/x"},
            ("target", "'ftp://example.org/x' is not an http(s) URL with a host (channel webhook)"),
        ),
        (
            {**WEBHOOK, "target": "example.org/hook"},
            ("target", "'example.org/hook' is not an http(s) URL with a host (channel webhook)"),
        ),
        ({**WEBHOOK, "target": "http://exa mple.org"}, ("target", "a URL has no spaces (channel webhook)")),
        (
            {**WEBHOOK, "secret": None},
            ("secret", "is required for a webhook: messages are signed with it (HMAC-SHA256)"),
        ),
        ({**WEBHOOK, "secret": "short"}, ("secret", "shorter than 16 characters")),
        (
            {"name": "n", "channel": "email", "target": "not-an-address"},
            ("target", "'not-an-address' is not an e-mail address (name@example.com) (channel email)"),
        ),
        (
            {
                "name": "n",
                "channel": "wecom",
                "target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                "secret": "x",
            },
            ("secret", "wecom messages are not signed: leave secret out"),
        ),
        ({**WEBHOOK, "name": "  "}, ("name", "must be a non-empty string")),
        ({**WEBHOOK, "zones": "通知甲区"}, ("zones", "must be a list of zones, or omitted (or null) for all")),
    ],
)
def test_bad_input(payload: dict, expected: tuple[str, str]) -> None:
    assert expected in problems(payload)


def test_dingtalk_secret_is_optional_and_robot_urls_need_not_be_their_hosts() -> None:
    # Tests (and proxies) point robots at other hosts; any http(s) URL is accepted where the operator allows it.
    robot = {"name": "钉钉群", "channel": "dingtalk", "target": "http://127.0.0.1:9/robot/send?access_token=t"}
    spec = validate_subscription(robot, CATALOG, allowed=parse_networks("127.0.0.1/32"))
    assert spec.secret is None
    assert problems(robot) == [
        (
            "target",
            "127.0.0.1 is a loopback address (127.0.0.0/8, ::1): not allowed unless INDICATORS_NOTIFY_ALLOW_NETWORKS "
            "lists it (channel dingtalk)",
        )
    ]


def test_patch_checks_the_result() -> None:
    current = validate_subscription(WEBHOOK, CATALOG)
    assert validate_subscription({"paused": True}, CATALOG, current).paused is True
    # Switching a webhook to e-mail: the target must become an address and the secret go.
    assert problems({"channel": "email"}, current) == [
        ("target", "'https://example.org/hook' is not an e-mail address (name@example.com) (channel email)"),
        ("secret", "email messages are not signed: leave secret out (or set it to null)"),
    ]
    spec = validate_subscription({"channel": "email", "target": "li@example.com", "secret": None}, CATALOG, current)
    assert (spec.channel, spec.target, spec.secret) == ("email", "li@example.com", None)
    assert (
        validate_subscription(
            {"zones": None}, CATALOG, validate_subscription({**WEBHOOK, "zones": ["甲"]}, CATALOG)
        ).zones
        is None
    )


def test_tokens_in_robot_urls_are_shortened() -> None:
    assert shown_target("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456") == (
        "https://oapi.dingtalk.com/robot/send?access_token=abcd…"
    )
    assert shown_target("webhook", "https://user:pw@example.org/hook") == "https://user:…@example.org/hook"
    assert shown_target("email", "li@example.com") == "li@example.com"


def test_bearer_key_owner() -> None:
    keys = {"admin-key-0123456789": "admin"}
    assert bearer_key_owner("Bearer admin-key-0123456789", keys) == "admin"
    assert bearer_key_owner("bearer  admin-key-0123456789 ", keys) == "admin"
    assert bearer_key_owner("Bearer wrong", keys) is None
    assert bearer_key_owner("Basic admin-key-0123456789", keys) is None
    assert bearer_key_owner("", keys) is None
