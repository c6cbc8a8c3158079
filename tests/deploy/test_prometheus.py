"""Prometheus configuration and alerting rules, checked by Debian's promtool.

promtool checks the syntax and the rules' unit tests; what it cannot know is checked here: that
every rule is tested both firing and not firing, that the rules read metrics the services really
export, and that every alert speaks Chinese and English.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import alerts.metrics  # noqa: F401  (registers the metrics)
import ingest.metrics  # noqa: F401
import notifier.metrics  # noqa: F401
import processor.metrics  # noqa: F401
import query.metrics  # noqa: F401
from tests.deploy.tools import run, tool

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy/prometheus"
RULES = PROMETHEUS / "rules/pipeline.yml"
RULE_TESTS = sorted((PROMETHEUS / "rules").glob("*_test.yml"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def exported_metric_names() -> set[str]:
    """Every sample name the services' metrics can expose (counters _total, histograms _bucket/_sum/_count)."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        if family.name.startswith("indicators_")
        for suffix in suffixes.get(family.type, [""])
    }


def test_promtool_accepts_the_scrape_config_and_its_rule_files():
    output = run(tool("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert "SUCCESS: 1 rule files found" in output


def test_promtool_accepts_the_rules():
    output = run(tool("promtool"), "check", "rules", str(RULES))
    assert f"SUCCESS: {len(rules())} rules found" in output


def test_promtool_unit_tests_of_the_rules_pass():
    assert [p.name for p in RULE_TESTS] == ["pipeline_monthly_test.yml", "pipeline_test.yml"]
    output = run(tool("promtool"), "test", "rules", *[p.name for p in RULE_TESTS], cwd=PROMETHEUS / "rules")
    assert output.count("SUCCESS") == len(RULE_TESTS)


def test_every_rule_is_tested_firing_and_not_firing():
    firing, silent = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in rules()}
    assert names - firing == set(), "rules never tested firing"
    assert names - silent == set(), "rules never tested not firing"
    assert names == {
        "ServiceDown",
        "IngestStalled",
        "IngestPublishErrors",
        "UpstreamSilent",
        "ConsumerLagGrowing",
        "ConsumerLagNotDraining",
        "DatabaseWritesFailing",
        "DeadLetters",
        "QueryDatabaseUnavailable",
        "AlertsEvaluatorLagging",
        "AlertDeliveriesFailing",
        "AlertOutboxBacklog",
    }


def test_service_down_covers_every_scraped_service_and_is_tested_for_the_alert_services():
    (service_down,) = [rule for rule in rules() if rule["alert"] == "ServiceDown"]
    # No job matcher: every job of prometheus.yml, the alerts evaluator and the notifier included.
    assert service_down["expr"].strip() == "up == 0"
    jobs = {job["job_name"] for job in yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())["scrape_configs"]}
    assert {"ingest", "processor", "query", "alerts", "notifier"} <= jobs
    fired_for = {
        alert["exp_labels"]["job"]
        for path in RULE_TESTS
        for case in yaml.safe_load(path.read_text())["tests"]
        for check in case.get("alert_rule_test", [])
        if check["alertname"] == "ServiceDown"
        for alert in check.get("exp_alerts", [])
    }
    assert {"processor", "alerts", "notifier"} <= fired_for


def test_rules_read_only_metrics_the_services_export():
    exported = exported_metric_names()
    assert "indicators_processor_consumer_lag" in exported  # the registry was read
    assert "indicators_notifier_oldest_pending_age_seconds" in exported
    assert "indicators_alerts_consumer_lag" in exported
    for rule in rules():
        for metric in re.findall(r"\bindicators_[a-z_]+", rule["expr"]):
            assert metric in exported, f"{rule['alert']} reads {metric}, which no service exports"


def test_every_alert_is_labelled_and_explained_in_chinese_and_english():
    for rule in rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["labels"].get("service"), f"{rule['alert']}: a service label lets Alertmanager group and inhibit"
        for field in ("summary", "description"):
            text = rule["annotations"][field]
            assert CJK.search(text), f"{rule['alert']} {field} has no Chinese"
            assert re.search(r"[A-Za-z]{4,} [a-z]{2,}", CJK.sub("", text)), f"{rule['alert']} {field} has no English"
