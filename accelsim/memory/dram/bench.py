"""``dram-bench``: a microbenchmark of the DRAM model alone (synthetic request streams).

Streams: ``seq`` (consecutive addresses), ``random`` (uniform, request-aligned) and ``mix``
(consecutive addresses, each request a write with probability ``1 - read_ratio``). A closed
loop keeps ``outstanding`` requests in flight (default: enough to fill the controller queue of
every rank): the next one is issued when one completes, so ``--outstanding 1`` measures unloaded
latency. Latency is averaged over reads (writes are posted)
unless the stream has no reads.
"""

from __future__ import annotations

import heapq

PATTERNS = ("seq", "random", "mix")
STREAM_ALIGN = 64 << 10


def run_bench(
    preset: str,
    pattern: str = "seq",
    *,
    channels: int | None = None,
    ranks: int | None = None,
    mapping: str | None = None,
    read_ratio: float | None = None,
    request_bytes: int = 64,
    outstanding: int | None = None,
    requests: int | None = None,
    total_bytes: int = 2 << 20,
    timing: dict | None = None,
    seed: int = 0,
    streams: int = 1,
) -> dict[str, float]:
    """Drive a fresh model with one stream; return peak/achieved bandwidth, latency, hit rate."""
    import numpy as np

    from accelsim.memory.dram.model import make_dram
    from accelsim.spec.config import DramConfig

    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of: {', '.join(PATTERNS)}")
    if request_bytes <= 0:
        raise ValueError(f"request_bytes must be positive, got {request_bytes}")
    if read_ratio is None:
        read_ratio = 0.75 if pattern == "mix" else 1.0
    if not 0.0 <= read_ratio <= 1.0:
        raise ValueError(f"read_ratio must be in [0, 1], got {read_ratio}")
    cfg = DramConfig(
        preset=preset,
        channels=channels,
        ranks=ranks,
        mapping=mapping,
        timing=timing or {},
    )
    model = make_dram(cfg)
    spec = model.spec
    q = outstanding or spec.queue_depth * spec.ranks * spec.channels
    n = requests or max(256, total_bytes // request_bytes)
    rng = np.random.default_rng(seed)
    capacity = spec.row_bytes * spec.rows * spec.banks_per_rank * spec.ranks * spec.channels
    if pattern == "random":
        addrs = rng.integers(0, capacity // request_bytes, size=n) * request_bytes
    else:
        k = np.arange(n, dtype=np.int64)
        stride = -(-(n * request_bytes // streams) // STREAM_ALIGN) * STREAM_ALIGN
        addrs = (k % streams) * stride + (k // streams) * request_bytes
    writes = rng.random(n) >= read_ratio
    addrs, writes = addrs.tolist(), writes.tolist()
    t_end, lat_sum, lat_n = _closed_loop(model, addrs, writes, request_bytes, q)
    c = model.counters()
    kind = False if lat_n[False] else True
    accesses = c["row_hits"] + c["row_misses"]
    return {
        "peak_GBps": model.peak_GBps,
        "bandwidth_GBps": n * request_bytes / t_end,
        "latency_ns_avg": lat_sum[kind] / lat_n[kind],
        "row_hit_rate": c["row_hits"] / accesses if accesses else 0.0,
    }




def _closed_loop(model, addrs: list, writes: list, request_bytes: int, q: int):
    """Issue every request keeping ``q`` in flight; (end time, latency sums, counts by kind)."""
    inflight: list[tuple[float, int]] = []
    lat_sum = {False: 0.0, True: 0.0}
    lat_n = {False: 0, True: 0}
    t_issue = 0.0
    t_end = 0.0
    for i in range(len(addrs)):
        if len(inflight) >= q:
            t_issue = heapq.heappop(inflight)[0]
        done = model.request(t_issue, addrs[i], request_bytes, writes[i])
        lat_sum[writes[i]] += done - t_issue
        lat_n[writes[i]] += 1
        t_end = max(t_end, done)
        heapq.heappush(inflight, (done, i))
    t_end = max(t_end, model.flush(t_issue))
    return t_end, lat_sum, lat_n
