"""``python -m accelsim presets``: architecture, DRAM and model presets."""

from __future__ import annotations


def main(_args) -> int:
    from rich.table import Table

    from accelsim.cli.console import make_console
    from accelsim.memory.dram.presets import PRESET_NAMES
    from accelsim.spec.loader import arch_presets
    from workloads import zoo

    console = make_console()
    t = Table(title="architecture presets (arch: NAME)")
    for col in ("name", "array", "clock", "weight/input/output/codebook KiB", "DRAM"):
        t.add_column(col, no_wrap=True)
    for name, a in arch_presets().items():
        s = a["sram"]
        t.add_row(name, f"{a['pe_array']['rows']}x{a['pe_array']['cols']} {a['pe_array']['dataflow']}",
                  f"{a['clock_MHz']} MHz",
                  "/".join(str(s[b]["size_KiB"]) for b in ("weight", "input", "output", "codebook")),
                  f"{a['dram']['preset']} x{a['dram'].get('channels', 1)}")
    console.print(t)
    console.print("DRAM presets (arch.dram.preset): ideal, simple, " + ", ".join(PRESET_NAMES))
    t = Table(title="models (model: NAME, model_args: {...})")
    t.add_column("name")
    t.add_column("params")
    for name in zoo.MODELS:
        t.add_row(name, ", ".join(f"{k}={v}" for k, v in zoo.params(name).items()))
    console.print(t)
    return 0
