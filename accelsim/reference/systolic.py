"""The systolic array of the reference model, stepped tick by tick.

One step (a ``gs × ms × ks × ns`` tile) is a sequence of folds; each fold is stepped literally:

* ``ws`` / ``is``: the stationary operand is shifted down the array one row per tick (``R``
  ticks, the whole array height, as the hardware shifts through every row), then
* the streamed operand is injected one vector per tick (``T`` ticks); every injected vector
  crosses the ``R`` rows and ``C`` columns skewed, one PE per tick, and its last partial sum
  leaves the array ``R + C − 1`` ticks after it entered; the fold ends when the last one left.
* ``os``: both operands are injected skewed (``T`` = K ticks), no preload; then the same drain.

Each tick carries what it needs on chip: ``(weight share, input share)`` of the step's tile,
as fractions (0 = nothing new). Folds walk the spatial row blocks outermost, then the column
blocks; groups outermost of all. Data is stored in that order, so a fold's block of an operand is
the matching slice of the tile. The caller advances a tick only when its needs are met.
"""

from __future__ import annotations

from collections import deque

ROLES = {  # dataflow: (spatial rows, spatial columns, temporal) in GEMM dims
    "ws": ("K", "N", "M"),
    "os": ("M", "N", "K"),
    "is": ("K", "M", "N"),
}


def _blocks(total: int, unit: int) -> int:
    return -(-total // unit)


def _shares(dataflow: str, g: int, gs: int, a: int, na: int, b: int, nb: int):
    """(weight block, input block): (start, size) fractions of the tile used by fold (g, a, b)."""
    def linear(i, n):
        return (g + i / n) / gs, 1 / (gs * n)
    if dataflow == "ws":   # weights (K-block a, N-block b) stationary; inputs K-slice a stream
        return linear(a * nb + b, na * nb), linear(a, na)
    if dataflow == "is":   # inputs (K-block a, M-block b) stationary; weights K-slice a stream
        return linear(a, na), linear(a * nb + b, na * nb)
    return linear(b, nb), linear(a, na)  # os: weights N-slice b, inputs M-slice a, both stream


def step_ticks(dataflow: str, rows: int, cols: int, gs: int, ms: int, ks: int, ns: int):
    """Yield, per tick of one step, the ``(weight share, input share)`` that must be on chip."""
    dims = {"M": ms, "K": ks, "N": ns}
    sr, sc, tdim = (dims[d] for d in ROLES[dataflow])
    na, nb, t_len = _blocks(sr, rows), _blocks(sc, cols), tdim
    for g in range(gs):
        for a in range(na):
            for b in range(nb):
                w, i = _shares(dataflow, g, gs, a, na, b, nb)
                yield from _fold(dataflow, rows, cols, t_len, w, i)


def _fold(dataflow: str, rows: int, cols: int, t_len: int, w, i):
    """The ticks of one fold: preload (ws/is), skewed injection, drain."""
    streamed = {"os": (w, i), "ws": (None, i), "is": (w, None)}[dataflow]
    if dataflow != "os":
        for p in range(rows):  # shift the stationary block down, one array row per tick
            frac = (p + 1) / rows
            yield (_part(w, frac), 0.0) if dataflow == "ws" else (0.0, _part(i, frac))
    depth = rows + cols - 1  # ticks from entering row 0 / column 0 to leaving the far corner
    in_flight: deque[int] = deque()
    tick = injected = 0
    while injected < t_len or in_flight:
        if injected < t_len:
            frac = (injected + 1) / t_len
            yield tuple(_part(s, frac) for s in streamed)
            in_flight.append(tick + depth)
            injected += 1
        else:
            yield (0.0, 0.0)
        tick += 1
        while in_flight and in_flight[0] <= tick:
            in_flight.popleft()


def _part(block, frac: float) -> float:
    """The tile share needed once ``frac`` of ``block = (start, size)`` is consumed."""
    if block is None:
        return 0.0
    return block[0] + block[1] * frac
