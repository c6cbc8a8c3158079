"""`python -m processor worker`: run the Faust worker."""

import logging

from indicators_core.collector import settle_started_objects
from indicators_core.dead_letters import dead_letter_topic
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
    # One partition: an offset alone names a dead letter (python -m processor.dead_letters show OFFSET).
    wait_for_topics(settings.kafka_bootstrap, [dead_letter_topic(settings.topic_reports)], 1, log)
    settle_started_objects()
    app.main()


if __name__ == "__main__":
    main()
