"""E-mail: a UTF-8 plain-text message through the operator's SMTP server (INDICATORS_NOTIFIER_SMTP_*)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiosmtplib

from notifier import channels
from notifier.senders import Sending

if TYPE_CHECKING:
    from notifier.sender import Claim


async def send(notifier: Sending, claim: Claim, digest: channels.Digest) -> None:
    settings = notifier.settings
    message = channels.render_email(digest, settings.notifier_smtp_from, claim.target, datetime.now(UTC))
    password = settings.notifier_smtp_password
    await aiosmtplib.send(
        message,
        hostname=settings.notifier_smtp_host,
        port=settings.notifier_smtp_port,
        username=settings.notifier_smtp_user,
        password=password.get_secret_value() if password else None,
        start_tls=settings.notifier_smtp_starttls,
        use_tls=settings.notifier_smtp_ssl,
        timeout=settings.notifier_send_timeout_s,
    )
