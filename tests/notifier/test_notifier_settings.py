"""The notifier's retry schedule and settings, pure."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notifier.config import NotifierSettings
from notifier.sender import retry_delay_s


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [retry_delay_s(n, 5, 600) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 320, 600, 600]


def test_default_schedule_gives_up_after_about_an_hour() -> None:
    settings = NotifierSettings()
    waits = [
        retry_delay_s(n, settings.notifier_backoff_base_s, settings.notifier_backoff_max_s)
        for n in range(1, settings.notifier_max_attempts)
    ]
    # 12 tries: 5+10+…+320 s, then 600 s four times (the 12th failure is final, no wait after it).
    assert sum(waits) == 5 + 10 + 20 + 40 + 80 + 160 + 320 + 4 * 600
    assert settings.notifier_max_age_s == 86_400


def test_the_lease_must_outlast_a_send() -> None:
    with pytest.raises(ValidationError, match="must exceed INDICATORS_NOTIFIER_SEND_TIMEOUT_S"):
        NotifierSettings(notifier_send_timeout_s=30, notifier_lease_s=30)


def test_settings_come_from_indicators_notifier_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDICATORS_NOTIFIER_PORT", "18003")
    monkeypatch.setenv("INDICATORS_NOTIFIER_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("INDICATORS_NOTIFIER_SMTP_STARTTLS", "true")
    settings = NotifierSettings()
    assert (settings.notifier_port, settings.notifier_smtp_host, settings.notifier_smtp_starttls) == (
        18003,
        "smtp.example.org",
        True,
    )


def test_an_empty_smtp_login_in_the_env_file_means_no_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDICATORS_NOTIFIER_SMTP_USER", "")
    monkeypatch.setenv("INDICATORS_NOTIFIER_SMTP_PASSWORD", " ")
    settings = NotifierSettings()
    assert (settings.notifier_smtp_user, settings.notifier_smtp_password) == (None, None)
    monkeypatch.setenv("INDICATORS_NOTIFIER_SMTP_USER", "alerts@zone.gov.cn")
    assert NotifierSettings().notifier_smtp_user == "alerts@zone.gov.cn"
