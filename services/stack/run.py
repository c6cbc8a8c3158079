"""The local stack: `make run` starts everything on one machine, without Docker.

Order, each step waiting for the previous one to be ready: PostgreSQL (our own
cluster in the data folder), Kafka (KRaft, jars from Maven Central), then the
services. Once all are ready, stack/supervise.py keeps them alive: one that dies
is restarted with back-off (same data dir, same port) and the console says so.
Ctrl-C stops them in reverse order; a second run keeps the data (and the
generated admin key).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from stack.inbox import AlertInbox, inbox_secret, subscribe_inbox
from stack.kafka import KafkaBroker, default_jars_dir
from stack.keys import kept_secret
from stack.logs import log_tail
from stack.ports import ensure_port_free
from stack.postgres import PostgresServer
from stack.supervise import Child, Supervisor, process_child, wait_until_set


class StackSettings(BaseSettings):
    """Where the local stack keeps its data and which loopback ports it uses (all overridable)."""

    model_config = SettingsConfigDict(env_prefix="INDICATORS_", extra="ignore")

    data_dir: Path = Path(".data")
    admin_key: SecretStr | None = None
    ingest_host: str = "127.0.0.1"
    ingest_port: int = 8000
    query_host: str = "127.0.0.1"
    query_port: int = 8001
    processor_web_port: int = 8002
    notifier_port: int = 8003
    alerts_web_port: int = 8004
    # The alert inbox (stack/inbox.py): a loopback webhook subscriber that prints every alert here.
    inbox_port: int = 8005
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    postgres_port: int = 15432
    database_name: str = "indicators"
    ready_timeout_s: float = 180.0


class ServiceError(RuntimeError):
    pass


class ServiceProcess:
    """One of our services as a child process, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], ready_url: str, log_path: Path):
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.ready_url = ready_url
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Own session: Ctrl-C in the terminal reaches the supervisor only,
            # which then stops the children in order.
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise ServiceError(f"{self.name} exited ({code}) before it was ready; its log:\n{self.log_tail()}")
            try:
                response = httpx.get(self.ready_url, timeout=2)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                last = str(error)
            time.sleep(0.3)
        raise ServiceError(
            f"{self.name} not ready at {self.ready_url} after {timeout:.0f} s ({last}); its log:\n{self.log_tail()}"
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def service_processes(
    env: Mapping[str, str],
    log_dir: Path,
    ingest_port: int,
    query_port: int,
    processor_port: int,
    ingest_host: str = "127.0.0.1",
    query_host: str = "127.0.0.1",
    alerts_port: int | None = None,
    notifier_port: int | None = None,
) -> dict[str, ServiceProcess]:
    """The services, configured through INDICATORS_* variables in `env`.

    The alert evaluator and the notifier are included when given a port (the
    benchmark measures the pipeline without them).
    """
    python = sys.executable
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    services = {
        "ingest": ServiceProcess(
            "ingest",
            [python, "-m", "ingest"],
            {**full_env, "INDICATORS_INGEST_HOST": ingest_host, "INDICATORS_INGEST_PORT": str(ingest_port)},
            f"http://{ingest_host}:{ingest_port}/readyz",
            log_dir / "ingest.log",
        ),
        "processor": ServiceProcess(
            "processor",
            [python, "-m", "processor", "worker", "--loglevel", "warn"],
            {**full_env, "INDICATORS_PROCESSOR_WEB_PORT": str(processor_port)},
            f"http://127.0.0.1:{processor_port}/readyz",
            log_dir / "processor.log",
        ),
        "query": ServiceProcess(
            "query",
            [python, "-m", "query"],
            {**full_env, "INDICATORS_QUERY_HOST": query_host, "INDICATORS_QUERY_PORT": str(query_port)},
            f"http://{query_host}:{query_port}/readyz",
            log_dir / "query.log",
        ),
    }
    if alerts_port is not None:
        services["alerts"] = ServiceProcess(
            "alerts",
            [python, "-m", "alerts", "worker", "--loglevel", "warn"],
            {**full_env, "INDICATORS_ALERTS_WEB_HOST": "127.0.0.1", "INDICATORS_ALERTS_WEB_PORT": str(alerts_port)},
            f"http://127.0.0.1:{alerts_port}/readyz",
            log_dir / "alerts.log",
        )
    if notifier_port is not None:
        services["notifier"] = ServiceProcess(
            "notifier",
            [python, "-m", "notifier"],
            {**full_env, "INDICATORS_NOTIFIER_HOST": "127.0.0.1", "INDICATORS_NOTIFIER_PORT": str(notifier_port)},
            f"http://127.0.0.1:{notifier_port}/readyz",
            log_dir / "notifier.log",
        )
    return services


def admin_key_for(settings: StackSettings) -> str:
    """The configured key, or one generated on the first run and kept in the data folder."""
    if settings.admin_key is not None:
        return settings.admin_key.get_secret_value()
    return kept_secret(settings.data_dir / "admin-key")


class LocalStack:
    def __init__(self, settings: StackSettings):
        self.settings = settings
        data = settings.data_dir.resolve()
        self.data_dir = data
        self.postgres = PostgresServer(data / "postgres", port=settings.postgres_port)
        self.kafka = KafkaBroker(
            data / "kafka",
            port=settings.kafka_port,
            controller_port=settings.kafka_controller_port,
            jars_dir=default_jars_dir(),
        )
        self.services: dict[str, ServiceProcess] = {}
        self.inbox: AlertInbox | None = None
        self.admin_key = admin_key_for(settings)
        self.supervisor = Supervisor(data / "pids", settings.ready_timeout_s, say)

    def start(self) -> None:
        ensure_port_free(self.settings.inbox_port, "the alert inbox", "INDICATORS_INBOX_PORT")
        say(f"PostgreSQL on 127.0.0.1:{self.settings.postgres_port} (data in {self.data_dir / 'postgres'}) …")
        self.postgres.start()
        database_url = self.postgres.create_database(self.settings.database_name)
        say(f"Kafka on {self.kafka.bootstrap} (KRaft; data in {self.data_dir / 'kafka'}) …")
        self.kafka.start()
        env = {
            "INDICATORS_KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "INDICATORS_DATABASE_URL": database_url,
            "INDICATORS_ADMIN_KEY": self.admin_key,
            "INDICATORS_PROCESSOR_DATA_DIR": str(self.data_dir / "faust"),
            "INDICATORS_ALERTS_DATA_DIR": str(self.data_dir / "faust-alerts"),
            # The SSRF guard lets exactly 127.0.0.1 through: the stack's own inbox and receivers on this machine.
            "INDICATORS_NOTIFY_ALLOW_NETWORKS": "127.0.0.1/32",
        }
        self.services = service_processes(
            env,
            self.data_dir / "logs",
            self.settings.ingest_port,
            self.settings.query_port,
            self.settings.processor_web_port,
            self.settings.ingest_host,
            self.settings.query_host,
            alerts_port=self.settings.alerts_web_port,
            notifier_port=self.settings.notifier_port,
        )
        for service in self.services.values():
            say(f"{service.name} … (log: {service.log_path})")
            service.start()
        for service in self.services.values():
            service.wait_ready(self.settings.ready_timeout_s)
        inbox = self._start_inbox()
        query_url = f"http://{self.settings.query_host}:{self.settings.query_port}"
        subscribe_inbox(query_url, self.admin_key, inbox.url, inbox.secret)
        self.supervisor.watch(self.children())

    def _start_inbox(self) -> AlertInbox:
        # A new server each time: a stopped one cannot serve again. Same port and secret, so the
        # subscription stays right.
        self.inbox = AlertInbox("127.0.0.1", self.settings.inbox_port, inbox_secret(self.data_dir), inbox_say)
        self.inbox.start()
        return self.inbox

    def _inbox_ready(self, timeout: float) -> None:
        with socket.create_connection(("127.0.0.1", self.settings.inbox_port), timeout=timeout):
            pass

    def _stop_inbox(self) -> None:
        if self.inbox is not None and self.inbox.thread.is_alive():
            self.inbox.stop()

    def children(self) -> list[Child]:
        """Everything this stack started, in start order, as the supervisor drives it."""
        children = [
            process_child(
                "postgres",
                self.postgres,
                self.postgres.launch,
                self.postgres.wait_ready,
                self.postgres.stop,
                self.postgres.log_path,
            ),
            process_child(
                "kafka", self.kafka, self.kafka.launch, self.kafka.wait_ready, self.kafka.stop, self.kafka.log_path
            ),
        ]
        children += [
            process_child(service.name, service, service.start, service.wait_ready, service.stop, service.log_path)
            for service in self.services.values()
        ]
        children.append(
            Child(
                "inbox",
                self._start_inbox,
                self._inbox_ready,
                self._stop_inbox,
                lambda: None if self.inbox is not None and self.inbox.thread.is_alive() else "stopped serving",
                lambda: None,
            )
        )
        return children

    def stop(self) -> None:
        # Keepers first: nothing is restarted while (or after) it is stopped on purpose.
        self.supervisor.halt()
        self._stop_inbox()
        for service in reversed(list(self.services.values())):
            service.stop()
        self.kafka.stop()
        self.postgres.stop()
        self.supervisor.join()

    def urls(self) -> str:
        s = self.settings
        return (
            f"ready: ingest http://{s.ingest_host}:{s.ingest_port}  query http://{s.query_host}:{s.query_port}"
            f"  processor http://127.0.0.1:{s.processor_web_port}/metrics  alerts http://127.0.0.1:{s.alerts_web_port}/metrics"
            f"  notifier http://127.0.0.1:{s.notifier_port}/metrics  admin key {self.admin_key}\n"
            f"board (半年红): http://{s.query_host}:{s.query_port}/board\n"
            f"alert inbox: {self.inbox.url if self.inbox else '-'} (subscribed to every alert; deliveries print here as [inbox])\n"
            f"supervised (a crashed one is restarted): {self.supervisor.pids()} (pid files in {self.data_dir / 'pids'})"
        )


def say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def inbox_say(message: str) -> None:
    print(f"[inbox] {message}", flush=True)


def main() -> int:
    settings = StackSettings()
    local = LocalStack(settings)
    stop = threading.Event()
    started = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        if not started.is_set():
            # Still starting: interrupt the start-up wait, then stop what did start.
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    code = 0
    try:
        local.start()
        started.set()
        print(local.urls(), flush=True)
        # The keepers restart what crashes; this thread only waits for Ctrl-C (or SIGTERM).
        wait_until_set(stop)
    except KeyboardInterrupt:
        say("interrupted while starting")
    except Exception as error:
        say(f"failed: {error}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("stopping …")
        local.stop()
        say("stopped; data kept in " + str(local.data_dir))
    return code
