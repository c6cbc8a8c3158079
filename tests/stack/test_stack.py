"""The local stack's own processes: data survives a restart; a taken port is refused clearly."""

from __future__ import annotations

import socket

import psycopg
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from stack.kafka import KafkaBroker, default_jars_dir
from stack.ports import PortInUse, free_port
from stack.postgres import PostgresServer

pytestmark = pytest.mark.integration


def test_postgres_keeps_its_data_across_a_restart(tmp_path):
    server = PostgresServer(tmp_path / "pg")
    server.start()
    try:
        url = server.create_database("keep")
        assert server.create_database("keep") == url  # idempotent
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE figures (value numeric)")
            conn.execute("INSERT INTO figures VALUES (75.02)")
    finally:
        server.stop()
    again = PostgresServer(tmp_path / "pg", port=free_port())
    again.start()
    try:
        with psycopg.connect(again.url("keep")) as conn:
            assert conn.execute("SELECT value::text FROM figures").fetchone() == ("75.02",)
    finally:
        again.stop()


def test_kafka_keeps_messages_across_a_restart_on_other_ports(tmp_path):
    broker = KafkaBroker(tmp_path / "kafka", jars_dir=default_jars_dir())
    broker.start()
    try:
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        producer.send("durable", key="A区|export".encode(), value=b"12.5").get(timeout=30)
        producer.close()
    finally:
        broker.stop()
    again = KafkaBroker(tmp_path / "kafka", jars_dir=default_jars_dir())
    assert again.port != broker.port
    again.start()
    try:
        consumer = KafkaConsumer(bootstrap_servers=again.bootstrap, consumer_timeout_ms=20000)
        partition = TopicPartition("durable", 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        message = next(iter(consumer))
        consumer.close()
        assert (message.key, message.value) == ("A区|export".encode(), b"12.5")
    finally:
        again.stop()


def test_a_port_in_use_is_refused_by_name(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(PortInUse, match=f"127.0.0.1:{taken} is already in use, so PostgreSQL cannot listen there"):
            PostgresServer(tmp_path / "pg", port=taken).start()
        with pytest.raises(PortInUse, match="INDICATORS_KAFKA_PORT"):
            KafkaBroker(tmp_path / "kafka", port=taken, jars_dir=default_jars_dir()).start()
