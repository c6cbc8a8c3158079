"""The ingest service: the door for upstream systems."""
