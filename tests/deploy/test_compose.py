"""docker-compose.yml is for production: there is no Docker engine here, so it is checked, not run.

Each check is something `docker compose up` would only reveal on a server: an unpinned image, a
variable that silently expands to nothing, a mounted file that is not in the repository, a
dependency that cannot become healthy, a scrape target or datasource that names no service.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic_settings import BaseSettings

from alerts.config import AlertsSettings
from ingest.config import IngestSettings
from notifier.config import NotifierSettings
from processor.config import ProcessorSettings
from query.config import QuerySettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
# The services built from deploy/services/Dockerfile: `python -m <module>`, its settings, and the
# settings of the address it serves /metrics and /readyz on.
PYTHON_SERVICES: dict[str, tuple[type[BaseSettings], str, str]] = {
    "ingest": (IngestSettings, "INDICATORS_INGEST_HOST", "INDICATORS_INGEST_PORT"),
    "processor": (ProcessorSettings, "INDICATORS_PROCESSOR_WEB_HOST", "INDICATORS_PROCESSOR_WEB_PORT"),
    "query": (QuerySettings, "INDICATORS_QUERY_HOST", "INDICATORS_QUERY_PORT"),
    "alerts": (AlertsSettings, "INDICATORS_ALERTS_WEB_HOST", "INDICATORS_ALERTS_WEB_PORT"),
    "notifier": (NotifierSettings, "INDICATORS_NOTIFIER_HOST", "INDICATORS_NOTIFIER_PORT"),
}

# Compose's own pattern (compose-go template.go): a default or message ends at the first '}'.
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[_a-zA-Z][_a-zA-Z0-9]*(?::?[-+?][^}]*)?)\}|(?P<named>[_a-zA-Z][_a-zA-Z0-9]*))"
)


def compose() -> dict:
    return yaml.safe_load(COMPOSE_TEXT)


def services() -> dict:
    return compose()["services"]


def variables() -> list[tuple[str, str, str]]:
    """Every ${...} of the file as (name, operator, default or message)."""
    found = []
    # Compose interpolates values, not comments.
    content = "\n".join(line for line in COMPOSE_TEXT.splitlines() if not line.lstrip().startswith("#"))
    for match in VARIABLE.finditer(content):
        if match["escaped"]:
            continue
        assert match["named"] is None, f"${match['named']} without braces: write ${{{match['named']}:?…}}"
        name, operator, rest = re.fullmatch(r"([_a-zA-Z0-9]+)(?:(:?[-+?])(.*))?", match["braced"]).groups()
        found.append((name, operator or "", rest or ""))
    return found


def env_example() -> dict[str, str]:
    entries = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            entries[name.strip()] = value
    return entries


def env_example_commented_out() -> set[str]:
    """Settings .env.example shows commented out (`# NAME=`): set only when uncommented."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def passed_through() -> set[str]:
    """Container variables declared without a value: compose passes them on from .env or the shell when set there."""
    return {
        key
        for service in services().values()
        for key, value in (service.get("environment") or {}).items()
        if value is None
    }


def bind_mounts(service: dict) -> list[tuple[str, str]]:
    """(host path, container path) of every bind mount: short syntax, starting with . or /."""
    mounts = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append((source, target))
    return mounts


def container_ports(service: dict) -> set[int]:
    """Ports the service's container declares: `expose`, and the container side of `ports`."""
    ports = {int(port) for port in service.get("expose", [])}
    ports |= {int(str(mapping).split(":")[-1]) for mapping in service.get("ports", [])}
    return ports


def host_port(address: str) -> tuple[str, int]:
    parts = urlsplit(address if "//" in address else f"//{address}")
    return parts.hostname, parts.port


def strings(node: object) -> list[str]:
    """Every string value in a parsed YAML document (what Grafana expands $VARIABLES in)."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def test_every_service_has_a_build_context_or_a_pinned_image():
    assert {
        "kafka",
        "timescaledb",
        "ingest",
        "processor",
        "query",
        "alerts",
        "notifier",
        "prometheus",
        "alertmanager",
        "grafana",
    } <= set(services())
    for name, service in services().items():
        if "build" in service:
            context = ROOT / service["build"]["context"]
            assert (context / service["build"]["dockerfile"]).exists(), name
        else:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: image {image} is not pinned"
    assert services()["grafana"]["image"].startswith("grafana/grafana:11.")
    assert services()["prometheus"]["image"].startswith("prom/prometheus:v")
    assert services()["alertmanager"]["image"].startswith("prom/alertmanager:v")
    # The Python services are one image, built from the repository, each with its own command.
    for name in PYTHON_SERVICES:
        service = services()[name]
        assert service["build"] == {"context": ".", "dockerfile": "deploy/services/Dockerfile"}, name
        assert service["image"] == services()["ingest"]["image"], name
        assert service["command"][:3] == ["python", "-m", name], name
        assert (ROOT / "services" / name / "__main__.py").is_file(), f"python -m {name}: no such module"


def test_no_secret_is_written_in_the_file():
    for name in (
        "POSTGRES_PASSWORD",
        "INDICATORS_ADMIN_KEY",
        "GRAFANA_ADMIN_PASSWORD",
        "GRAFANA_DB_PASSWORD",
        "ALERT_WEBHOOK_URL",
    ):
        assert f"${{{name}:?" in COMPOSE_TEXT, f"{name} must be required with ${{{name}:?…}}"
    for service in services().values():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "KEY", "SECRET")):
                # From .env: interpolated, or passed on as it is (no value here at all).
                assert value is None or str(value).startswith("${"), key
    assert "INDICATORS_NOTIFIER_SMTP_PASSWORD" in passed_through()
    # The webhook URL reaches Alertmanager as a secret file, in no container's environment.
    for name, service in services().items():
        assert "ALERT_WEBHOOK_URL" not in str(service.get("environment") or {}), name


def test_every_variable_is_required_or_has_a_default_and_is_documented_in_env_example():
    found = variables()
    assert found, "no ${VAR} found: the pattern is broken"
    documented = env_example()
    for name, operator, rest in found:
        assert operator in (":?", ":-"), f"${{{name}}}: write ${{{name}:?message}} (required) or ${{{name}:-default}}"
        # A '{' left in a default means compose ended it at an inner '}' (a JSON default).
        assert "{" not in rest, f"${{{name}{operator}{rest}}}: compose ends the default at the first '}}'"
        assert name in documented, f"{name} is used by docker-compose.yml but not listed in .env.example"
    # Passed-through variables are shown commented out: set, even empty, they would reach the container.
    commented_out = env_example_commented_out()
    for name in passed_through():
        assert name in commented_out, f"{name} is passed on from .env but .env.example does not show it (# {name}=)"
    # .env.example lists nothing compose does not read, and holds no value for a secret.
    assert set(documented) == {name for name, _, _ in found}
    assert not commented_out & set(documented)
    assert commented_out - passed_through() <= set(documented) | {name for name, _, _ in found}
    for name, value in documented.items():
        if any(word in name for word in ("PASSWORD", "KEY", "URL")) and name != "INDICATORS_API_KEYS":
            assert value == "", f".env.example: {name} must be empty (no secret in the repository)"


def test_every_mounted_local_path_exists_in_the_repository():
    for name, service in services().items():
        for source, target in bind_mounts(service):
            assert (ROOT / source).exists(), f"{name}: {source} (mounted at {target}) is not in the repository"
            if source.startswith("./deploy/timescaledb/init/"):
                assert (ROOT / source).stat().st_mode & 0o111, f"{source} must be executable (the entrypoint runs it)"


def test_grafana_sees_the_provisioning_and_the_boards():
    grafana = services()["grafana"]
    mounts = dict(bind_mounts(grafana))
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./dashboards"] == "/var/lib/grafana/dashboards"
    assert all(v.endswith(":ro") for v in grafana["volumes"] if v.startswith("./"))
    # The datasource provisioning expands $GRAFANA_DB_PASSWORD from Grafana's environment, and the
    # TimescaleDB init script creates grafana_reader with the same variable.
    datasources = (ROOT / "deploy/grafana/provisioning/datasources").glob("*.y*ml")
    for path in datasources:
        for variable in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", " ".join(strings(yaml.safe_load(path.read_text())))):
            assert variable in grafana["environment"], (
                f"{path.name} reads ${variable}, which Grafana's environment lacks"
            )
    assert (
        grafana["environment"]["GRAFANA_DB_PASSWORD"] == services()["timescaledb"]["environment"]["GRAFANA_DB_PASSWORD"]
    )
    # The home page is the 半年红 board, a file the dashboards mount really holds.
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == "/var/lib/grafana/dashboards/half-year-red-overview.json"
    assert (ROOT / "dashboards" / Path(home).name).is_file()


def test_services_wait_for_healthy_dependencies():
    all_services = services()
    kafka_and_database = {"kafka": {"condition": "service_healthy"}, "timescaledb": {"condition": "service_healthy"}}
    assert all_services["processor"]["depends_on"] == kafka_and_database
    # The evaluator reads the results topic and writes alerts; the notifier only needs the outbox.
    assert all_services["alerts"]["depends_on"] == kafka_and_database
    assert all_services["notifier"]["depends_on"] == {"timescaledb": {"condition": "service_healthy"}}
    for name, service in all_services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in all_services, f"{name} depends on {dependency}, which is not a service"
            assert condition == {"condition": "service_healthy"}, f"{name} → {dependency}: wait for service_healthy"
            assert "healthcheck" in all_services[dependency], f"{name} waits for {dependency}, which has no healthcheck"


def test_volumes_and_secrets_are_declared_and_used():
    document = compose()
    declared = set(document["volumes"])
    used = {v.split(":")[0] for s in services().values() for v in s.get("volumes", []) if not v.startswith((".", "/"))}
    assert used == declared
    secrets_used = {secret for s in services().values() for secret in s.get("secrets", [])}
    assert secrets_used == set(document["secrets"]) == {"alert_webhook_url"}
    assert document["secrets"]["alert_webhook_url"] == {"environment": "ALERT_WEBHOOK_URL"}
    # Alertmanager reads the secret where compose puts it.
    alertmanager = yaml.safe_load((ROOT / "deploy/alertmanager/alertmanager.yml").read_text())
    url_files = [c["url_file"] for r in alertmanager["receivers"] for c in r.get("webhook_configs", [])]
    assert url_files == ["/run/secrets/alert_webhook_url"]


def test_config_files_named_on_command_lines_are_mounted_from_the_repository():
    for name in ("prometheus", "alertmanager"):
        service = services()[name]
        (config,) = [arg.split("=", 1)[1] for arg in service["command"] if arg.startswith("--config.file=")]
        host = [
            ROOT / source / Path(config).relative_to(target)
            for source, target in bind_mounts(service)
            if Path(config).is_relative_to(target)
        ]
        assert host and host[0].is_file(), (
            f"{name}: {config} is not a file of the repository mounted into the container"
        )


def job_targets(job: dict) -> list[str]:
    """What a scrape job scrapes: its static targets, and host:port of each name it finds by DNS (the replicas)."""
    found = [target for static in job.get("static_configs", []) for target in static["targets"]]
    for lookup in job.get("dns_sd_configs", []):
        assert lookup["type"] == "A", f"{job['job_name']}: Docker's DNS answers A records"
        found += [f"{name}:{lookup['port']}" for name in lookup["names"]]
    return found


def test_every_address_names_a_service_and_a_port_it_declares():
    all_services = services()

    def check(address: str, where: str) -> None:
        host, port = host_port(address)
        assert host in all_services, f"{where}: {address} names no compose service"
        assert port in container_ports(all_services[host]), f"{where}: {host} does not declare port {port}"

    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    # Every service that serves /metrics is scraped.
    assert set(PYTHON_SERVICES) <= set(jobs)
    for job in jobs.values():
        for target in job_targets(job):
            check(target, f"prometheus.yml job {job['job_name']}")
    for alerting in prometheus["alerting"]["alertmanagers"]:
        for static in alerting["static_configs"]:
            for target in static["targets"]:
                check(target, "prometheus.yml alerting")
    # The services' own ports and the ones the other services and Grafana's datasources use.
    env = all_services["ingest"]["environment"]
    check(env["INDICATORS_KAFKA_BOOTSTRAP"], "INDICATORS_KAFKA_BOOTSTRAP")
    check(env["INDICATORS_DATABASE_URL"].replace("${", "").split("@")[-1], "INDICATORS_DATABASE_URL")
    for path in (ROOT / "deploy/grafana/provisioning/datasources").glob("*.y*ml"):
        for datasource in yaml.safe_load(path.read_text())["datasources"]:
            check(datasource["url"], f"datasource {datasource['uid']}")
    for name, (_, host_variable, port_variable) in PYTHON_SERVICES.items():
        environment = all_services[name]["environment"]
        port = environment[port_variable]
        assert port in container_ports(all_services[name]), f"{name} listens on {port} but does not declare it"
        assert f"{name}:{port}" in [target for job in jobs.values() for target in job_targets(job)]
        # Prometheus scrapes from another container: loopback only would be "down" for ever.
        assert environment[host_variable] == "0.0.0.0", f"{name} must listen on every interface"  # noqa: S104
        # The healthcheck asks the port the service listens on.
        assert f"http://127.0.0.1:{port}/readyz" in " ".join(all_services[name]["healthcheck"]["test"]), name


def test_every_indicators_variable_is_a_setting_of_its_service():
    """A misspelt INDICATORS_* name is silently ignored by the service: every one must be a setting it reads."""
    for name, (settings_class, _, _) in PYTHON_SERVICES.items():
        known = {f"INDICATORS_{field.upper()}" for field in settings_class.model_fields}
        for key in services()[name]["environment"]:
            if key.startswith("INDICATORS_"):
                assert key in known, f"{name}: {key} is not a setting of {settings_class.__name__}"


def test_the_subscription_api_writes_with_the_owner_role():
    """The query service reads with a read-only session, but /v1/subscriptions writes: its URL is the owner's."""
    query_url = services()["query"]["environment"]["INDICATORS_DATABASE_URL"]
    owner = services()["timescaledb"]["environment"]["POSTGRES_USER"]
    assert urlsplit(VARIABLE.sub("secret", query_url)).username == owner
    assert services()["query"]["environment"]["INDICATORS_ADMIN_KEY"].startswith("${INDICATORS_ADMIN_KEY:?")
    # Alerts and notifier record alerts and deliveries with the same role.
    for name in ("alerts", "notifier"):
        assert services()[name]["environment"]["INDICATORS_DATABASE_URL"] == query_url, name
    # The keys reach only the services that check them.
    with_keys = {
        name for name, service in services().items() if "INDICATORS_ADMIN_KEY" in (service.get("environment") or {})
    }
    assert with_keys == {"ingest", "query"}
