"""docker-compose.yml is for production: there is no Docker engine here, so it is checked, not run."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_has_a_build_context_or_a_pinned_image():
    services = compose()["services"]
    assert {"kafka", "timescaledb", "ingest", "processor", "query"} <= set(services)
    for name, service in services.items():
        if "build" in service:
            context = ROOT / service["build"]["context"]
            assert (context / service["build"]["dockerfile"]).exists(), name
        else:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: image {image} is not pinned"


def test_no_secret_is_written_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text and "${INDICATORS_ADMIN_KEY:?" in text
    for service in compose()["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "KEY", "SECRET")):
                assert str(value).startswith("${"), key


def test_services_wait_for_healthy_dependencies():
    services = compose()["services"]
    assert services["processor"]["depends_on"] == {
        "kafka": {"condition": "service_healthy"}, "timescaledb": {"condition": "service_healthy"},
    }
    for name in ("kafka", "timescaledb", "ingest", "processor", "query"):
        assert "healthcheck" in services[name], name
