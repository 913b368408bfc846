"""``python -m accelsim validate W.yaml``: check a workload's config; simulate nothing."""

from __future__ import annotations


def main(args) -> int:
    import accelsim
    from accelsim.search.constraints import constraints_for
    from accelsim.spec.layers import resolve_layers

    cfg = accelsim.load(args.workload, args.overrides)
    layers = resolve_layers(cfg)
    constraints_for(cfg, layers)  # a `mapping:` pattern that matches no layer is an error
    print(f"{args.workload}: ok — {cfg.name}: {len(layers)} layers on {cfg.arch.name} "
          f"({cfg.arch.pe_array.rows}x{cfg.arch.pe_array.cols} {cfg.arch.pe_array.dataflow}, "
          f"{cfg.arch.dram.preset}), compression {cfg.compression.label}")
    return 0
