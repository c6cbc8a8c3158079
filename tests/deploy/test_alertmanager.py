"""deploy/alertmanager/alertmanager.yml, checked by amtool and run for real (Debian's Alertmanager).

The deployed image (v0.27) reads the webhook URL from a secret file (`url_file`, since 0.26); the
Debian build here is 0.25, which knows only `url`. That one line is swapped for a URL; everything
else (routes, grouping, inhibitions, the receiver) is checked and run as written.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from stack.ports import free_port
from tests.deploy.tools import ROOT, run, tool
from tests.support import wait_for

ALERTMANAGER = ROOT / "deploy/alertmanager/alertmanager.yml"
RULES = ROOT / "deploy/prometheus/rules/pipeline.yml"
URL_FILE_LINE = "url_file: /run/secrets/alert_webhook_url"


def config_for_debian_alertmanager(folder: Path, webhook_url: str) -> Path:
    text = ALERTMANAGER.read_text()
    assert text.count(URL_FILE_LINE) == 1
    path = folder / "alertmanager.yml"
    path.write_text(text.replace(URL_FILE_LINE, f"url: {webhook_url}"))
    return path


def test_amtool_accepts_the_config(tmp_path: Path):
    output = run(tool("amtool"), "check-config", str(config_for_debian_alertmanager(tmp_path, "http://127.0.0.1:9/")))
    assert "SUCCESS" in output
    assert "1 receivers" in output and "3 inhibit rules" in output


def test_every_rule_routes_to_the_webhook(tmp_path: Path):
    config = config_for_debian_alertmanager(tmp_path, "http://127.0.0.1:9/")
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    for rule in rules:
        labels = [f"{k}={v}" for k, v in rule["labels"].items() if "{{" not in v]
        output = run(
            tool("amtool"),
            "config",
            "routes",
            "test",
            "--config.file",
            str(config),
            f"alertname={rule['alert']}",
            *labels,
            stdout_only=True,
        )
        assert output.strip() == "ops-webhook", f"{rule['alert']} routed to {output.strip()!r}"


class WebhookReceiver:
    """A real HTTP receiver on loopback that keeps every notification Alertmanager posts."""

    def __init__(self) -> None:
        self.notifications: list[dict] = []
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"path": self.path, **json.loads(body)})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pipeline-alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alertnames(self) -> list[str]:
        return sorted(a["labels"]["alertname"] for n in self.notifications for a in n["alerts"])

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, WebhookReceiver]]:
    receiver = WebhookReceiver()
    port = free_port()
    config = config_for_debian_alertmanager(tmp_path, receiver.url)
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            tool("prometheus-alertmanager"),
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
        try:
            return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, 60, "Alertmanager ready", last=lambda: (tmp_path / "alertmanager.log").read_text()[-2000:])
        yield url, receiver
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        receiver.close()


def alert(alertname: str, **labels: str) -> dict:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": f"{alertname} 测试 / test"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


def test_alerts_reach_the_webhook_once_and_consequences_are_held_back(alertmanager: tuple[str, WebhookReceiver]):
    url, receiver = alertmanager
    posted = [
        # Kafka does not acknowledge: the stall says it all, the publish errors are held back.
        alert("IngestStalled", severity="critical", service="ingest"),
        alert("IngestPublishErrors", severity="warning", service="ingest"),
        # The database refuses writes: the backlog in Kafka is its consequence.
        alert("DatabaseWritesFailing", severity="critical", service="processor"),
        alert("ConsumerLagNotDraining", severity="critical", service="processor", topic="indicators.reports"),
        alert("AlertsEvaluatorLagging", severity="warning", service="alerts", topic="indicators.results"),
        # The query service is down: its own database alert is held back.
        alert("ServiceDown", severity="critical", service="query", job="query", instance="query:8001"),
        alert("QueryDatabaseUnavailable", severity="warning", service="query"),
    ]
    # group_wait counts from here: the time the checks below take must not shorten it.
    posted_at = time.monotonic()
    response = httpx.post(f"{url}/api/v2/alerts", json=posted, timeout=10)
    assert response.status_code == 200, response.text

    def states() -> dict[str, tuple[str, list[str]]]:
        """Each alert's state and the alerts that hold it back."""
        current = httpx.get(f"{url}/api/v2/alerts", timeout=10).json()
        names = {a["fingerprint"]: a["labels"]["alertname"] for a in current}
        return {
            a["labels"]["alertname"]: (
                a["status"]["state"],
                sorted(names.get(f, f) for f in a["status"]["inhibitedBy"]),
            )
            for a in current
        }

    wait_for(lambda: len(states()) == 7, 30, "the seven alerts in Alertmanager", last=states)
    assert states() == {
        "IngestStalled": ("active", []),
        "IngestPublishErrors": ("suppressed", ["IngestStalled"]),
        "DatabaseWritesFailing": ("active", []),
        "ConsumerLagNotDraining": ("suppressed", ["DatabaseWritesFailing"]),
        "AlertsEvaluatorLagging": ("suppressed", ["DatabaseWritesFailing"]),
        "ServiceDown": ("active", []),
        "QueryDatabaseUnavailable": ("suppressed", ["ServiceDown"]),
    }

    # group_wait is 30 s: the three groups that are news are sent then, each in a notification of its own.
    wait_for(lambda: len(receiver.notifications) >= 3, 90, "three webhook notifications", last=receiver.alertnames)
    assert time.monotonic() - posted_at >= 25, "sent before group_wait: the config's grouping is not in effect"
    assert receiver.alertnames() == ["DatabaseWritesFailing", "IngestStalled", "ServiceDown"]
    for notification in receiver.notifications:
        assert notification["path"] == "/pipeline-alerts"
        assert notification["receiver"] == "ops-webhook"
        assert notification["status"] == "firing"
        assert len(notification["alerts"]) == 1
