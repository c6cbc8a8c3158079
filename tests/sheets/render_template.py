"""Renders the observations template as an HTML view of its cells (title, header, example, the 指标 drop-down) and
screenshots it with headless Chromium into docs/images/template.png: `PYTHONPATH=. .venv/bin/python -m tests.sheets.render_template`."""

import html
import io
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from indicators_core.catalog import load_catalog
from ingest.templates import template_xlsx
from tests.board.chromium import screenshot

HTML = Path(tempfile.mkdtemp(prefix="indicators-template-")) / "template.html"
wb = load_workbook(io.BytesIO(template_xlsx("observations", load_catalog())))
ws = wb["月报"]
cols = "ABCDEFGH"
widths = [ws.column_dimensions[c].width * 8 for c in cols]
names = [c.value for c in wb["指标目录"]["A"][1:]]
rows = []
rows.append(
    "<tr><th></th>" + "".join(f"<th style='width:{w}px'>{c}</th>" for c, w in zip(cols, widths, strict=True)) + "</tr>"
)
rows.append(f"<tr><th>1</th><td colspan=8 class=title>{html.escape(ws['A1'].value)}</td></tr>")
rows.append("<tr><th>2</th>" + "".join(f"<td class=head>{html.escape(str(c.value))}</td>" for c in ws[2]) + "</tr>")
rows.append(
    "<tr><th>3</th>"
    + "".join(f"<td class=ex>{html.escape('' if c.value is None else str(c.value))}</td>" for c in ws[3])
    + "</tr>"
)
for r in range(4, 9):
    cells = "".join("<td></td>" for _ in cols)
    if r == 4:
        cells = (
            "<td>高新区</td><td class=sel>规上工业产值 ▾<div class=dd>"
            + "".join(f"<div>{html.escape(n)}</div>" for n in names)
            + "</div></td>"
            + "<td></td>" * 6
        )
    rows.append(f"<tr><th>{r}</th>{cells}</tr>")
page = f"""<!doctype html><meta charset=utf-8><style>
body{{font-family:'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif;margin:12px;background:#fff;font-size:14px}}
table{{border-collapse:collapse}} td,th{{border:1px solid #d0d7de;height:24px;padding:0 6px;white-space:nowrap}}
th{{background:#f3f3f3;color:#555;font-weight:normal;text-align:center}}
.title{{text-align:center;font-weight:bold;font-size:16px}} .head{{background:#DDEBF7;font-weight:bold;text-align:center}}
.ex{{color:#808080;font-style:italic}} .sel{{position:relative;outline:2px solid #217346}}
.dd{{position:absolute;top:26px;left:-1px;background:#fff;border:1px solid #888;box-shadow:2px 2px 6px #aaa;z-index:2;width:200px}}
.dd div{{padding:2px 6px}} .dd div:first-child{{background:#cce4f7}}
.tabs{{margin-top:6px;color:#333}} .tabs span{{border:1px solid #ccc;padding:2px 10px;margin-right:4px}} .tabs .on{{background:#fff;border-bottom:2px solid #217346;font-weight:bold}}
</style><table>{"".join(rows)}</table>
<div style='height:{26 * len(names) - 100}px'></div>
<div class=tabs><span class=on>月报</span><span>指标目录</span></div>"""
HTML.write_text(page, encoding="utf-8")
screenshot(HTML.as_uri(), Path("docs/images/template.png"), 1180, 26 * len(names) + 200)
