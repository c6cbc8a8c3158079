"""Alerts for subscribers: rules on the computed results, their lifecycle, and delivery through an outbox."""
