"""The workload's ``mapping:`` constraints, matched to layers by name or glob."""

from __future__ import annotations

from fnmatch import fnmatchcase

from accelsim.errors import ConfigError
from accelsim.plan.mapping import MappingConstraint


def constraints_for(cfg, layers) -> list[MappingConstraint | None]:
    """Per layer, the first ``mapping:`` entry whose pattern matches its name (or None).

    A pattern that matches no layer is a :class:`ConfigError` (a typo must not be ignored).
    """
    entries = list((cfg.mapping or {}).items())
    out, used = [], set()
    for layer in layers:
        hit = next((p for p, _ in entries if fnmatchcase(layer.name, p)), None)
        if hit is None:
            out.append(None)
            continue
        used.add(hit)
        spec = cfg.mapping[hit]
        out.append(MappingConstraint(
            loop_order=tuple(spec.loop_order) if spec.loop_order else None,
            tile=dict(spec.tile) if spec.tile else None, dataflow=spec.dataflow,
            source=f"mapping.{hit!r}"))
    unused = [p for p, _ in entries if p not in used]
    if unused:
        names = ", ".join(repr(layer.name) for layer in layers[:4])
        raise ConfigError(
            f"{cfg.name}: mapping.{unused[0]!r}: matches no layer (names look like {names}; "
            "use a layer name or an fnmatch glob such as 'blocks.*.fc1')")
    return out
