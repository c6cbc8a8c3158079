"""`python -m query`: serve the query API with uvicorn."""

import logging

import uvicorn

from indicators_core.collector import settle_started_objects
from query.config import QuerySettings
from query.main import create_app


def main() -> None:
    settings = QuerySettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    settle_started_objects()
    uvicorn.run(app, host=settings.query_host, port=settings.query_port, log_level="warning")


if __name__ == "__main__":
    main()
