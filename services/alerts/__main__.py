"""`python -m alerts worker`: run the alert evaluator (a Faust worker).

The topics are created first, as the processor does: a consumer subscribed to
a topic that does not exist yet would only notice it minutes later.
"""

import logging
import time

from kafka.errors import KafkaError

from alerts.app import app, settings
from indicators_core.topics import ensure_topics

log = logging.getLogger("alerts")


def wait_for_topics(deadline_s: float = 300.0) -> None:
    topics = [settings.topic_results, settings.topic_alerts]
    started = time.monotonic()
    while True:
        try:
            ensure_topics(settings.kafka_bootstrap, topics, settings.topic_partitions, timeout_s=10)
            return
        except (KafkaError, OSError) as error:
            if time.monotonic() - started > deadline_s:
                raise SystemExit(
                    f"Kafka at {settings.kafka_bootstrap} unreachable for {deadline_s:.0f} s: {error}"
                ) from error
            log.warning("waiting for Kafka at %s (%s)", settings.kafka_bootstrap, error)
            time.sleep(2)


def main() -> None:
    logging.basicConfig(level=settings.log_level)
    wait_for_topics()
    app.main()


if __name__ == "__main__":
    main()
