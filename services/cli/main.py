"""`indicators`: upload a sheet, read progress and alerts, manage alert subscriptions (click, rich, httpx).

Chinese lines up in a terminal: rich measures East Asian wide characters (two columns each) when it lays
out a table. Every failure is said on stderr and ends with a non-zero exit status.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.settings import CliSettings, SettingsInvalid, resolve
from cli.uploading import DEFAULT_BATCH_ROWS, UploadFailed, passes, read_file, upload, wait_stored

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
# A file of more rows than this gets a progress bar (small ones are done before a bar would draw).
PROGRESS_BAR_ROWS = 200


class Failure(click.ClickException):
    """Said on stderr as it is, exit status 1."""

    def show(self, file: Any = None) -> None:
        err.print(f"[bold red]error:[/] {self.message}", markup=True)


def _settings(context: click.Context) -> CliSettings:
    settings: CliSettings = context.obj
    return settings


@contextmanager
def _client(settings: CliSettings, timeout: float = 60) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {settings.key}"} if settings.key else {}
    with httpx.Client(headers=headers, timeout=timeout) as client:
        yield client


def _get(client: httpx.Client, url: str, params: dict[str, Any]) -> httpx.Response:
    try:
        response = client.get(url, params={k: v for k, v in params.items() if v is not None and v != []})
    except httpx.HTTPError as error:
        raise Failure(f"{url} cannot be reached: {error}") from None
    if response.status_code >= 400:
        raise Failure(_refusal(response))
    return response


def _refusal(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:300]}"
    detail = body.get("detail", "") if isinstance(body, dict) else body
    problems = body.get("errors") if isinstance(body, dict) else None
    lines = [f"{response.status_code}: {detail}"]
    for problem in problems or []:
        lines.append(f"  {problem.get('field')}: {problem.get('reason')}")
    return "\n".join(lines)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", help="The ingest service [env INDICATORS_URL; default http://127.0.0.1:8000]")
@click.option("--query-url", help="The query service [env INDICATORS_QUERY_URL; default http://127.0.0.1:8001]")
@click.option("--key", help="The API key [env INDICATORS_KEY]")
@click.pass_context
def cli(context: click.Context, url: str | None, query_url: str | None, key: str | None) -> None:
    """开发区经济运行监测: upload reports, read progress and alerts.

    Settings come from these flags, else the environment (INDICATORS_URL, INDICATORS_QUERY_URL,
    INDICATORS_KEY), else the TOML file INDICATORS_CONFIG (default ~/.config/indicators/config.toml)
    with the keys url, query_url and key.
    """
    try:
        context.obj = resolve(url, query_url, key)
    except SettingsInvalid as error:
        raise Failure(str(error)) from None


@cli.command(name="upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["observations", "targets", "zones", "projects"]),
    help="Default: from the file (its header)",
)
@click.option("--sheet", help="XLSX: the sheet to read (default: the first)")
@click.option("--dry-run", is_flag=True, help="Validate the whole file on ingest; publish nothing")
@click.option("--no-check", is_flag=True, help="Publish at once, without the dry run of every batch first")
@click.option("--batch-rows", type=click.IntRange(1, 5000), default=DEFAULT_BATCH_ROWS, show_default=True)
@click.option(
    "--wait",
    is_flag=True,
    help="Then wait until every row is stored and its figures computed (a backfill's progress), via the query service",
)
@click.pass_context
def upload_command(
    context: click.Context,
    file: Path,
    kind: str | None,
    sheet: str | None,
    dry_run: bool,
    no_check: bool,
    batch_rows: int,
    wait: bool,
) -> None:
    """Post FILE (.xlsx, .csv or .json) to ingest in batches.

    A sheet's header may be in Chinese (园区 指标 期间 数值 单位 口径 上年同期可比数 上报增速; for targets 年份
    目标类型 目标值; for the zone registry 代码 名称 级别 类型 上级 分组) or the JSON field names; periods as 2025-05,
    2025年5月, 2025年1-5月 or, for a quarterly indicator, 2025年上半年. Each problem is printed with its cell (D7)
    and the exit status is 1. A zone registry is sent in one batch (a parent must be in it or registered).

    First every batch is sent as a dry run, so a bad row anywhere publishes nothing; then the batches are
    published in order. Each batch is all-or-nothing. If ingest refuses a batch while publishing (it is
    unavailable, or a row became implausible against figures stored meanwhile), the batches before it STAY
    ACCEPTED (their batch ids are printed) and the later ones are not sent: fix the cause and upload the whole
    file again, which is safe (the same rows give the same figures; a later report replaces an earlier one).
    """
    settings = _settings(context)
    try:
        rows = read_file(file, kind, sheet)
    except UploadFailed as failed:
        _print_problems(failed.problems)
        raise Failure(failed.detail) from None
    total = len(rows.rows) * len(passes(dry_run, not no_check))
    began = time.monotonic()
    with _client(settings) as client, progress_bar(total) as advance:
        try:
            result = upload(
                client,
                settings.url,
                rows,
                batch_rows=batch_rows,
                dry_run=dry_run,
                check_first=not no_check,
                advance=advance,
            )
        except UploadFailed as failed:
            for batch_id in failed.accepted:
                out.print(f"accepted earlier: batch {batch_id}")
            _print_problems(failed.problems)
            raise Failure(failed.detail) from None
    where = f" ({rows.sheet.sheet})" if rows.sheet is not None and rows.sheet.sheet else ""
    if dry_run:
        out.print(f"valid: {result.rows} {result.kind} rows of {file.name}{where}; nothing was published (--dry-run)")
        return
    for batch in result.batches:
        first = batch["first_row"] + 1
        out.print(f"batch {batch['batch_id']}: rows {first}-{first + batch['rows'] - 1} accepted")
    out.print(f"accepted: {result.rows} {result.kind} rows of {file.name}{where} in {len(result.batches)} batch(es)")
    if wait:
        with _client(settings) as client, progress_bar(result.rows, "stored and computed") as advance:
            try:
                stored = wait_stored(client, settings.query_url, result.batches, advance=advance)
            except UploadFailed as failed:
                raise Failure(failed.detail) from None
        seconds = time.monotonic() - began
        out.print(
            f"stored and computed: {stored.rows} rows in {seconds:.1f} s from the first batch sent "
            f"({stored.rows / seconds:.0f} rows/s), {stored.seconds:.1f} s after the last was accepted"
        )


@contextmanager
def progress_bar(total: int, doing: str = "uploading") -> Iterator[Any]:
    if total < PROGRESS_BAR_ROWS:
        yield lambda rows: None
        return
    columns = (TextColumn(doing), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("rows", total=total)
        yield lambda rows: progress.advance(task, rows)


def _print_problems(problems: Sequence[dict[str, Any]]) -> None:
    if not problems:
        return
    table = Table("单元格", "行", "字段", "原因", title="problems", title_justify="left")
    for problem in problems:
        where = problem.get("cell") or ""
        if problem.get("sheet"):
            where = f"{problem['sheet']}!{where}" if where else str(problem["sheet"])
        row = problem.get("row")
        table.add_row(where, "" if row is None else str(row), str(problem.get("field", "")), str(problem.get("reason")))
    err.print(table)


def _pct(value: Any) -> str:
    return "" if value is None else f"{value}%"


def _figure(value: Any) -> str:
    return "" if value is None else str(value)


@cli.command(name="progress")
@click.option("--year", type=int)
@click.option("--month", type=click.IntRange(1, 12))
@click.option("--zone", multiple=True, help="Repeat for several zones")
@click.option("--indicator", multiple=True, help="Indicator code; repeat for several")
@click.option("--digits", type=click.IntRange(0, 4), help="Decimals of percentages (default 1)")
@click.option("--format", "form", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def progress_command(
    context: click.Context,
    year: int | None,
    month: int | None,
    zone: tuple[str, ...],
    indicator: tuple[str, ...],
    digits: int | None,
    form: str,
) -> None:
    """Progress of one month against targets and time progress (序时进度), lagging first."""
    settings = _settings(context)
    params: dict[str, Any] = {"year": year, "month": month, "zone": list(zone), "indicator": list(indicator)}
    params["digits"] = digits
    with _client(settings) as client:
        if form == "csv":
            params["format"] = "csv"
            response = _get(client, f"{settings.query_url}/v1/progress", params)
            sys.stdout.write(response.content.decode("utf-8-sig"))
            return
        body = _get(client, f"{settings.query_url}/v1/progress", params).json()
    if form == "json":
        out.print_json(json.dumps(body, ensure_ascii=False))
        return
    if not body["items"]:
        out.print("no progress for these filters")
        return
    title = f"{body['year']}年1-{body['month']}月" if body["month"] != 1 else f"{body['year']}年1月"
    table = Table(title=f"进度 · {title}", title_justify="left")
    for header, justify in (
        ("园区", "left"),
        ("指标", "left"),
        ("累计", "right"),
        ("单位", "left"),
        ("同比", "right"),
        ("完成率", "right"),
        ("序时进度", "right"),
        ("状态", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for item in body["items"]:
        status = item["status_zh"]
        style = {"behind": "red", "on_track": "green"}.get(item["status"], "")
        mark = {"behind": "✘ ", "on_track": "✔ "}.get(item["status"], "— ")
        table.add_row(
            item["zone"],
            item["indicator_name"],
            _figure(item["ytd_value"]),
            item["unit"] or "",
            _pct(item["yoy_pct"]),
            _pct(item["completion_pct"]),
            _pct(item["time_progress_pct"]),
            f"[{style}]{mark}{status}[/]" if style else f"{mark}{status}",
        )
    out.print(table)


@cli.command(name="alerts")
@click.option("--state", type=click.Choice(["firing", "resolved", "all"]), default="firing", show_default=True)
@click.option("--year", type=int)
@click.option("--zone", multiple=True)
@click.option("--indicator", multiple=True)
@click.option("--min-severity", type=click.Choice(["info", "warning", "critical"]))
@click.option("--format", "form", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def alerts_command(
    context: click.Context,
    state: str,
    year: int | None,
    zone: tuple[str, ...],
    indicator: tuple[str, ...],
    min_severity: str | None,
    form: str,
) -> None:
    """Alerts and their state, most severe first."""
    settings = _settings(context)
    params = {
        "state": state,
        "year": year,
        "zone": list(zone),
        "indicator": list(indicator),
        "min_severity": min_severity,
    }
    with _client(settings) as client:
        body = _get(client, f"{settings.query_url}/v1/alerts", params).json()
    if form == "json":
        out.print_json(json.dumps(body, ensure_ascii=False))
        return
    table = Table("级别", "园区", "指标", "期间", "规则", "状态", "内容", title="预警", title_justify="left")
    for item in body["items"]:
        table.add_row(
            item["severity_zh"],
            item["zone"],
            item["indicator_name"],
            item["period_zh"],
            item["rule_zh"],
            "预警中" if item["state"] == "firing" else "已解除",
            item["message"],
        )
    out.print(table)
    counts = body.get("counts", {})
    out.print(f"严重 {counts.get('critical', 0)} · 预警 {counts.get('warning', 0)} · 提示 {counts.get('info', 0)}")


@cli.group(name="subscriptions")
def subscriptions() -> None:
    """Alert subscriptions (the admin key): list, add, test, rm."""


def _subscriptions_call(context: click.Context, method: str, path: str = "", body: Any = None) -> httpx.Response:
    settings = _settings(context)
    url = f"{settings.query_url}/v1/subscriptions{path}"
    with _client(settings) as client:
        try:
            response = client.request(method, url, json=body)
        except httpx.HTTPError as error:
            raise Failure(f"{url} cannot be reached: {error}") from None
    if response.status_code >= 400:
        raise Failure(_refusal(response))
    return response


@subscriptions.command(name="list")
@click.pass_context
def subscriptions_list(context: click.Context) -> None:
    """Every subscription."""
    items = _subscriptions_call(context, "GET").json()["items"]
    table = Table("id", "名称", "渠道", "地址", "园区", "指标", "最低级别", "暂停", title="订阅", title_justify="left")
    for item in items:
        table.add_row(
            item["id"],
            item["name"],
            item["channel"],
            item["target"],
            "、".join(item["zones"] or []) or "全部",
            "、".join(item["indicators"] or []) or "全部",
            item["min_severity"],
            "是" if item["paused"] else "",
        )
    out.print(table)


@subscriptions.command(name="add")
@click.option("--name", required=True)
@click.option("--channel", required=True, help="webhook, dingtalk, wecom or email")
@click.option("--target", required=True, help="The URL (or e-mail address) deliveries go to")
@click.option("--secret", help="Signing secret (webhook, dingtalk)")
@click.option("--zone", multiple=True, help="Repeat for several; omit for every zone")
@click.option("--indicator", multiple=True, help="Repeat for several; omit for every indicator")
@click.option("--rule", multiple=True, help="Repeat for several; omit for every rule")
@click.option(
    "--min-severity", type=click.Choice(["info", "warning", "critical"]), default="warning", show_default=True
)
@click.pass_context
def subscriptions_add(
    context: click.Context,
    name: str,
    channel: str,
    target: str,
    secret: str | None,
    zone: tuple[str, ...],
    indicator: tuple[str, ...],
    rule: tuple[str, ...],
    min_severity: str,
) -> None:
    """Subscribe a channel to alerts; prints the new subscription's id."""
    body: dict[str, Any] = {"name": name, "channel": channel, "target": target, "min_severity": min_severity}
    for field_name, values in (("zones", zone), ("indicators", indicator), ("rules", rule)):
        if values:
            body[field_name] = list(values)
    if secret:
        body["secret"] = secret
    created = _subscriptions_call(context, "POST", body=body).json()
    out.print(f"subscribed: {created['id']} ({created['name']}, {created['channel']})")


@subscriptions.command(name="test")
@click.argument("subscription_id")
@click.pass_context
def subscriptions_test(context: click.Context, subscription_id: str) -> None:
    """Queue a test message to SUBSCRIPTION_ID (sent even while paused)."""
    answer = _subscriptions_call(context, "POST", f"/{subscription_id}/test").json()
    out.print(f"test message queued: delivery {answer['delivery_id']} ({answer['status']})")


@subscriptions.command(name="rm")
@click.argument("subscription_id")
@click.pass_context
def subscriptions_rm(context: click.Context, subscription_id: str) -> None:
    """Unsubscribe SUBSCRIPTION_ID (its pending deliveries go too)."""
    _subscriptions_call(context, "DELETE", f"/{subscription_id}")
    out.print(f"unsubscribed: {subscription_id}")


def main() -> None:
    cli(prog_name="indicators")
