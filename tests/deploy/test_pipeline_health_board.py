"""dashboards/pipeline-health.json against a real Prometheus scraping the real pipeline.

Debian's Prometheus scrapes the pipeline fixture's services with the jobs of
deploy/prometheus/prometheus.yml (only the addresses differ) and loads the real alert rules. After
a batch of 监控测试区 2016 data (and one rejected row) has gone through, every query of the
board runs the way Grafana sends it ($__rate_interval and $__range expanded) and must answer
with the figures the posted data implies; on a healthy pipeline no alert fires.

Prometheus' increase() does not count a series' first sample, and the services create a labelled
counter (rows of source "admin", rows rejected for their unit) at its first use. A warm-up post
makes every series the test reads exist before the measured batch, and the board's time range
($__range) is taken from just before that batch, so the figures are the batch's alone whatever
other tests of the session posted before.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from stack.ports import free_port
from tests.deploy.tools import ROOT, tool
from tests.support import Pipeline, wait_for

pytestmark = pytest.mark.integration

BOARD = ROOT / "dashboards/pipeline-health.json"
ZONE = "监控测试区"
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
        "prometheus": f"http://127.0.0.1:{port}",
    }
    scrape_configs = []
    for job in deployed["scrape_configs"]:
        if job["job_name"] in addresses:
            address = addresses[job["job_name"]].removeprefix("http://")
            scrape_configs.append({**job, "static_configs": [{"targets": [address]}]})
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ROOT / "deploy/prometheus/rules" / name) for name in deployed["rule_files"]],
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


def warm_up(pipeline: Pipeline, prometheus: str, jobs: int) -> float:
    """Post one accepted and one rejected row, wait until Prometheus holds their counters; the measuring start."""
    assert pipeline.post_observations([observation("import_export", 1, 1)]).status_code == 202
    assert pipeline.post_observations([observation("import_export", 1, 1, unit="万美元")]).status_code == 422
    wait_for(lambda: series_in_query_api(pipeline, "import_export", 1), 60, "the warm-up row in the query API")
    done = time.time()
    # Three seconds of scrapes after it: the window below starts after the warm-up, with samples in it.
    wait_for(lambda: scraped_since(prometheus, done + 3, jobs), 60, "scrapes after the warm-up")
    return time.time()


def test_every_board_query_answers_with_the_figures_of_the_posted_data(pipeline: Pipeline, prometheus: str):
    targets = board_targets()
    jobs = len(query(prometheus, "up"))
    # The board's time range starts here, after the warm-up: its increases are the batch's alone.
    since = warm_up(pipeline, prometheus, jobs) - 2

    posted_at = time.time()
    rows = [observation("fixed_asset_investment", month, 5 * month) for month in (2, 3, 4, 5)]
    assert pipeline.post_observations(rows).status_code == 202
    bad_unit = {**rows[0], "unit": "万美元"}
    assert pipeline.post_observations([bad_unit]).status_code == 422
    wait_for(lambda: series_in_query_api(pipeline, "fixed_asset_investment", 4), 60, "the four months in the query API")

    def awaited() -> dict[str, object]:
        return {
            "rows accepted": query(prometheus, targets["所选时段接收行数（按上游）"]["A"], since),
            "reports processed": query(prometheus, targets["处理量（条/分钟）"]["A"]),
            "query db p95": query(prometheus, targets["查询数据库耗时 p95（按查询）"]["A"]),
            "lag": query(prometheus, targets["消费积压（条，按主题）"]["A"]),
        }

    def all_answer() -> bool:
        now = awaited()
        return (
            round(by(now["rows accepted"], "source").get("admin", 0)) == 4
            and by(now["reports processed"], "kind").get("observation", 0) > 0
            and by(now["query db p95"], "query").get("series", 0) > 0
            and len(now["lag"]) == 2
            and all(v == 0 for v in now["lag"].values())
        )

    wait_for(all_answer, 120, "Prometheus to scrape the batch's figures and a drained lag", last=awaited)
    results = {
        title: {ref: query(prometheus, expr, since) for ref, expr in refs.items()} for title, refs in targets.items()
    }
    expected_titles = {
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
        "查询请求（次/分钟，按状态码）",
        "查询数据库耗时 p95（按查询）",
    }
    assert set(results) == expected_titles

    # Every service that Prometheus scrapes is up (alertmanager is not part of this test's config).
    up = by(results["服务在线状态"]["A"], "job")
    assert {job: up[job] for job in ("ingest", "processor", "query")} == {"ingest": 1.0, "processor": 1.0, "query": 1.0}
    # The real rules, on a healthy pipeline: nothing fires.
    assert results["正在触发的告警"]["A"] == {}

    silent_s = by(results["距上次接收数据（按上游）"]["A"], "source")["admin"]
    assert 0 <= silent_s <= time.time() - posted_at + 2

    # Four rows accepted, one rejected for its unit, since the board's range began (increase() extrapolates a little).
    assert round(by(results["所选时段接收行数（按上游）"]["A"], "source")["admin"]) == 4
    assert {field: round(v) for field, v in by(results["所选时段被拒行数（按字段）"]["A"], "field").items()} == {
        "unit": 1
    }
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

    assert by(results["查询请求（次/分钟，按状态码）"]["A"], "status").get("200", 0) > 0
    # The series the test read; a query nobody ran in the last 5 minutes has no rate (NaN: a gap on the graph).
    db_p95 = by(results["查询数据库耗时 p95（按查询）"]["A"], "query")
    assert 0 < db_p95["series"] <= 10
    assert all(0 < v <= 10 or math.isnan(v) for v in db_p95.values())
