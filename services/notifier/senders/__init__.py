"""One module per channel (indicators_core.vocabulary.CHANNELS names it): how a digest is sent there.

Each module exposes `async def send(notifier, claim, digest) -> None`, which returns when the
channel took the message and raises `SendFailed` (or a transport error) when it did not. What the
message says is `notifier.channels` (pure functions); here is only the I/O.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

import httpx

from indicators_core.netguard import check_target
from indicators_core.vocabulary import CHANNELS

if TYPE_CHECKING:
    from notifier.channels import Digest, HttpMessage
    from notifier.config import NotifierSettings
    from notifier.sender import Claim


class SendFailed(Exception):
    """The channel did not take the message; the reason is recorded as `last_error`."""


class Sending(Protocol):
    """What a sender may use of the notifier."""

    settings: NotifierSettings
    http: httpx.AsyncClient


Send = Callable[["Sending", "Claim", "Digest"], Awaitable[None]]


def load_senders() -> dict[str, Send]:
    """Every channel's `send`, by code; a channel without its module stops the notifier at start."""
    found: dict[str, Send] = {}
    for channel in CHANNELS:
        module: ModuleType = importlib.import_module(channel.sender)
        found[channel.code] = module.send
    return found


async def post(notifier: Sending, request: HttpMessage, judge: Callable[[int, bytes], str | None]) -> None:
    """POST an HTTP message through the SSRF guard; `judge` says why the answer is a failure, or None."""
    # A row stored before the guard (or written past the API) may not even be http(s); the address itself
    # is checked where the connection is made (notifier.guarded_http), at every connection.
    check_target(request.url, notifier.settings.notify_allow_networks)
    response = await notifier.http.post(request.url, content=request.body, headers=request.headers)
    problem = judge(response.status_code, response.content)
    if problem is not None:
        raise SendFailed(problem)
