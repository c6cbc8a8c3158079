"""Webhook: our signed JSON (notifier.channels.render_webhook); any 2xx is taken."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from notifier import channels
from notifier.senders import Sending, post

if TYPE_CHECKING:
    from notifier.sender import Claim


async def send(notifier: Sending, claim: Claim, digest: channels.Digest) -> None:
    request = channels.render_webhook(digest, claim.target, claim.secret or "", int(time.time()))
    await post(notifier, request, channels.webhook_error)
