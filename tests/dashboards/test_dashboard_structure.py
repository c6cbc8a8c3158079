"""Every board in dashboards/ (whoever wrote it) is one Grafana can provision and render.

Checked without Grafana or a database: the JSON parses; uid and version are pinned and uids are
unique; panel ids are unique, nested rows included; every datasource a board names is one that
deploy/grafana/provisioning provisions (by uid); every `$var` a query, title or link uses is
defined; every SQL query expands (known macros only) the way Grafana expands it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.dashboards.grafana_sql import (
    ALL,
    VARIABLE_RE,
    dashboard_queries,
    iter_panels,
    render_sql,
    variable_queries,
    variable_specs,
)

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
OURS = {"half-year-red-overview.json", "rankings.json", "zone-detail.json"}
UID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")  # Grafana's rule for uids
# Grafana's own datasource (annotations & alerts) exists without provisioning.
BUILTIN_DATASOURCES = {"-- Grafana --", "grafana", "-- Mixed --", "-- Dashboard --"}


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((PROVISIONING / "datasources" / "datasources.yml").read_text(encoding="utf-8"))
    return {source["uid"]: source for source in config["datasources"]}


def board(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def ids(paths: list[Path]) -> list[str]:
    return [path.name for path in paths]


def strings_in(value: Any, keys: set[str]) -> list[str]:
    """Every string stored under one of `keys`, anywhere in `value`."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in keys and isinstance(item, str):
                found.append(item)
            else:
                found.extend(strings_in(item, keys))
    elif isinstance(value, list):
        for item in value:
            found.extend(strings_in(item, keys))
    return found


def referenced_variables(text: str) -> set[str]:
    names = set()
    for match in VARIABLE_RE.finditer(text):
        name = match.group(1) or match.group(2) or match.group(4)
        # Grafana's built-ins ($__from, $__interval, ${__value.raw}, macros) and regex back-references ($1).
        if not name.startswith("__") and not name.isdigit():
            names.add(name)
    return names


def test_our_boards_and_the_provisioning_are_there():
    assert OURS <= {path.name for path in DASHBOARDS}
    sources = provisioned_datasources()
    db = sources["indicators-db"]
    assert db["type"] == "grafana-postgresql-datasource"
    assert db["url"] == "timescaledb:5432"
    assert db["user"] == "grafana_reader"
    assert db["jsonData"]["database"] == "indicators"
    assert db["jsonData"]["sslmode"] == "disable"
    assert db["jsonData"]["postgresVersion"] == 1500
    # grafana_sql.render_sql expands $__timeGroup as for TimescaleDB by default: the two must agree.
    assert db["jsonData"]["timescaledb"] is True
    # The password comes from the environment, never from the file.
    assert db["secureJsonData"]["password"] == "$GRAFANA_DB_PASSWORD"
    assert sources["prometheus"]["type"] == "prometheus"
    assert sources["prometheus"]["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "dashboards.yml").read_text(encoding="utf-8"))
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_uids_are_unique_across_boards():
    uids = [board(path)["uid"] for path in DASHBOARDS]
    assert len(uids) == len(set(uids)), uids


@pytest.mark.parametrize("path", DASHBOARDS, ids=ids(DASHBOARDS))
def test_board_is_pinned_and_in_the_current_panels_schema(path: Path):
    dashboard = board(path)
    assert isinstance(dashboard.get("uid"), str) and UID_RE.match(dashboard["uid"]), dashboard.get("uid")
    assert isinstance(dashboard.get("version"), int) and dashboard["version"] >= 1
    assert dashboard.get("title")
    assert isinstance(dashboard.get("schemaVersion"), int) and dashboard["schemaVersion"] >= 36
    assert "rows" not in dashboard, "the pre-5 'rows' schema: use 'panels' with row panels"
    assert isinstance(dashboard.get("panels"), list) and dashboard["panels"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=ids(DASHBOARDS))
def test_panel_ids_are_unique_nested_rows_included(path: Path):
    panels = iter_panels(board(path)["panels"])
    panel_ids = [panel.get("id") for panel in panels]
    assert all(isinstance(panel_id, int) for panel_id in panel_ids), panel_ids
    duplicates = sorted({panel_id for panel_id in panel_ids if panel_ids.count(panel_id) > 1})
    assert not duplicates, f"{path.name}: panel ids used twice: {duplicates}"
    for panel in panels:
        grid = panel.get("gridPos", {})
        assert {"h", "w", "x", "y"} <= grid.keys(), f"{path.name}: panel {panel['id']} has no gridPos"
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, (
            f"{path.name}: panel {panel['id']} is wider than the grid"
        )


@pytest.mark.parametrize("path", DASHBOARDS, ids=ids(DASHBOARDS))
def test_every_datasource_is_a_provisioned_uid(path: Path):
    dashboard = board(path)
    sources = provisioned_datasources()
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    references = []
    for panel in iter_panels(dashboard["panels"]):
        if panel.get("type") in ("row", "text") and "datasource" not in panel:
            continue
        references.append((f"panel {panel['id']}", panel.get("datasource")))
        references.extend(
            (f"panel {panel['id']} target {t.get('refId')}", t.get("datasource")) for t in panel.get("targets", [])
        )
    for variable in variables.values():
        if variable.get("type") == "query":
            references.append((f"variable {variable['name']}", variable.get("datasource")))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        references.append((f"annotation {annotation.get('name')}", annotation.get("datasource")))
    for where, reference in references:
        if reference is None:
            # A panel's target without its own datasource uses the panel's; a panel without one would use
            # the default datasource, which a board must not rely on.
            assert "target" in where, f"{path.name}: {where} names no datasource"
            continue
        assert isinstance(reference, dict), (
            f"{path.name}: {where}: datasource by name ({reference!r}); use {{type, uid}}"
        )
        uid = reference.get("uid")
        if uid in BUILTIN_DATASOURCES:
            continue
        template = re.fullmatch(r"\$\{?(\w+)\}?", uid or "")
        if template:  # a datasource variable: its plugin type must be one that is provisioned
            variable = variables.get(template.group(1))
            assert variable and variable.get("type") == "datasource", (
                f"{path.name}: {where}: {uid} is not a datasource variable"
            )
            assert variable.get("query") in {s["type"] for s in sources.values()}, (
                f"{path.name}: {where}: no such datasource type"
            )
            continue
        assert uid in sources, f"{path.name}: {where}: datasource uid {uid!r} is not provisioned ({sorted(sources)})"
        assert reference.get("type") in (None, sources[uid]["type"]), (
            f"{path.name}: {where}: type {reference.get('type')} ≠ {sources[uid]['type']}"
        )


@pytest.mark.parametrize("path", DASHBOARDS, ids=ids(DASHBOARDS))
def test_every_variable_used_is_defined(path: Path):
    dashboard = board(path)
    variables = dashboard.get("templating", {}).get("list", [])
    names = [v["name"] for v in variables]
    assert len(names) == len(set(names)), names
    defined = set(names)
    used: dict[str, set[str]] = {}
    for panel in iter_panels(dashboard["panels"]):
        texts = [panel.get("title", "")]
        texts += strings_in(panel.get("targets", []), {"rawSql", "expr", "legendFormat", "query"})
        texts += strings_in(panel.get("fieldConfig", {}), {"url", "title"})
        texts += strings_in(panel.get("links", []), {"url", "title"})
        for text in texts:
            for name in referenced_variables(text):
                used.setdefault(name, set()).add(f"panel {panel['id']}")
        if panel.get("repeat"):
            assert panel["repeat"] in defined, (
                f"{path.name}: panel {panel['id']} repeats by undefined ${panel['repeat']}"
            )
            repeat_by = next(v for v in variables if v["name"] == panel["repeat"])
            assert repeat_by.get("multi") or repeat_by.get("includeAll"), (
                f"{path.name}: repeat by single-value ${panel['repeat']}"
            )
    for position, variable in enumerate(variables):
        for text in strings_in(variable, {"query", "definition", "regex"}):
            for name in referenced_variables(text):
                assert name != variable["name"], f"{path.name}: variable {name} refers to itself"
                used.setdefault(name, set()).add(f"variable {variable['name']}")
                # Grafana resolves variables in order; one used by an earlier variable would be stale.
                assert name in names[:position], (
                    f"{path.name}: variable {variable['name']} uses ${name} defined after it"
                )
    for text in strings_in(dashboard.get("links", []), {"url", "title"}):
        for name in referenced_variables(text):
            used.setdefault(name, set()).add("dashboard link")
    undefined = {name: sorted(where) for name, where in used.items() if name not in defined}
    assert not undefined, f"{path.name}: variables used but not defined: {undefined}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=ids(DASHBOARDS))
def test_every_sql_query_expands_with_known_macros(path: Path):
    dashboard = board(path)
    sources = provisioned_datasources()
    specs = variable_specs(dashboard, {v["name"]: ["x"] for v in dashboard.get("templating", {}).get("list", [])})
    values = {
        name: (ALL if spec.include_all else ("2022" if not spec.multi else ["x"])) for name, spec in specs.items()
    }
    start, end = datetime(2022, 1, 1, tzinfo=UTC), datetime(2022, 12, 31, 23, 59, 59, tzinfo=UTC)
    for query in dashboard_queries(path):
        assert sources[query.datasource_uid]["type"] == "grafana-postgresql-datasource", query[:4]
        sql = render_sql(query.raw_sql, values, start, end, specs=specs)
        assert "$" not in sql.replace("$$", ""), f"{path.name} panel {query.panel_id}: left unexpanded: {sql}"
    for panel in iter_panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            if "rawSql" in target:
                assert target.get("rawQuery") is True and target.get("editorMode") == "code", (path.name, panel["id"])
                assert target.get("format") in ("table", "time_series"), (path.name, panel["id"], target.get("format"))
    for query in variable_queries(path):
        sql = render_sql(query.raw_sql, values, start, end, specs=specs)
        assert "$" not in sql, f"{path.name} variable {query.name}: left unexpanded: {sql}"


def test_red_is_explained_in_words_on_every_board_of_ours():
    for name in OURS:
        text = json.dumps(board(ROOT / "dashboards" / name), ensure_ascii=False)
        assert "红 = 好" in text or "红 = 飘红" in text, name
        assert "落后序时进度" in text and "飘红" in text, name
