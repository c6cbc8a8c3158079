"""The local stack's alert inbox: a webhook subscriber on loopback that prints what it is sent.

`make run` has no DingTalk group or mail server to show alerts in, so the stack subscribes this
inbox to every alert (subscription 「本机预警收件箱」) and prints each delivery in its own log:
after `make sample` the console shows the lagging zones as a subscriber receives them. It checks
each request the way any receiver should (docs/api.md, "Verifying a webhook"): a delivery whose
signature does not match is refused with 401 and said so, which the notifier then retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from stack.keys import kept_secret

INBOX_NAME = "本机预警收件箱"
INBOX_PATH = "/alerts"
# A signed request older than this is refused: a captured request cannot be replayed later.
MAX_AGE_S = 300


def webhook_problem(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> str | None:
    """Why this webhook request is not from the notifier, or None when it is.

    The notifier signs "{timestamp}.{body}" with HMAC-SHA256 keyed by the subscription's secret and
    sends `X-Indicators-Timestamp: <unix seconds>` and `X-Indicators-Signature: sha256=<hex>`.
    """
    if not timestamp or not timestamp.isdigit():
        return "no X-Indicators-Timestamp (Unix seconds)"
    if abs(now - int(timestamp)) > MAX_AGE_S:
        return f"timestamp {timestamp} is more than {MAX_AGE_S} s from now"
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(signature, expected):
        return "X-Indicators-Signature does not match the body"
    return None


def delivery_lines(payload: dict[str, Any]) -> list[str]:
    """How the inbox prints one delivery: its title, then each alert with its figures in words."""
    lines = [f"投递#{payload.get('delivery_id')}（签名有效）：{payload.get('title')}"]
    for event in payload.get("events", []):
        lines.append(f"  {event.get('heading')}：{event.get('message')}")
    return lines


class AlertInbox:
    """A threaded HTTP server on loopback; `say` prints a line to the stack's console."""

    def __init__(self, host: str, port: int, secret: str, say: Callable[[str], None]):
        self.secret = secret
        self.say = say
        self.received: list[dict[str, Any]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != INBOX_PATH:
                    self.send_response(404)
                    self.end_headers()
                    return
                problem = webhook_problem(
                    inbox.secret,
                    self.headers.get("X-Indicators-Timestamp"),
                    self.headers.get("X-Indicators-Signature"),
                    body,
                    time.time(),
                )
                if problem is None:
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        problem = "the body is not JSON"
                if problem is not None:
                    inbox.say(f"refused a delivery: {problem}")
                    self.send_response(401)
                    self.end_headers()
                    return
                inbox.received.append(payload)
                for line in delivery_lines(payload):
                    inbox.say(line)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- the base class's name
                pass  # the deliveries are printed above; the access log would only repeat them

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="alert-inbox", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host  # socketserver types it as str | bytes
        return f"http://{host}:{port}{INBOX_PATH}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def inbox_secret(data_dir: Path) -> str:
    """The inbox's signing secret: made on the first run and kept with the data (the subscription is kept too)."""
    return kept_secret(data_dir / "inbox-secret", nbytes=32)


def subscribe_inbox(query_url: str, admin_key: str, target: str, secret: str) -> str:
    """Subscribe the inbox to every alert through the subscription API; its id. Idempotent across restarts."""
    subscription = {
        "name": INBOX_NAME,
        "channel": "webhook",
        "target": target,
        "secret": secret,
        "min_severity": "info",
    }
    with httpx.Client(base_url=query_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30) as api:
        listed = api.get("/v1/subscriptions")
        listed.raise_for_status()
        existing = [item for item in listed.json()["items"] if item["name"] == INBOX_NAME]
        if existing:
            # Replaced, not kept: the port may have changed since the last run.
            replaced = api.put(f"/v1/subscriptions/{existing[0]['id']}", json=subscription)
            replaced.raise_for_status()
            return str(existing[0]["id"])
        created = api.post("/v1/subscriptions", json=subscription)
        created.raise_for_status()
        return str(created.json()["id"])
