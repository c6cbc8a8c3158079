"""Rows to post and progress items to wait for, for the tests that run the whole pipeline."""

from __future__ import annotations

import uuid

import httpx

from tests.support import Pipeline, wait_for


def zone(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def obs(zone_: str, indicator: str, period: str, value, unit: str = "亿元", **extra) -> dict:
    return {"zone": zone_, "indicator": indicator, "period": period, "value": value, "unit": unit, **extra}


def progress(pipeline: Pipeline, zone_: str, indicator: str, year: int, month: int, **params) -> dict | None:
    response = httpx.get(
        f"{pipeline.query_url}/v1/progress",
        params={"zone": zone_, "indicator": indicator, "year": year, "month": month, **params},
        timeout=10,
    )
    response.raise_for_status()
    items = response.json()["items"]
    return items[0] if items else None


def wait_progress(pipeline: Pipeline, zone_: str, indicator: str, year: int, month: int, until, **params) -> dict:
    """Poll the query API until the item satisfies `until` (the pipeline is asynchronous)."""
    return wait_for(
        lambda: (
            (item := progress(pipeline, zone_, indicator, year, month, **params)) is not None and until(item) and item
        ),
        timeout=60,
        what=f"progress of {zone_} {indicator} {year}-{month:02d}",
        last=lambda: progress(pipeline, zone_, indicator, year, month, **params),
    )
