"""Read the board the way a person reads it: heading, time progress, and per indicator the zones in order.

Works on the server's HTML and on Chromium's serialised DOM alike (both are HTML), with the standard
library's parser, so the tests assert on what the page says rather than on substrings of markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    zone: str
    status: str  # data-status: on_track, behind, no_target, unknown
    cells: list[str] = field(default_factory=list)  # text of each <td>, in order
    bar_label: str = ""  # the bar's aria-label
    bar_width: str | None = None  # the fill's CSS width, e.g. "45.2%"

    @property
    def completion(self) -> str:
        return self.cells[1]

    @property
    def ytd(self) -> str:
        return self.cells[2]

    @property
    def target(self) -> str:
        return self.cells[3]

    @property
    def yoy(self) -> str:
        return self.cells[4]

    @property
    def status_text(self) -> str:
        return self.cells[5]


@dataclass
class AlertRow:
    """One row of the 当前预警 table: 级别, 园区, 指标, 规则, 期间, 说明, 首次触发, 最近变化."""

    severity: str  # data-severity: critical, warning, info
    cells: list[str] = field(default_factory=list)

    @property
    def words(self) -> tuple[str, ...]:
        """What a person reads, without the two times: (级别, 园区, 指标, 规则, 期间, 说明)."""
        return tuple(self.cells[:6])

    @property
    def fired(self) -> str:
        return self.cells[6]

    @property
    def updated(self) -> str:
        return self.cells[7]


@dataclass
class Section:
    indicator: str
    caption: str = ""
    rows: list[Row] = field(default_factory=list)

    @property
    def zones(self) -> list[str]:
        return [row.zone for row in self.rows]

    def row(self, zone: str) -> Row:
        return next(row for row in self.rows if row.zone == zone)


@dataclass
class Board:
    title: str = ""
    heading: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # text of elements with an id
    sections: list[Section] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the 422 page's list items
    alerts: list[AlertRow] = field(default_factory=list)  # the 当前预警 rows, in order
    alert_counts: dict[str, str] = field(default_factory=dict)  # severity → "严重 1"

    def section(self, indicator: str) -> Section:
        return next(section for section in self.sections if section.indicator == indicator)


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.board = Board()
        self._capture: list[tuple[str, list[str]]] = []  # (what, text parts) being collected
        self._stack: list[tuple[str, str | None]] = []  # (tag, what it closes) for nested capture
        self._alert: AlertRow | None = None  # the 当前预警 row being read
        self._count: str | None = None  # the severity of the alert count being read

    def _start_capture(self, tag: str, what: str) -> None:
        self._capture.append((what, []))
        self._stack.append((tag, what))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        what: str | None = None
        if tag == "section" and "data-indicator" in attributes:
            self.board.sections.append(Section(attributes["data-indicator"]))
        elif tag == "tr" and "data-severity" in attributes:
            self._alert = AlertRow(attributes["data-severity"])
            self.board.alerts.append(self._alert)
        elif tag == "tr" and "data-zone" in attributes and self.board.sections:
            self.board.sections[-1].rows.append(Row(attributes["data-zone"], attributes["data-status"]))
        elif tag == "div" and attributes.get("role") == "img" and self._row():
            self._row().bar_label = attributes.get("aria-label", "")  # type: ignore[union-attr]
        elif tag == "div" and "fill" in attributes.get("class", "").split() and self._row():
            style = attributes.get("style", "")
            self._row().bar_width = style.split("width:")[1].strip().rstrip(";").strip() if "width:" in style else None  # type: ignore[union-attr]
        if tag == "title":
            what = "title"
        elif tag == "h1":
            what = "h1"
        elif tag == "caption":
            what = "caption"
        elif tag == "td" and self._alert is not None:
            what = "alert-td"
        elif tag == "span" and "data-severity" in attributes:
            self._count = attributes["data-severity"]
            what = "count"
        elif tag == "td" and self._row():
            what = "td"
        elif tag == "li":
            what = "li"
        elif "id" in attributes:
            what = "id:" + attributes["id"]
        if what is not None:
            self._start_capture(tag, what)
        elif tag not in ("br", "meta", "link", "img", "input"):
            self._stack.append((tag, None))

    def _row(self) -> Row | None:
        if self.board.sections and self.board.sections[-1].rows:
            return self.board.sections[-1].rows[-1]
        return None

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._alert = None
        while self._stack:
            open_tag, what = self._stack.pop()
            if what is not None:
                finished, parts = self._capture.pop()
                self._finish(finished, _clean("".join(parts)))
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, parts in self._capture:
            parts.append(data)

    def _finish(self, what: str, text: str) -> None:
        if what == "title":
            self.board.title = text
        elif what == "h1":
            self.board.heading = text
        elif what == "caption":
            self.board.sections[-1].caption = text
        elif what == "alert-td":
            assert self._alert is not None
            self._alert.cells.append(text)
        elif what == "count":
            assert self._count is not None
            self.board.alert_counts[self._count] = text
        elif what == "td":
            row = self._row()
            assert row is not None
            row.cells.append(text)
        elif what == "li":
            self.board.problems.append(text)
        else:
            self.board.texts[what.removeprefix("id:")] = text


def read_board(html: str) -> Board:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.board
