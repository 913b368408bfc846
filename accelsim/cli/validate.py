"""``python -m accelsim validate W.yaml``: every check ``run`` makes (config, layers, size limits,
trace, mapping of every layer); simulate nothing."""

from __future__ import annotations


def main(args) -> int:
    import accelsim
    from accelsim.flow import prepare
    from accelsim.memory import describe_dram, effective_dram

    cfg = accelsim.load(args.workload, args.overrides)
    layers = prepare(cfg).layers
    print(f"{args.workload}: ok — {cfg.name}: {len(layers)} layers on {cfg.arch.name} "
          f"({cfg.arch.pe_array.rows}x{cfg.arch.pe_array.cols} {cfg.arch.pe_array.dataflow}, "
          f"{cfg.arch.dram.preset}), compression {cfg.compression.label}")
    print(f"DRAM: {describe_dram(effective_dram(cfg.arch.dram))}")
    return 0
