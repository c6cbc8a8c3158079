"""`python -m ingest`: serve the ingest API with uvicorn."""

import logging

import uvicorn

from indicators_core.collector import settle_started_objects
from ingest.config import IngestSettings
from ingest.main import create_app


def main() -> None:
    settings = IngestSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    settle_started_objects()
    uvicorn.run(app, host=settings.ingest_host, port=settings.ingest_port, log_level="warning")


if __name__ == "__main__":
    main()
