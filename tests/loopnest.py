"""The loop nest a layer's ``layers.csv`` row reports (``tile``, ``loop_order``), walked step by step
by brute force: how often each operand tile is fetched, how often each output tile is opened."""

from __future__ import annotations

import itertools


def parse_tile(row) -> dict[str, int]:
    g, m, k, n = (int(x) for x in row["tile"].split("x"))
    return {"g": g, "m": m, "k": k, "n": n}


def walk(row) -> tuple[dict, dict]:
    """Walk the reported loop nest of one layer (groups outermost, then ``loop_order``); return
    how often each operand tile is fetched (a fetch = its tile differs from the previous step's)
    and how many times each output tile is opened (visits)."""
    tile = parse_tile(row)
    dims = {"g": row["groups"], "m": row["M"], "k": row["K"], "n": row["N"]}
    trips = {d: -(-dims[d] // tile[d]) for d in dims}
    order = "g" + row["loop_order"]
    operands = {"weight": "gkn", "input": "gmk", "output": "gmn"}
    counts = {name: {} for name in operands}
    prev = {name: None for name in operands}
    for idx in itertools.product(*(range(trips[d]) for d in order)):
        at = dict(zip(order, idx, strict=True))
        for name, ds in operands.items():
            key = tuple(at[d] for d in ds)
            if key != prev[name]:
                counts[name][key] = counts[name].get(key, 0) + 1
                prev[name] = key
    return counts, trips


def uniform_count(counts: dict) -> int:
    """Every tile of an operand is fetched equally often in a loop nest; return that count."""
    values = set(counts.values())
    assert len(values) == 1, values
    return values.pop()
