"""One self-contained ``report.html`` of a run or sweep folder (``python -m accelsim report``).

The page holds the workload and its totals, the figures of ``accelsim plot`` inline as SVG, the
per-layer (run) or per-point (sweep) table, sortable by clicking a column header, and the
resolved configuration. It loads nothing from the network and needs no server.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em 2em;
color:#1a1a1a;max-width:1500px}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
.meta{color:#555}table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right;white-space:nowrap}
th{background:#f0f0f0;position:sticky;top:0}table.sortable th{cursor:pointer}
td:first-child,th:first-child{text-align:left}.scroll{max-height:70vh;overflow:auto;
border:1px solid #ccc}figure{margin:1em 0}figure svg{max-width:100%;height:auto}
pre{background:#f7f7f7;padding:.8em;font-size:12px;overflow:auto}
"""

SORT_JS = """
document.querySelectorAll("table.sortable th").forEach(function (th, i) {
  th.title = "click to sort";
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var asc = th.dataset.order !== "asc";
    th.dataset.order = asc ? "asc" : "desc";
    function key(r) {
      var t = r.cells[i].textContent.trim(), n = Number(t.replace(/,/g, ""));
      return t !== "" && !isNaN(n) ? n : t;
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def svg_text(fig) -> str:
    """A matplotlib figure as inline SVG markup (no XML prolog)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def table_html(df, sortable: bool = True) -> str:
    """A DataFrame as an HTML table (numbers to 6 significant digits)."""
    return df.to_html(index=False, border=0, classes="sortable" if sortable else None,
                      float_format=lambda v: f"{v:.6g}", na_rep="", escape=True)


def _kv_table(items: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in items.items())
    return f"<table>{rows}</table>"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 or value != value else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _flat_totals(totals: dict) -> dict:
    out = {}
    for key, value in totals.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def run_sections(directory: Path) -> tuple[str, list[str]]:
    """(title, HTML sections) of a run folder."""
    from accelsim.plots import auto_kinds, run_figures
    from accelsim.plots.run_plots import load_run

    run = load_run(directory)
    s = run.summary
    head = {k: s.get(k) for k in ("workload", "arch", "scheme", "seed", "accelsim_version")}
    if s.get("speedup_vs_baseline") is not None:
        head["speedup_vs_baseline"] = s["speedup_vs_baseline"]
    sections = [f"<h2>Run</h2>{_kv_table(head)}",
                f"<h2>Totals</h2>{_totals(s)}"]
    figs = run_figures(run, auto_kinds(directory))
    sections.append("<h2>Figures</h2>" + "".join(
        f'<figure id="fig-{k}">{svg_text(f)}</figure>' for k, f in figs.items()))
    sections.append(f"<h2>Layers ({len(run.layers)}; click a header to sort)</h2>"
                    f'<div class="scroll">{table_html(run.layers)}</div>')
    sections.append(_config(s.get("config")))
    return f"{s.get('workload', directory.name)} on {s.get('arch', '?')}", sections


def _totals(summary: dict) -> str:
    import pandas as pd

    totals = _flat_totals(summary.get("totals") or {})
    base = summary.get("baseline")
    if not base:
        return _kv_table(totals)
    base = _flat_totals({k: v for k, v in base.items() if k != "scheme"})
    df = pd.DataFrame({"quantity": list(totals),
                       summary.get("scheme", "run"): [_fmt(totals[k]) for k in totals],
                       f"baseline {summary['baseline'].get('scheme')}":
                           [_fmt(base.get(k, "")) for k in totals]})
    return table_html(df, sortable=False)


def _config(config) -> str:
    text = json.dumps(config, indent=2, default=str)
    return ("<h2>Configuration</h2><details><summary>the resolved workload and arch "
            f"(summary.json: config)</summary><pre>{html.escape(text)}</pre></details>")


def sweep_sections(directory: Path) -> tuple[str, list[str]]:
    """(title, HTML sections) of a sweep folder."""
    from accelsim.plots import auto_kinds, make_figure
    from accelsim.plots.sweep_plots import load_sweep

    data = load_sweep(directory)
    status = data.df["status"].value_counts().to_dict()
    head = {"sweep": data.name, "points": len(data.df), "swept axes": ", ".join(data.axes),
            **{f"points {k}": v for k, v in status.items()}}
    sections = [f"<h2>Sweep</h2>{_kv_table(head)}"]
    figs = {k: make_figure(directory, k) for k in auto_kinds(directory)}
    sections.append("<h2>Figures</h2>" + "".join(
        f'<figure id="fig-{k}">{svg_text(f)}</figure>' for k, f in figs.items()))
    sections.append(f"<h2>Points ({len(data.df)}; click a header to sort)</h2>"
                    f'<div class="scroll">{table_html(data.df)}</div>')
    return f"sweep {data.name}", sections


def report_html(directory) -> str:
    """The text of ``report.html`` for a run or sweep folder."""
    from accelsim import __version__
    from accelsim.plots import dir_type

    directory = Path(directory)
    kind = dir_type(directory)
    title, sections = (run_sections if kind == "run" else sweep_sections)(directory)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">accelsim {__version__} report of "
            f"the {kind} folder <code>{html.escape(str(directory))}</code></p>"
            + "".join(sections) + f"<script>{SORT_JS}</script></body></html>\n")
