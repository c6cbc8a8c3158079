"""`python -m processor worker`: run the Faust worker."""

import logging

from indicators_core.topics import wait_for_topics
from processor.app import app, settings

log = logging.getLogger("processor")


def main() -> None:
    logging.basicConfig(level=settings.log_level)
    wait_for_topics(
        settings.kafka_bootstrap,
        [settings.topic_batches, settings.topic_reports, settings.topic_results],
        settings.topic_partitions,
        log,
    )
    app.main()


if __name__ == "__main__":
    main()
