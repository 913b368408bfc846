"""The terminal summary of a run (rich)."""

from __future__ import annotations


def print_table(result, console=None, max_rows: int = 20) -> None:
    """A rich summary: the costliest layers, then the totals, the PE-array vs vector-unit time
    and the speedup."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    rows = result.rows
    tab = Table(title=f"{result.summary['workload']} on {result.summary['arch']}")
    for col in ("layer", "op", "unit", "M×K×N", "cycles", "compute", "stall DRAM", "stall dec",
                "stall cb", "util", "DRAM KiB", "bound"):
        tab.add_column(col, justify="left" if col in ("layer", "op", "unit", "bound") else "right",
                       no_wrap=True)
    top = sorted(rows, key=lambda r: -r["cycles"])[:max_rows]
    for r in sorted(top, key=rows.index):
        shape = f"{r['M']}×{r['K']}×{r['N']}" + (f" ×{r['groups']}" if r["groups"] > 1 else "")
        tab.add_row(str(r["layer"]), r["op"], r["unit"], shape, f"{r['cycles']:,.0f}",
                    f"{r['cycles_compute']:,.0f}", f"{r['stall_dram']:,.0f}",
                    f"{r['stall_decoder']:,.0f}", f"{r['stall_codebook']:,.0f}",
                    f"{r['pe_util']:.0%}", f"{r['dram_bytes'] / 1024:,.1f}", r["bound"])
    if len(rows) > max_rows:
        tab.caption = f"the {max_rows} costliest of {len(rows)} layers; all of them in layers.csv"
    console.print(tab)
    t = result.summary["totals"]
    console.print(f"[bold]{result.summary['scheme']}[/]: {t['cycles']:,.0f} cycles = "
                  f"{t['time_ms']:.3f} ms, DRAM {t['dram_bytes'] / 2**20:,.2f} MiB at "
                  f"{t['bandwidth_GBps']:.2f} GB/s, energy {t.get('energy_total_pJ', 0) / 1e6:,.2f} µJ")
    if t.get("cycles_vector"):
        console.print(_split(t, result.summary.get("baseline")))
    base = result.summary.get("baseline")
    if base:
        speedup = result.summary["speedup_vs_baseline"]
        console.print(f"baseline [bold]{base['scheme']}[/]: {base['cycles']:,.0f} cycles = "
                      f"{base['time_ms']:.3f} ms → speedup [bold]{speedup:.2f}×[/]")


def _split(t: dict, base: dict | None) -> str:
    """One line: the time of the GEMM layers (PE array) and of the vector ops, as a share."""
    def part(tt: dict) -> str:
        both = tt["cycles_pe"] + tt["cycles_vector"]
        return (f"GEMM (PE array) {tt['cycles_pe']:,.0f} cycles, vector ops "
                f"{tt['cycles_vector']:,.0f} cycles ({tt['cycles_vector'] / both:.0%})")
    line = part(t)
    if base:
        line += f"; baseline: {part(base)}"
    return line
