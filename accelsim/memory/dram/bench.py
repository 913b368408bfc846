"""``dram-bench``: a microbenchmark of the DRAM model alone (synthetic request streams).

Streams: ``seq`` (consecutive addresses), ``random`` (uniform, request-aligned) and ``mix``
(consecutive addresses, each request a write with probability ``1 - read_ratio``); with
``streams`` > 1, ``seq`` and ``mix`` interleave that many sequential streams
(:func:`stream_addresses`). A closed
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
    page_policy: str = "open",
) -> dict[str, float]:
    """Drive a fresh model with a synthetic stream; return peak/achieved bandwidth, latency, hit rate."""
    import numpy as np

    from accelsim.memory.dram.model import make_dram
    from accelsim.spec.config import DramConfig

    read_ratio = _check(pattern, request_bytes, streams, read_ratio)
    cfg = DramConfig(preset=preset, channels=channels, ranks=ranks, mapping=mapping,
                     timing=timing or {}, page_policy=page_policy)
    model = make_dram(cfg)
    spec = model.spec
    q = outstanding or spec.queue_depth * spec.ranks * spec.channels
    n = requests or max(256, total_bytes // request_bytes)
    rng = np.random.default_rng(seed)
    capacity = spec.row_bytes * spec.rows * spec.banks_per_rank * spec.ranks * spec.channels
    if pattern == "random":
        addrs = rng.integers(0, capacity // request_bytes, size=n) * request_bytes
    else:
        addrs = np.asarray(stream_addresses(n, request_bytes, streams), dtype=np.int64)
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




def _check(pattern: str, request_bytes: int, streams: int, read_ratio: float | None) -> float:
    """Validate the stream parameters; the read ratio (default 0.75 for mix, else 1)."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of: {', '.join(PATTERNS)}")
    if request_bytes <= 0:
        raise ValueError(f"request_bytes must be positive, got {request_bytes}")
    if streams <= 0:
        raise ValueError(f"streams must be positive, got {streams}")
    if streams > 1 and pattern == "random":
        raise ValueError("streams apply to the seq and mix patterns, not random")
    if read_ratio is None:
        read_ratio = 0.75 if pattern == "mix" else 1.0
    if not 0.0 <= read_ratio <= 1.0:
        raise ValueError(f"read_ratio must be in [0, 1], got {read_ratio}")
    return read_ratio


def stream_addresses(n: int, request_bytes: int, streams: int) -> list[int]:
    """Addresses of ``n`` requests of ``streams`` interleaved sequential streams (request ``i``
    belongs to stream ``i mod streams``); each stream starts at a 64 KiB-aligned base, an equal
    share of the total apart, as the engine places tiles: same banks, different rows."""
    share = -(-n // streams) * request_bytes
    stride = -(-share // STREAM_ALIGN) * STREAM_ALIGN
    return [(i % streams) * stride + (i // streams) * request_bytes for i in range(n)]


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
