"""The vocabularies' one home (indicators_core.vocabulary) against what cannot import it.

The migrations' CHECK constraints and the Grafana boards' words are written out in SQL and
PromQL; these tests read them and compare them with the registry, so a channel, rule, severity
or transition added in one place and not the other fails here, naming what to add where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.model import YEAR_TO_DATE_RULES
from indicators_core import dead_letters, vocabulary
from indicators_core.progress import YoySource
from indicators_core.vocabulary import (
    CHANNEL_ZH,
    CHANNELS,
    DEAD_LETTER_REASON_ZH,
    RULE_ZH,
    SEVERITY_ZH,
    TRANSITION_ZH,
    Rule,
    Severity,
    Transition,
)
from notifier import metrics as notifier_metrics
from notifier.senders import load_senders

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "services/indicators_core/migrations").glob("*.sql"))
CHECK_IN = re.compile(r"CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)", re.IGNORECASE)
LABEL_REPLACE = re.compile(r'"(\w+)_zh",\s*"([^"]*)",\s*"(\w+)",\s*"([^"]*)"')
SQL_CASE = re.compile(r"CASE a\.(\w+)((?:\s+WHEN '\w+' THEN '[^']*')+)")

# Each CHECKed column and the vocabulary it holds.
COLUMNS: dict[str, tuple[str, ...]] = {
    "channel": tuple(channel.code for channel in CHANNELS),
    "severity": tuple(Severity),
    "min_severity": tuple(Severity),
    "transition": tuple(Transition),
    "state": vocabulary.ALERT_STATES,
    "kind": vocabulary.DELIVERY_KINDS,
    "status": vocabulary.DELIVERY_STATUSES,
    "basis": ("ytd", "month"),  # the catalog's and the reports' basis: not an alert vocabulary, held here too
    "yoy_source": tuple(YoySource),
    "tier": vocabulary.PROJECT_TIERS,  # a major project's tier (0010_projects)
    "level": vocabulary.ZONE_LEVELS,  # a registered zone's level (0008_zones)  # where a progress row's growth came from (indicators_core.progress)
}
WORDS: dict[str, dict[str, str]] = {
    "rule": {str(code): zh for code, zh in RULE_ZH.items()},
    "severity": {str(code): zh for code, zh in SEVERITY_ZH.items()},
    "transition": {str(code): zh for code, zh in TRANSITION_ZH.items()},
    "channel": CHANNEL_ZH,
    "reason": DEAD_LETTER_REASON_ZH,
}


def migration_checks() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """column → [(migration, values)] for every `CHECK (column IN (…))`, in migration order."""
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for path in MIGRATIONS:
        for column, values in CHECK_IN.findall(path.read_text(encoding="utf-8")):
            found.setdefault(column, []).append((path.name, tuple(re.findall(r"'([^']*)'", values))))
    return found


def test_the_migrations_check_each_column_against_its_vocabulary() -> None:
    checks = migration_checks()
    assert set(checks) == set(COLUMNS), "a CHECK … IN list on a column this test does not know, or one gone"
    for column, occurrences in checks.items():
        # The latest migration that sets a column's list is what the database holds.
        latest = occurrences[-1][0]
        for migration, values in occurrences:
            if migration == latest:
                assert sorted(values) == sorted(COLUMNS[column]), (
                    f"{migration}: CHECK ({column} IN …) is {values}; the vocabulary has {COLUMNS[column]}"
                    " (a new entry needs a migration that replaces the constraint)"
                )
    assert len(checks["severity"]) == 2 and len(checks["channel"]) == 1


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def board_translations(name: str) -> list[tuple[str, str, dict[str, str]]]:
    """(panel title, label, {code: words}) for every `label_replace(…, "<label>_zh", …)` chain."""
    board = json.loads((ROOT / "dashboards" / name).read_text(encoding="utf-8"))
    found = []
    for panel in _panels(board["panels"]):
        for target in panel.get("targets", []):
            per_label: dict[str, dict[str, str]] = {}
            for label_zh, zh, label, code in LABEL_REPLACE.findall(target.get("expr", "")):
                assert label_zh == label, (panel["title"], label_zh, label)
                per_label.setdefault(label, {})[code] = zh
            found += [(panel["title"], label, words) for label, words in per_label.items()]
    return found


def test_the_pipeline_health_board_says_every_code_in_the_vocabularys_words() -> None:
    translations = board_translations("pipeline-health.json")
    for title, label, words in translations:
        assert words == WORDS[label], f"pipeline-health.json「{title}」: {label}_zh is {words}, not {WORDS[label]}"
    labels = sorted(label for _, label, _ in translations)
    # Dead letters: processor and alerts; rules: firing and changes; channels: sent, retrying, failed, latency.
    assert labels == sorted(["reason"] * 2 + ["rule"] * 2 + ["severity", "transition"] + ["channel"] * 4)


def test_the_overview_alert_table_says_rules_and_severities_in_the_vocabularys_words() -> None:
    text = json.loads((ROOT / "dashboards/half-year-red-overview.json").read_text(encoding="utf-8"))
    sql = "\n".join(
        target.get("rawSql", "") for panel in _panels(text["panels"]) for target in panel.get("targets", [])
    )
    cases = {column: dict(re.findall(r"WHEN '(\w+)' THEN '([^']*)'", whens)) for column, whens in SQL_CASE.findall(sql)}
    assert cases == {"rule": WORDS["rule"], "severity": WORDS["severity"]}
    year_to_date = re.search(r"a\.rule IN \(([^)]*)\)", sql)
    assert year_to_date is not None
    assert set(re.findall(r"'(\w+)'", year_to_date.group(1))) == {str(rule) for rule in YEAR_TO_DATE_RULES}


def test_every_code_has_its_words_and_every_channel_its_sender() -> None:
    assert set(RULE_ZH) == set(Rule) and set(SEVERITY_ZH) == set(Severity) and set(TRANSITION_ZH) == set(Transition)
    assert [rule.zh for rule in Rule] == [
        "落后序时进度",
        "增速为负或低于目标",
        "异常波动",
        "数据迟报",
        "数据不合理",
        "项目节点逾期",
    ]
    assert [severity.rank for severity in Severity] == [0, 1, 2]
    assert set(DEAD_LETTER_REASON_ZH) == set(dead_letters.REASONS)
    assert len({channel.code for channel in CHANNELS}) == len({channel.zh for channel in CHANNELS}) == len(CHANNELS)
    assert sorted(load_senders()) == sorted(channel.code for channel in CHANNELS)
    assert vocabulary.channel("wecom") == CHANNELS[2] and vocabulary.channel("sms") is None


@pytest.mark.parametrize("channel", [channel.code for channel in CHANNELS])
def test_every_channel_has_its_delivery_series_from_the_start(channel: str) -> None:
    sample = notifier_metrics.DELIVERIES.collect()[0].samples
    outcomes = {s.labels["outcome"] for s in sample if s.labels["channel"] == channel and s.name.endswith("_total")}
    assert outcomes == set(vocabulary.DELIVERY_OUTCOMES) == {"sent", "retrying", "failed"}
