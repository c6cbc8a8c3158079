"""Prometheus metrics of the query service."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "indicators_query_requests_total", "HTTP requests by route template, method and status", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "indicators_query_request_seconds", "HTTP request duration by route template and status", ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_SECONDS = Histogram(
    "indicators_query_db_seconds", "Duration of one database query (execute and fetch)", ["query"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_ERRORS = Counter("indicators_query_db_errors_total", "Requests answered 503 because the database was unavailable")
