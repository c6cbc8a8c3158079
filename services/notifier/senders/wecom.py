"""WeCom group robot: markdown within 4096 bytes; errcode 0 is taken."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifier import channels
from notifier.senders import Sending, post

if TYPE_CHECKING:
    from notifier.sender import Claim


async def send(notifier: Sending, claim: Claim, digest: channels.Digest) -> None:
    await post(notifier, channels.render_wecom(digest, claim.target), channels.robot_error)
