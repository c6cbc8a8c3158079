"""dashboards/pipeline-health.json against a real Prometheus scraping the real pipeline.

Debian's Prometheus scrapes the pipeline fixture's services (alerts and notifier included) with
the jobs of deploy/prometheus/prometheus.yml (only the addresses differ) and loads the real alert
rules. Every query of the board runs the way Grafana sends it ($__rate_interval and $__range
expanded) and must answer with the figures the test's own actions imply:

- the pipeline panels, after a batch of 监控测试区 2016 data (one rejected row, and one poison report
  written onto the reports topic); of the Prometheus alerts only DeadLetters fires, for that report;
- the alerts-and-delivery panels, after one 落后序时进度 alert of 监控告警测试区 2016 (fired, then
  resolved by a revision) delivered to a webhook and to a WeCom robot that is busy once, and the
  evaluator's consumer lag drained.

The board's "所选时段" panels count exactly (the counter's value at the range's end minus its
value at the range's start, dashboards/README.md), so the test compares whole numbers, never
rounded ones. For that to be the test's own figures, the range must start after a scrape that
already holds everything done before it (`range_start`) and nothing else may move the counters
while it runs: the outbox holds no other subscriber's retries (`outbox_quiet`), and no other
test posts while this one runs (pytest runs them one at a time). A warm-up post makes every
series the test reads exist before the measured batch (the processor creates some labelled
counters at their first use).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml

from indicators_core import dead_letters as dead_letter_reasons
from indicators_core.vocabulary import CHANNEL_ZH, DEAD_LETTER_REASON_ZH, RULE_ZH, Severity
from stack.ports import free_port
from tests.deploy.tools import ROOT, tool
from tests.notifier.receivers import OK, receivers
from tests.processor.reports import observation_report, send_reports
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

BOARD = ROOT / "dashboards/pipeline-health.json"
ZONE = "监控测试区"
ALERT_ZONE = "监控告警测试区"
PIPELINE_PANELS = {
    "服务在线状态",
    "正在触发的告警",
    "距上次接收数据（按上游）",
    "所选时段接收行数（按上游）",
    "所选时段被拒行数（按字段）",
    "接收与拒收（行/分钟）",
    "批次结果（批/分钟）",
    "Kafka 未确认批次与确认耗时",
    "消费积压（条，按主题）",
    "处理延迟（接收 → 入库）",
    "数据库写入耗时（每个事务）",
    "处理量（条/分钟）",
    "数据库重试（次/分钟）",
    "所选时段死信（条，按原因）",
    "查询请求（次/分钟，按状态码）",
    "查询数据库耗时 p95（按查询）",
}
ALERT_PANELS = {
    "正在触发的订阅告警（条，按规则和级别）",
    "所选时段告警变化（次，按规则和变化）",
    "告警判定积压（条，按主题）",
    "告警判定延迟（处理完成 → 告警入库）",
    "推送结果（次/分钟，按渠道）",
    "所选时段推送（次，按结果）",
    "发件箱（条）",
    "最早一条待发送推送已等待",
    "推送耗时 p95（告警触发 → 送达，按渠道）",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
# What Grafana would put in $__rate_interval: at least 4 scrape intervals.
RATE_INTERVAL = "5m"


def board_targets() -> dict[str, dict[str, str]]:
    """{panel title: {refId: expr}} for every Prometheus query of the board."""
    board = json.loads(BOARD.read_text(encoding="utf-8"))
    targets: dict[str, dict[str, str]] = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, panel["title"]
            targets.setdefault(panel["title"], {})[target["refId"]] = target["expr"]
    return targets


def test_the_two_tests_below_cover_every_query_of_the_board():
    assert set(board_targets()) == PIPELINE_PANELS | ALERT_PANELS
    assert not PIPELINE_PANELS & ALERT_PANELS


def grafana_expanded(expr: str, range_s: int) -> str:
    """The query as Grafana sends it for a board whose time range is the last `range_s` seconds."""
    expr = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$__range", f"{range_s}s")
    assert "$" not in expr, f"a Grafana variable the test does not know: {expr}"
    return expr


@pytest.fixture
def prometheus(pipeline: Pipeline, tmp_path: Path) -> Iterator[str]:
    """A Prometheus of this test alone (function scope: its counters' increases are this test's)."""
    deployed = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    port = free_port()
    addresses = {
        "ingest": pipeline.ingest_url,
        "processor": pipeline.processor_url,
        "query": pipeline.query_url,
        "alerts": pipeline.alerts_url,
        "notifier": pipeline.notifier_url,
        "prometheus": f"http://127.0.0.1:{port}",
    }
    scrape_configs = []
    for job in deployed["scrape_configs"]:
        if job["job_name"] in addresses:
            address = addresses[job["job_name"]].removeprefix("http://")
            # The deployment finds scaled-out replicas by DNS; here each service is one process on loopback.
            here = {key: value for key, value in job.items() if key != "dns_sd_configs"}
            scrape_configs.append({**here, "static_configs": [{"targets": [address]}]})
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ROOT / "deploy/prometheus" / name) for name in deployed["rule_files"]],
        "scrape_configs": scrape_configs,
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log_path = tmp_path / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, log_path.read_text()[-3000:]
        try:
            return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def scraping() -> bool:
        """Every target scraped twice: rates and increases can be computed from here on."""
        return len(query(url, "count_over_time(up[1m]) >= 2")) == len(scrape_configs)

    try:
        wait_for(ready, 60, "Prometheus ready", last=lambda: log_path.read_text()[-2000:])
        wait_for(scraping, 60, "two scrapes of every target", last=lambda: query(url, "count_over_time(up[1m])"))
        # The deployed alert rules are loaded (a rule_files pattern that matches nothing is no error to Prometheus).
        groups = httpx.get(f"{url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        deployed_groups = {
            group["name"]
            for name in deployed["rule_files"]
            for group in yaml.safe_load((ROOT / "deploy/prometheus" / name).read_text())["groups"]
        }
        assert {group["name"] for group in groups} == deployed_groups and all(g["rules"] for g in groups)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def query(prometheus: str, expr: str, since: float | None = None) -> dict[tuple[tuple[str, str], ...], float]:
    """An instant query, as {sorted labels: value}; fails with Prometheus' own error.

    `since`: the start of the board's time range (epoch seconds), for $__range; default one hour.
    """
    range_s = 3600 if since is None else math.ceil(time.time() - since)
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": grafana_expanded(expr, range_s)}, timeout=30)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
    return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in body["data"]["result"]}


def by(results: dict, label: str) -> dict[str, float]:
    return {dict(labels).get(label, ""): value for labels, value in results.items()}


def observation(indicator: str, month: int, value: float, unit: str = "亿元") -> dict:
    return {"zone": ZONE, "indicator": indicator, "period": f"2016-{month:02d}", "value": value, "unit": unit}


def series_in_query_api(pipeline: Pipeline, indicator: str, months: int) -> bool:
    response = httpx.get(
        f"{pipeline.query_url}/v1/series",
        params={"zone": ZONE, "indicator": indicator, "from": "2016-01", "to": "2016-12"},
        timeout=10,
    )
    return len(response.json()["items"]) >= months


def scraped_since(prometheus: str, moment: float, jobs: int) -> bool:
    """Whether Prometheus has scraped every one of its `jobs` targets after `moment`."""
    stamps = query(prometheus, "timestamp(up)")
    return len(stamps) == jobs and all(stamp > moment for stamp in stamps.values())


def range_start(prometheus: str, jobs: int) -> float:
    """A start for the board's range such that every target's last sample at or before it is newer than now.

    The panels read each counter at the range's start from the last scrape at or before it, and the test's
    range is a whole number of seconds (it may start up to a second before the returned moment): so wait for
    a scrape after now, and then for two more seconds of scrapes, before the range may start.
    """
    now = time.time()
    wait_for(lambda: scraped_since(prometheus, now, jobs), 60, "a scrape of every service")
    scraped = time.time()
    wait_for(lambda: scraped_since(prometheus, scraped + 2, jobs), 60, "two more seconds of scrapes")
    return time.time()


def outbox_quiet(pipeline: Pipeline) -> None:
    """Wait until no delivery of any subscriber is pending: the delivery counters then move for this test alone."""

    def pending() -> list[tuple]:
        with psycopg.connect(pipeline.database_url) as conn:
            return conn.execute(
                "SELECT d.id, s.name, s.target, d.attempts FROM deliveries d JOIN subscriptions s "
                "ON s.id = d.subscription_id WHERE d.status = 'pending' ORDER BY d.id"
            ).fetchall()

    wait_for(lambda: not pending(), 60, "an outbox with nothing pending (another test left a subscriber?)", pending)


def warm_up(pipeline: Pipeline, prometheus: str, jobs: int) -> float:
    """Post one accepted and one rejected row, wait until Prometheus holds their counters; the measuring start."""
    assert pipeline.post_observations([observation("import_export", 1, 1)]).status_code == 202
    assert pipeline.post_observations([observation("import_export", 1, 1, unit="万美元")]).status_code == 422
    wait_for(lambda: series_in_query_api(pipeline, "import_export", 1), 60, "the warm-up row in the query API")
    return range_start(prometheus, jobs)


def test_every_board_query_answers_with_the_figures_of_the_posted_data(pipeline: Pipeline, prometheus: str):
    targets = board_targets()
    jobs = len(query(prometheus, "up"))
    # The board's time range starts here, after the warm-up: its increases are the batch's alone.
    since = warm_up(pipeline, prometheus, jobs)

    posted_at = time.time()
    rows = [observation("fixed_asset_investment", month, 5 * month) for month in (2, 3, 4, 5)]
    assert pipeline.post_observations(rows).status_code == 202
    bad_unit = {**rows[0], "unit": "万美元"}
    assert pipeline.post_observations([bad_unit]).status_code == 422
    # And one report that no ingest would pass, written straight onto the reports topic: a dead letter.
    send_reports(
        pipeline.kafka_bootstrap, [observation_report("监控死信批次", 0, f"{ZONE}\x00", "industrial_output", 5, "1")]
    )
    wait_for(lambda: series_in_query_api(pipeline, "fixed_asset_investment", 4), 60, "the four months in the query API")

    def awaited() -> dict[str, object]:
        return {
            "rows accepted": query(prometheus, targets["所选时段接收行数（按上游）"]["A"], since),
            "reports processed": query(prometheus, targets["处理量（条/分钟）"]["A"]),
            "query db p95": query(prometheus, targets["查询数据库耗时 p95（按查询）"]["A"]),
            "lag": query(prometheus, targets["消费积压（条，按主题）"]["A"]),
            "dead letters": query(prometheus, targets["所选时段死信（条，按原因）"]["A"], since),
            "firing": query(prometheus, targets["正在触发的告警"]["A"]),
        }

    def all_answer() -> bool:
        now = awaited()
        return (
            by(now["rows accepted"], "source").get("admin", 0) == 4
            and by(now["reports processed"], "kind").get("observation", 0) > 0
            and by(now["query db p95"], "query").get("series", 0) > 0
            and len(now["lag"]) == 2
            and all(v == 0 for v in now["lag"].values())
            and by(now["dead letters"], "reason_zh").get("数据无法入库") == 1
            and by(now["firing"], "alertname") == {"DeadLetters": 1.0}
        )

    wait_for(all_answer, 120, "Prometheus to scrape the batch's figures and a drained lag", last=awaited)
    results = {
        title: {ref: query(prometheus, expr, since) for ref, expr in refs.items()}
        for title, refs in targets.items()
        if title in PIPELINE_PANELS
    }

    # Every service that Prometheus scrapes is up (alertmanager is not part of this test's config).
    assert by(results["服务在线状态"]["A"], "job") == {
        "ingest": 1.0,
        "processor": 1.0,
        "query": 1.0,
        "alerts": 1.0,
        "notifier": 1.0,
        "prometheus": 1.0,
    }
    # The real rules, on a healthy pipeline: nothing fires.
    # The real rules: only the poison report's dead letter fires (DeadLetters has no `for`); nothing else does.
    firing = [dict(labels) for labels in results["正在触发的告警"]["A"]]
    assert [(a["alertname"], a["job"], a["reason"], a["severity"]) for a in firing] == [
        ("DeadLetters", "processor", "invalid_data", "warning")
    ]

    silent_s = by(results["距上次接收数据（按上游）"]["A"], "source")["admin"]
    assert 0 <= silent_s <= time.time() - posted_at + 2

    # Four rows accepted, one rejected for its unit, since the board's range began: counted, not estimated.
    assert by(results["所选时段接收行数（按上游）"]["A"], "source") == {"admin": 4.0}
    assert by(results["所选时段被拒行数（按字段）"]["A"], "field") == {"unit": 1.0}
    accepted = results["接收与拒收（行/分钟）"]["A"]
    assert accepted[(("kind", "observation"), ("source", "admin"))] > 0
    assert by(results["接收与拒收（行/分钟）"]["B"], "field")["unit"] > 0
    outcomes = by(results["批次结果（批/分钟）"]["A"], "outcome")
    assert outcomes["accepted"] > 0 and outcomes["rejected"] > 0 and outcomes["unavailable"] == 0

    publish_errors, publish_p95 = results["Kafka 未确认批次与确认耗时"]["A"], results["Kafka 未确认批次与确认耗时"]["B"]
    assert list(publish_errors.values()) == [0.0]
    assert 0 < next(iter(publish_p95.values())) <= 30

    assert set(by(results["消费积压（条，按主题）"]["A"], "topic")) == {"indicators.batches", "indicators.reports"}
    latency = {ref: next(iter(r.values())) for ref, r in results["处理延迟（接收 → 入库）"].items()}
    assert 0 < latency["A"] <= latency["B"] <= latency["C"] <= 60
    db_write = {ref: next(iter(r.values())) for ref, r in results["数据库写入耗时（每个事务）"].items()}
    assert 0 < db_write["A"] <= db_write["B"] <= 10
    assert next(iter(results["处理量（条/分钟）"]["B"].values())) > 0
    assert list(results["数据库重试（次/分钟）"]["A"].values()) == [0.0]
    # No message was undecodable: the counter has no series at all (it is labelled by topic).
    assert results["数据库重试（次/分钟）"]["B"] == {}

    # The one poison report, counted once and in words; every reason has its words (other tests' poison came
    # before the range); the evaluator had none.
    reasons_zh = set(DEAD_LETTER_REASON_ZH.values())
    assert reasons_zh == {"无法解码", "数据无法入库", "无法计算", "其他错误"}
    assert by(results["所选时段死信（条，按原因）"]["A"], "reason_zh") == {
        **dict.fromkeys(reasons_zh, 0.0),
        "数据无法入库": 1.0,
    }
    assert by(results["所选时段死信（条，按原因）"]["B"], "reason_zh") == dict.fromkeys(reasons_zh, 0.0)
    assert len(reasons_zh) == len(dead_letter_reasons.REASONS)

    assert by(results["查询请求（次/分钟，按状态码）"]["A"], "status").get("200", 0) > 0
    # The series the test read; a query nobody ran in the last 5 minutes has no rate (NaN: a gap on the graph).
    db_p95 = by(results["查询数据库耗时 p95（按查询）"]["A"], "query")
    assert 0 < db_p95["series"] <= 10
    assert all(0 < v <= 10 or math.isnan(v) for v in db_p95.values())


# ---------------------------------------------------------------- alerts and delivery

# A WeCom group robot answers HTTP 200 either way; errcode says whether it took the message.
WECOM_BUSY = (200, json.dumps({"errcode": 45009, "errmsg": "api freq out of limit"}).encode())
WECOM_OK = (200, json.dumps({"errcode": 0, "errmsg": "ok"}).encode())


def query_range(prometheus: str, expr: str, since: float) -> dict[tuple[tuple[str, str], ...], list[float]]:
    """A timeseries panel's query as Grafana runs it over [since, now], one point a second."""
    response = httpx.get(
        f"{prometheus}/api/v1/query_range",
        params={"query": grafana_expanded(expr, 3600), "start": since, "end": time.time(), "step": 1},
        timeout=30,
    )
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
    return {
        tuple(sorted(r["metric"].items())): [float(value) for _, value in r["values"]] for r in body["data"]["result"]
    }


def by_labels(results: dict, *labels: str) -> dict[tuple[str, ...], float]:
    return {tuple(dict(key)[label] for label in labels): value for key, value in results.items()}


def subscribe(pipeline: Pipeline, **subscription: object) -> str:
    response = httpx.post(
        f"{pipeline.query_url}/v1/subscriptions",
        json={"zones": [ALERT_ZONE], "min_severity": "info", **subscription},
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def unsubscribe(pipeline: Pipeline, subscription_id: str) -> None:
    response = httpx.delete(
        f"{pipeline.query_url}/v1/subscriptions/{subscription_id}",
        headers={"Authorization": f"Bearer {pipeline.admin_key}"},
        timeout=10,
    )
    assert response.status_code in (200, 204), response.text


def ytd(values: list[float]) -> list[dict]:
    """Cumulative 规上工业产值 of 监控告警测试区, January to len(values), 2016."""
    return [
        {"zone": ALERT_ZONE, "indicator": "industrial_output", "period": f"2016-{m:02d}", "value": v, "unit": "亿元"}
        for m, v in enumerate(values, start=1)
    ]


def test_alert_and_delivery_panels_follow_one_alert_and_its_deliveries(pipeline: Pipeline, prometheus: str):
    """Figures the test causes itself: the session's other alerts (other zones) are left out by rule or compared."""
    targets = board_targets()
    firing_panel = targets["正在触发的订阅告警（条，按规则和级别）"]["A"]
    jobs = len(query(prometheus, "up"))
    key = ("落后序时进度", "预警")

    def firing() -> dict[tuple[str, ...], float]:
        return by_labels(query(prometheus, firing_panel), "rule_zh", "severity_zh")

    firing_before = firing().get(key, 0.0)
    with receivers([OK], [WECOM_BUSY, WECOM_OK]) as (webhook, wecom):
        subscriptions = [
            subscribe(pipeline, name="监控告警测试区管委会", channel="webhook", target=webhook.url, secret="s" * 24),
            subscribe(pipeline, name="监控告警测试区工作群", channel="wecom", target=wecom.url),
        ]
        try:
            # The board's range starts here, after every earlier delivery was scraped.
            outbox_quiet(pipeline)
            since = range_start(prometheus, jobs)

            response = pipeline.put_targets(
                [{"zone": ALERT_ZONE, "indicator": "industrial_output", "year": 2016, "value": 100}]
            )
            assert response.status_code == 202, response.text
            # On track to April (34 of 100 against 33.3%); May: 35.0% against 41.7%, 6.7 points behind (预警).
            assert pipeline.post_observations(ytd([8, 16, 25, 34, 35])).status_code == 202
            wait_for(
                lambda: webhook.accepted() and len(wecom.received) >= 2,
                120,
                "the alert at the webhook, and at the WeCom robot on its second try",
                last=lambda: (len(webhook.received), len(wecom.received)),
            )
            wait_for(
                lambda: firing().get(key, 0.0) == firing_before + 1,
                60,
                "the alert on the board",
                last=firing,
            )

            # The bureau revises May to 40 (40.0%, 1.7 points behind): resolved, told to both.
            assert pipeline.post_observations(ytd([8, 16, 25, 34, 40])[4:]).status_code == 202
            wait_for(
                lambda: len(webhook.accepted()) == 2 and len(wecom.received) == 3,
                120,
                "the recovery at both subscribers",
                last=lambda: (len(webhook.received), len(wecom.received)),
            )
            wait_for(lambda: firing().get(key, 0.0) == firing_before, 60, "the alert off the board", last=firing)
            # Every result judged and committed by the evaluator's group: a later lag reading is 0.
            lag_panel = targets["告警判定积压（条，按主题）"]["A"]
            wait_for(
                lambda: by(query(prometheus, lag_panel), "topic") == {"indicators.results": 0.0},
                90,
                "the evaluator's lag on the board back to 0",
                last=lambda: query(prometheus, lag_panel),
            )
            done = time.time()
            wait_for(lambda: scraped_since(prometheus, done + 1, jobs), 60, "scrapes after the recovery")
        finally:
            for subscription_id in subscriptions:
                unsubscribe(pipeline, subscription_id)

    results = {
        title: {ref: query(prometheus, expr, since) for ref, expr in refs.items()}
        for title, refs in targets.items()
        if title in ALERT_PANELS
    }
    # One alert, fired and resolved (the session's other alerts are other rules' or not in this range).
    changes = by_labels(results["所选时段告警变化（次，按规则和变化）"]["A"], "rule_zh", "transition_zh")
    assert {k: v for k, v in changes.items() if k[0] == "落后序时进度"} == {
        ("落后序时进度", "新触发"): 1.0,
        ("落后序时进度", "已恢复"): 1.0,
    }
    # Every rule and severity speaks Chinese on the board (the gauge has all of them, at 0 when quiet).
    every = by_labels(query(prometheus, firing_panel.removesuffix(" > 0")), "rule_zh", "severity_zh")
    # Every rule (项目节点逾期 too) × every severity.
    assert len(every) == 6 * 3 and all(CJK.search(rule) and CJK.search(severity) for rule, severity in every)
    # In the words subscribers' messages use.
    assert {rule for rule, _ in every} == set(RULE_ZH.values())
    assert {severity for _, severity in every} == {severity.zh for severity in Severity}

    # Two deliveries each (fired, resolved); WeCom's first try was refused and retried.
    totals = {ref: list(r.values()) for ref, r in results["所选时段推送（次，按结果）"].items()}
    assert totals == {"A": [4.0], "B": [1.0], "C": [0.0]}
    per_minute = results["推送结果（次/分钟，按渠道）"]
    sent, retrying, given_up = (by(per_minute[ref], "channel_zh") for ref in ("A", "B", "C"))
    assert set(sent) == set(retrying) == set(given_up) == set(CHANNEL_ZH.values())
    assert set(CHANNEL_ZH.values()) == {"Webhook", "钉钉", "企业微信", "电子邮件"}
    assert sent["Webhook"] > 0 and sent["企业微信"] > 0 and sent["钉钉"] == sent["电子邮件"] == 0
    assert retrying["企业微信"] > 0 and retrying["Webhook"] == 0
    assert all(v == 0 for v in given_up.values())

    # The outbox held the WeCom delivery while it waited for its retry (5 s), and is back where it was.
    (pending,) = query_range(prometheus, targets["发件箱（条）"]["A"], since).values()
    assert max(pending) >= pending[0] + 1 and pending[-1] == pending[0]
    (waited,) = query_range(prometheus, targets["最早一条待发送推送已等待"]["A"], since).values()
    assert max(waited) >= 4
    assert (waited[-1] == 0) == (pending[-1] == 0)
    (failed_stored,) = results["发件箱（条）"]["B"].values()
    assert failed_stored >= 0

    # Alert to subscriber: the webhook's right away, WeCom's after its 5-second back-off.
    latency = by(results["推送耗时 p95（告警触发 → 送达，按渠道）"]["A"], "channel_zh")
    assert 0 < latency["Webhook"] < 5 <= latency["企业微信"]
    judged = {ref: next(iter(r.values())) for ref, r in results["告警判定延迟（处理完成 → 告警入库）"].items()}
    assert 0 < judged["A"] <= judged["B"] <= 60
    # The evaluator's lag, on the one topic it consumes (not the alerts topic it publishes to): drained. A reading
    # is refreshed every 10 s and vanishes while the broker does not answer, so the board is read until it says so.
    wait_for(
        lambda: by(query(prometheus, lag_panel), "topic") == {"indicators.results": 0.0},
        60,
        "the evaluator's lag on the board at 0, on its one topic",
        last=lambda: query(prometheus, lag_panel),
    )
