"""The notifier: sends the outbox's deliveries (alert digests, test messages) to subscribers' channels."""
