"""What the alert tests do to a running pipeline: post cumulative (累计) series and targets, then wait until
the processor and the alert evaluator have taken in everything posted."""

from __future__ import annotations

from tests.support import Pipeline, caught_up, wait_for

RESULTS = "indicators.results"
ALERTS = "indicators.alerts"


def obs(zone: str, indicator: str, period: str, value: str | float) -> dict:
    return {"zone": zone, "indicator": indicator, "period": period, "value": value, "unit": "亿元"}


def ytd_series(zone: str, indicator: str, year: int, values: list[str | float]) -> list[dict]:
    """Cumulative (累计) reports for months 1..len(values) of `year`."""
    return [obs(zone, indicator, f"{year}-{month:02d}", value) for month, value in enumerate(values, start=1)]


def post(pipeline: Pipeline, rows: list[dict]) -> None:
    response = pipeline.post_observations(rows)
    assert response.status_code == 202, response.text


def put_target(pipeline: Pipeline, zone: str, indicator: str, year: int, value: float) -> None:
    response = pipeline.put_targets([{"zone": zone, "indicator": indicator, "year": year, "value": value}])
    assert response.status_code == 202, response.text


def settle(pipeline: Pipeline) -> None:
    """Wait until the processor and the alert evaluator have committed everything posted so far."""
    groups = {
        "indicators-processor": ["indicators.batches", "indicators.reports"],
        "indicators-alerts": [RESULTS],
    }
    # Twice in a row: the processor may publish results between the two groups' reads.
    wait_for(
        lambda: caught_up(pipeline.kafka_bootstrap, groups) and caught_up(pipeline.kafka_bootstrap, groups),
        timeout=120,
        what="the processor and the alert evaluator to commit every message",
    )
