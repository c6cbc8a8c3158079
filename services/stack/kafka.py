"""Apache Kafka 3.9.1 in KRaft single-node mode: jars from Maven Central (mvn), run with java."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from stack.logs import log_tail
from stack.ports import ensure_port_free, free_port

KAFKA_VERSION = "3.9.1"
REPO_ROOT = Path(__file__).resolve().parents[2]

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.indicators</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
"""

LOG4J = """log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
"""


class KafkaStartError(RuntimeError):
    """The broker could not be prepared or started; the message says why."""


def default_jars_dir() -> Path:
    return Path(os.environ.get("INDICATORS_CACHE_DIR", REPO_ROOT / ".cache")) / f"kafka-{KAFKA_VERSION}"


def ensure_kafka_jars(jars_dir: Path | None = None) -> Path:
    """Resolve the broker's jars from Maven Central into `jars_dir` once; later calls reuse them."""
    jars_dir = jars_dir or default_jars_dir()
    libs = jars_dir / "libs"
    marker = jars_dir / ".complete"
    if marker.exists():
        return libs
    for tool in ("mvn", "java"):
        if shutil.which(tool) is None:
            raise KafkaStartError(
                f"'{tool}' is not installed: run `make setup` (or apt-get install -y maven default-jdk-headless)"
            )
    jars_dir.mkdir(parents=True, exist_ok=True)
    (jars_dir / "pom.xml").write_text(POM)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(jars_dir / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        raise KafkaStartError(
            f"mvn could not resolve Kafka {KAFKA_VERSION}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    marker.write_text(KAFKA_VERSION)
    return libs


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64. Like Kafka's own, never starting with '-'
    (the storage tool would read it as an option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


# The local broker shares a small machine with the whole pipeline (make run, the tests, make bench on 2 cores).
# There the JVM's optimising compiler (C2) was 40% of the broker's CPU through a 45-second burst, still compiling
# at its end, and G1's concurrent threads another 10% (CPU per thread from /proc). The first tier's compiler only
# (C1) and the serial collector (a 512 MB heap): the broker's CPU per observation in the burst 41 → 14 µs, and its
# own ceiling (produce + consume, no work) no lower: 86,404 → 100,413 obs/s (docs/benchmark.md). A production
# broker (the apache/kafka image of docker-compose.yml) keeps its own JVM settings.
SMALL_MACHINE_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class KafkaBroker:
    """One KRaft broker+controller on loopback, its data in `data_dir` (kept across restarts)."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        jars_dir: Path | None = None,
        heap: str = "512m",
        jvm_options: Sequence[str] = SMALL_MACHINE_JVM,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.jars_dir = jars_dir or default_jars_dir()
        self.heap = heap
        self.jvm_options = tuple(jvm_options)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "broker.log"

    def _java(self, libs: Path, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            *self.jvm_options,
            "-cp",
            f"{libs}/*",
            f"-Dlog4j.configuration=file:{self.data_dir / 'log4j.properties'}",
            *args,
        ]

    def _write_config(self) -> Path:
        logs = self.data_dir / "logs"
        config = self.data_dir / "server.properties"
        # Rewritten at every start: the ports may change, the formatted log dir is kept.
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={logs}",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "num.partitions=1",
                    "auto.create.topics.enable=true",
                    "group.initial.rebalance.delay.ms=0",
                    # A batch of 5000 rows is one message: allow up to 8 MiB.
                    "message.max.bytes=8388608",
                    "replica.fetch.max.bytes=8388608",
                    "",
                ]
            )
        )
        (self.data_dir / "log4j.properties").write_text(LOG4J)
        return config

    def start(self, timeout: float = 90) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the broker (formatting its log dir on the first start); `wait_ready` waits for it."""
        ensure_port_free(self.port, "Kafka", "INDICATORS_KAFKA_PORT")
        ensure_port_free(self.controller_port, "the Kafka controller", "INDICATORS_KAFKA_CONTROLLER_PORT")
        libs = ensure_kafka_jars(self.jars_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            result = subprocess.run(
                self._java(libs, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(config)),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise KafkaStartError(
                    f"formatting {self.data_dir / 'logs'} failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}"
                )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self._java(libs, "kafka.Kafka", str(config)),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the broker answers a metadata request; KafkaStartError when it exits or stays silent."""
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise KafkaStartError(f"Kafka exited ({self.process.returncode}); its log:\n{log_tail(self.log_path)}")
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap, request_timeout_ms=5000, bootstrap_timeout_ms=5000
                )
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except (KafkaError, OSError) as error:
                last_error = str(error)
                time.sleep(0.5)
        self.stop()
        raise KafkaStartError(
            f"Kafka not ready on {self.bootstrap} after {timeout:.0f} s ({last_error}); its log:\n{log_tail(self.log_path)}"
        )

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown, the data dir kept; `start` brings it back on the same ports."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
