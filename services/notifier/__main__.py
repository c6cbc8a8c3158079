"""`python -m notifier`: send the outbox's deliveries; /metrics, /healthz, /readyz on INDICATORS_NOTIFIER_PORT."""

import logging

import uvicorn

from notifier.config import NotifierSettings
from notifier.main import create_app


def main() -> None:
    settings = NotifierSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request with its full URL, and robot URLs carry access tokens and signatures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(create_app(settings), host=settings.notifier_host, port=settings.notifier_port, log_level="warning")


if __name__ == "__main__":
    main()
