"""DingTalk group robot: markdown, signed (加签) when the subscription has a secret; errcode 0 is taken."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from notifier import channels
from notifier.senders import Sending, post

if TYPE_CHECKING:
    from notifier.sender import Claim


async def send(notifier: Sending, claim: Claim, digest: channels.Digest) -> None:
    request = channels.render_dingtalk(digest, claim.target, claim.secret, int(time.time() * 1000))
    await post(notifier, request, channels.robot_error)
