"""The query service: progress against goals, read by boards (Grafana) and people."""
