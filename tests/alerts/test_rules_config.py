"""The rules' thresholds are data (rules.toml), per indicator where needed; a wrong file stops at start."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alerts.config import DEFAULT_RULES_PATH, AlertsSettings, RulesConfigError, load_rules, parse_rules
from alerts.model import Rule, Severity
from indicators_core.catalog import load_catalog

CATALOG = load_catalog()


def test_the_packaged_rules_are_the_documented_defaults():
    rules = load_rules(None, CATALOG)
    output = rules.for_indicator("industrial_output")
    assert output.behind_schedule.gap_pp == Decimal(5)
    assert output.behind_schedule.critical_months == (6, 12)
    assert output.behind_schedule.severity is Severity.WARNING
    assert output.behind_schedule.critical_severity is Severity.CRITICAL
    assert output.negative_growth.below_target_severity is Severity.INFO
    assert (output.sharp_swing.window_months, output.sharp_swing.min_history) == (12, 6)
    assert (output.sharp_swing.mad_k, output.sharp_swing.min_ratio) == (Decimal(5), Decimal(2))
    assert output.late_report.due_day == 15
    assert all(output.enabled(rule) for rule in Rule)
    # Counts swing by nature: the packaged file turns the swing rule off for signed projects only.
    assert not rules.for_indicator("signed_projects").enabled(Rule.SHARP_SWING)
    assert rules.for_indicator("signed_projects").enabled(Rule.BEHIND_SCHEDULE)
    assert load_rules(DEFAULT_RULES_PATH, CATALOG).for_indicator("export") == output


def test_per_indicator_overrides_merge_over_the_defaults():
    rules = parse_rules(
        """
        [behind_schedule]
        gap_pp = 3
        [late_report]
        due_day = 10
        [indicators.foreign_capital.behind_schedule]
        gap_pp = 8
        critical_months = [12]
        [indicators.foreign_capital.late_report]
        due_day = 20
        """,
        CATALOG,
    )
    assert rules.for_indicator("industrial_output").behind_schedule.gap_pp == Decimal(3)
    assert rules.for_indicator("industrial_output").late_report.due_day == 10
    foreign = rules.for_indicator("foreign_capital")
    assert foreign.behind_schedule.gap_pp == Decimal(8)
    assert foreign.behind_schedule.critical_months == (12,)
    assert foreign.behind_schedule.severity is Severity.WARNING  # kept from the defaults
    assert foreign.late_report.due_day == 20


def test_growth_targets_in_the_rules_file_stop_the_evaluator_with_the_way_to_post_them():
    # One source of truth: growth targets are posted to ingest ("kind": "growth") and read from the database.
    with pytest.raises(RulesConfigError) as error:
        parse_rules('[[growth_targets]]\nindicator = "industrial_output"\nyoy_pct = 8\n', CATALOG, "old-rules.toml")
    assert str(error.value) == (
        "old-rules.toml: growth_targets: growth targets are no longer set here; send them to ingest as targets"
        ' with "kind": "growth" (PUT /v1/targets, e.g. {"zone": …, "indicator": …, "year": 2026, "kind":'
        ' "growth", "value": 10}) and remove [[growth_targets]] from this file'
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[behind_schedule]\ngap = 5", "behind_schedule.gap: Extra inputs are not permitted"),
        (
            "[behind_schedule]\nseverity = 'urgent'",
            "behind_schedule.severity: Input should be 'info', 'warning' or 'critical'",
        ),
        ("[behind_schedule]\ncritical_months = [6, 13]", "months must be 1..12, got [13]"),
        ("[late_report]\ndue_day = 31", "late_report.due_day: Input should be less than or equal to 28"),
        ("[sharp_swing]\nmin_history = 13", "min_history (13) exceeds window_months (12)"),
        ("[indicators.gross_output.sharp_swing]\nenabled = false", "indicators.gross_output: not in the catalog"),
        ("[indicators.export.swing]\nenabled = false", "indicators.export.swing: unknown rule"),
        (
            "[indicators.export.sharp_swing]\nmad_k = 0",
            "indicators.export.sharp_swing.mad_k: Input should be greater than 0",
        ),
        ("[alerts]\nx = 1", "alerts: Extra inputs are not permitted"),
        ("[behind_schedule\n", "not valid TOML"),
    ],
)
def test_a_wrong_rules_file_names_the_key_and_the_reason(text: str, reason: str):
    with pytest.raises(RulesConfigError) as error:
        parse_rules(text, CATALOG, "rules-test.toml")
    assert str(error.value).startswith("rules-test.toml: ")
    assert reason in str(error.value)


def test_a_missing_rules_file_is_named(tmp_path):
    with pytest.raises(RulesConfigError, match="cannot read the rules file"):
        load_rules(tmp_path / "absent.toml", CATALOG)


def test_settings_come_from_the_environment_and_the_clock_can_be_frozen(monkeypatch):
    monkeypatch.setenv("INDICATORS_ALERTS_WEB_PORT", "18123")
    monkeypatch.setenv("INDICATORS_ALERTS_FROZEN_NOW", "2018-05-15T00:30:00")
    settings = AlertsSettings()
    assert settings.alerts_web_port == 18123
    assert settings.topic_alerts == "indicators.alerts"
    # A time without a zone is read in the evaluator's zone (Asia/Shanghai): still the 15th there.
    now = settings.now()
    assert (now.date().isoformat(), now.utcoffset().total_seconds()) == ("2018-05-15", 8 * 3600)
    monkeypatch.setenv("INDICATORS_ALERTS_FROZEN_NOW", "2018-05-14T16:30:00+00:00")
    assert AlertsSettings().now().date().isoformat() == "2018-05-15"  # 00:30 in Shanghai
    monkeypatch.delenv("INDICATORS_ALERTS_FROZEN_NOW")
    assert abs(AlertsSettings().now() - datetime.now(UTC)).total_seconds() < 5


def test_an_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("INDICATORS_ALERTS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        AlertsSettings()
