"""Receivers on loopback for what the notifier sends: small threaded HTTP servers that answer from a script
and record what they got."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "hang"  # an answer that never comes (until the test ends)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    answered: int | None = None  # the status sent back; None when it hung

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A loopback HTTP server answering POSTs from a script (the last answer repeats)."""

    answers: Sequence[tuple[int, bytes] | str]
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with lock:
                    receiver.received.append(record)
                    answer = receiver.answers[min(len(receiver.received), len(receiver.answers)) - 1]
                if answer == HANG:
                    receiver.release.wait(120)
                    return
                status, payload = answer if not callable(answer) else answer(record)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    record.answered = status
                except OSError:
                    pass  # the sender is gone (killed, or timed out)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.answered is not None and 200 <= r.answered < 300]


@contextmanager
def receivers(*scripts: Sequence[Any]) -> Iterator[list[Receiver]]:
    started = [Receiver(list(script)) for script in scripts]
    try:
        yield started
    finally:
        for receiver in started:
            receiver.close()


OK = (200, b'{"ok":true}')
