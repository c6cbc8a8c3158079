"""The local stack: real Kafka and PostgreSQL as child processes, and the supervisor behind `make run`."""
