"""The mapper: selection by simulation, user constraints, tiles that fit their (half-)buffers."""

from __future__ import annotations

import pytest
from conftest import gemm_workload, run_main
from hypothesis import example, given, settings
from hypothesis import strategies as st

import accelsim
from accelsim.cli import main as cli_main
from accelsim.errors import ConfigError, InfeasibleError
from accelsim.memory import peak_GBps
from accelsim.plan import formats
from accelsim.plan.mapping import Operands, candidates
from accelsim.plan.pe_array import compute_cycles
from accelsim.plan.plan import MAPPER_BW_EFFICIENCY, build_plans, layer_plan
from accelsim.search.select import Chooser, near_ties, simulate_alone
from accelsim.spec.layers import resolve_layers


def one_layer(M, K, N, flow="os", side=16, sram_KiB=(128, 256, 256), dram="LPDDR5-6400", **extra):
    arch = {"preset": "edge-32x32", "clock_MHz": 1000,
            "pe_array": {"rows": side, "cols": side, "dataflow": flow},
            "sram": {b: {"size_KiB": s} for b, s in zip(("weight", "input", "output"), sram_KiB,
                                                          strict=True)},
            "dram": {"preset": dram}}
    return {"name": "one", "arch": arch, "layers": [{"name": "g", "M": M, "K": K, "N": N}],
            "baseline": None, **extra}


def near_tied(wl):
    """The run's layer, its format and operands, and the mapper's near-tied candidates."""
    cfg = accelsim.load(wl)
    layer = resolve_layers(cfg)[0]
    fmt = formats.layer_format(layer, cfg.compression, 1, cfg.seed)
    ops = Operands(fmt.w_bits, 1, 1)
    bpc = peak_GBps(cfg.arch.dram) * MAPPER_BW_EFFICIENCY / (cfg.arch.clock_MHz / 1000)
    cands = candidates(layer, cfg.arch, ops, bpc, latency=Chooser(cfg, [layer]).latency)
    near = near_ties(cands)
    return cfg, layer, fmt, ops, near, bpc


def assert_fastest_of_near_ties(wl):
    cfg, layer, fmt, ops, near, _ = near_tied(wl)
    row = accelsim.simulate(wl).layers.iloc[0]
    sims = {f"{c.Gt}x{c.Mt}x{c.Kt}x{c.Nt}/{c.order}": simulate_alone(cfg.arch, layer, fmt, c, ops)
            for c in near}
    assert row["cycles"] == pytest.approx(min(sims.values()), rel=1e-12)
    assert f"{row['tile']}/{row['loop_order']}" in sims
    return row, sims, near


@pytest.mark.slow
def test_gemv_on_os_array_picks_the_loop_order_that_does_not_spill():
    # issue case: K cut at 3670 with K outside N spills partial sums whose 64 B read-backs
    # queue behind in-flight weight tiles; the old estimate put it within 0.04 % of a
    # K-innermost order that simulates ~25 % faster
    wl = one_layer(1, 11008, 4096)
    row = assert_fastest_of_near_ties(wl)[0]
    spill = accelsim.simulate({**wl, "mapping": {"g": {"tile": {"M": 1, "K": 3670, "N": 16},
                                                       "loop_order": "mkn"}}}).layers.iloc[0]
    assert spill["dram_write_psum_B"] > 0 and spill["dram_read_psum_read_B"] > 0
    assert row["dram_write_psum_B"] == 0 and row["dram_read_psum_read_B"] == 0
    # with the FR-FCFS controller the 64 B read-backs no longer wait behind whole weight tiles, so
    # the spilling order costs about as much instead of ~25 % more; since large reads interleave
    # with burst-level traffic (issue 13) it is 0.57 % faster than the choice (3.831 M vs 3.852 M
    # cycles), which the estimate does not see: the choice must be within 1 % of it
    assert spill["cycles"] > 0.99 * row["cycles"]
    # the estimate now charges each read-back its latency: it ranks them as the engine does
    assert spill["est_cycles"] > row["est_cycles"]
    assert row["weight_refetch"] == 1.0


def test_small_layer_with_huge_buffers_beats_the_estimates_pick_and_a_whole_n_tile():
    wl = one_layer(7, 33, 1000, sram_KiB=(4096, 4096, 4096))
    row, sims, near = assert_fastest_of_near_ties(wl)
    first = near[0]
    assert row["cycles"] < sims[f"{first.Gt}x{first.Mt}x{first.Kt}x{first.Nt}/{first.order}"]
    pinned = {"g": {"tile": {"M": 7, "K": 33, "N": 1000}}}
    whole_n = accelsim.simulate({**wl, "mapping": pinned}).layers.iloc[0]
    assert whole_n["tile"] == "1x7x33x1000"
    assert row["cycles"] <= whole_n["cycles"]


def test_selection_is_cached_per_shape(monkeypatch):
    import dataclasses

    import accelsim.search.select as select

    cfg, layer, fmt, ops, near, bpc = near_tied(one_layer(7, 33, 1000, sram_KiB=(4096,) * 3))
    twin = dataclasses.replace(layer, name="twin")
    calls = []
    real = select.simulate_alone
    monkeypatch.setattr(select, "simulate_alone", lambda *a, **k: calls.append(a[3]) or real(*a, **k))
    select._cache.clear()
    chooser = Chooser(cfg, [layer, twin])
    first = chooser(0, layer, fmt, ops, bpc)
    assert len(calls) == len(near) > 1  # every near-tied candidate simulated once
    assert chooser(1, twin, fmt, ops, bpc) == first
    assert len(calls) == len(near)  # the identical layer paid nothing


def test_mapping_times_are_remembered_without_the_buffer_sizes(monkeypatch):
    # the cache of simulated times leaves the weight/input/output buffer sizes out of its key:
    # the invariant it relies on, and that remembered times and stopped runs answer as fresh ones
    import accelsim.search.select as select

    cfg, layer, fmt, ops, near, _ = near_tied(one_layer(7, 33, 1000, sram_KiB=(4096,) * 3))
    other = accelsim.load(one_layer(7, 33, 1000, sram_KiB=(8192, 512, 1024))).arch
    fresh = [simulate_alone(cfg.arch, layer, fmt, mp, ops) for mp in near]
    assert [simulate_alone(other, layer, fmt, mp, ops) for mp in near] == fresh
    key = select.timing_key(cfg.arch)
    assert select.timing_key(other) == key != select.timing_key(cfg.arch.model_copy(
        update={"clock_MHz": 2 * cfg.arch.clock_MHz}))
    values = sorted(set(fresh))
    assert len(values) > 2
    limit = (values[1] + values[2]) / 2  # two candidates finish within it, the rest are stopped
    expect = [c if c < limit else float("inf") for c in fresh]
    select._timed.clear()
    calls = []
    real = select._simulate
    monkeypatch.setattr(select, "_simulate", lambda *a: calls.append(a[3]) or real(*a))
    assert [simulate_alone(cfg.arch, layer, fmt, mp, ops, limit, key) for mp in near] == expect
    assert [simulate_alone(other, layer, fmt, mp, ops, limit, key) for mp in near] == expect
    assert len(calls) == len(near)  # the second architecture simulated nothing
    assert [simulate_alone(cfg.arch, layer, fmt, mp, ops, float("inf"), key) for mp in near] == fresh
    assert len(calls) == 2 * len(near) - 2  # only the stopped runs ran again, to the end


# --- constraints ------------------------------------------------------------------------------

def test_constraints_pin_loop_order_tile_and_dataflow_by_glob():
    layers = [{"name": "blk.0.fc1", "M": 64, "K": 256, "N": 512},
              {"name": "blk.0.fc2", "M": 64, "K": 512, "N": 256},
              {"name": "head", "M": 64, "K": 256, "N": 96}]
    wl = {**one_layer(1, 1, 1, flow="ws", side=32), "layers": layers,
          "mapping": {"blk.*.fc1": {"loop_order": "nkm", "tile": {"N": 128}},
                      "blk.*": {"tile": {"K": 64, "N": 64}, "loop_order": ["knm", "kmn"]},
                      "head": {"dataflow": "is", "tile": {"M": 64, "K": 256, "N": 96}}}}
    rows = accelsim.simulate(wl).layers.set_index("layer")
    assert rows.loc["blk.0.fc1", "loop_order"] == "nkm"
    assert rows.loc["blk.0.fc1", "tile"].endswith("x128")
    # the first matching entry applies: fc2 gets blk.*, not blk.*.fc1
    assert rows.loc["blk.0.fc2", "tile"].split("x")[2:] == ["64", "64"]
    assert rows.loc["blk.0.fc2", "loop_order"] in ("knm", "kmn")
    # one untiled step in the is dataflow: the SCALE-Sim count of is, not of ws
    assert rows.loc["head", "cycles_compute"] == compute_cycles("is", 32, 32, 64, 256, 96)
    assert compute_cycles("is", 32, 32, 64, 256, 96) != compute_cycles("ws", 32, 32, 64, 256, 96)


def test_infeasible_constraint_names_layer_and_short_buffer():
    wl = {**one_layer(64, 4096, 4096, sram_KiB=(64, 256, 256)),
          "mapping": {"g": {"tile": {"K": 4096, "N": 64}}}}
    # 4096·64 INT8 weights + 64 fp16 scales = 262,272 B = 256.12 KiB; half of 64 KiB available
    with pytest.raises(InfeasibleError,
                       match=r"layer 'g' under mapping.'g': the smallest tile needs 256.12 KiB in "
                             r"the weight buffer but only 32.00 KiB"):
        accelsim.simulate(wl)


@pytest.mark.parametrize("mapping, message", [
    ({"fc*": {"loop_order": "mkn"}}, r"mapping.'fc\*': matches no layer"),
    ({"g": {"loop_order": "mkk"}}, r"mapping.g.loop_order.*not a permutation of 'mkn'"),
    ({"g": {"tile": {"X": 4}}}, r"mapping.g.tile.X"),
    ({"g": {"dataflw": "os"}}, r"mapping.g.dataflw: unknown key; did you mean 'dataflow'"),
])
def test_bad_constraints_are_config_errors(mapping, message):
    with pytest.raises(ConfigError, match=message):
        accelsim.simulate({**one_layer(8, 8, 8), "mapping": mapping})


def test_bad_constraint_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("arch: {preset: edge-32x32, sram: {weight: {size_KiB: 16}}}\n"
                   "layers: [{name: fc, M: 4, K: 1024, N: 1024}]\n"
                   "mapping: {fc: {tile: {K: 1024, N: 1024}}}\n")
    proc = run_main(cli_main, ["run", bad, "-o", tmp_path / "out"])
    assert proc.returncode == 2
    assert "layer 'fc'" in proc.stderr and "weight buffer" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- every chosen tile fits its (half-)buffer ---------------------------------------------------

def _capacity(buf) -> float:
    """Bytes one tile may occupy, from the config alone (half when double-buffered)."""
    return buf.size_KiB * 1024 / (2 if buf.double_buffer else 1)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(M=st.integers(1, 600), K=st.integers(1, 3000), N=st.integers(1, 3000),
       groups=st.sampled_from([1, 1, 4]), kib=st.tuples(*[st.sampled_from([4, 8, 16, 48, 128])] * 3),
       double=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       scheme=st.sampled_from(["int8", "ssvq"]), flow=st.sampled_from(["ws", "os", "is"]))
@example(M=197, K=768, N=768, groups=1, kib=(16, 16, 16), double=(True, True, True),
         scheme="int8", flow="ws")
@example(M=1, K=3000, N=3000, groups=1, kib=(8, 4, 4), double=(True, False, True),
         scheme="int8", flow="os")
def test_every_chosen_tile_fits_its_half_buffer(M, K, N, groups, kib, double, scheme, flow):
    # selection picks among the mapper's candidates (its near ties, or all of them when every
    # near tie stalls): every one of them is checked, planned without simulating any
    import accelsim.search.select as select

    comp = {"scheme": "int8"} if scheme == "int8" else {"scheme": "ssvq", "k": 16, "d": 8}
    sram = {b: {"size_KiB": s, "double_buffer": d}
            for b, s, d in zip(("weight", "input", "output"), kib, double, strict=True)}
    wl = gemm_workload(M, K, N, sram=sram, pe_array={"dataflow": flow},
                       dram={"preset": "LPDDR4-3200"})
    wl["layers"][0]["groups"] = groups
    cfg = accelsim.load({**wl, "compression": comp})
    layers = resolve_layers(cfg)
    offered = []

    def recording(layer, arch, ops, *rest):
        offered.append((ops, candidates(layer, arch, ops, *rest)))
        return offered[-1][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(select, "candidates", recording)
        patch.setattr(select, "fastest", lambda arch, layer, fmt, ops, cands, *a: (cands[0], 0.0))
        patch.setattr(select, "_cache", {})  # the choices made here stay here
        try:
            plan = build_plans(cfg, layers, cfg.compression, None, 12.8, Chooser(cfg, layers))[0]
        except InfeasibleError:
            return
    (ops, cands), = offered
    assert plan.mapping in cands
    sram_cfg = cfg.arch.sram
    for mp in cands:
        sch = layer_plan(0, layers[0], plan.fmt, mp, cfg.arch, ops).schedule
        tile_bytes = sum(b for b in sch.w_bytes.values())
        # integer stream splits may round a tile up by one byte per stream
        assert tile_bytes.max() <= _capacity(sram_cfg.weight) + len(sch.w_bytes)
        assert sch.i_bytes[sch.new_i].max(initial=0) <= _capacity(sram_cfg.input) + 1
        assert mp.Gt * mp.Mt * mp.Nt * 4 <= _capacity(sram_cfg.output)  # 32-bit partial sums


# --- a bigger buffer never costs cycles or traffic (issue 20's counterexample and its neighbours) --

def _weight_buffer_run(M, K, N, kib):
    return accelsim.simulate(gemm_workload(
        M, K, N, sram={"weight": {"size_KiB": kib}},
        dram={"preset": "simple", "bandwidth_GBps": 3.2, "latency_ns": 80})).summary["totals"]


@pytest.mark.slow
@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(M=st.integers(150, 240), K=st.integers(520, 840), N=st.integers(150, 240))
@example(M=193, K=680, N=193)  # 431,355 → 431,741 B and +7.6 % cycles before the fix
@example(M=158, K=614, N=193)  # found near it: +7.4 % cycles once selection was by simulation
@example(M=190, K=579, N=164)
@example(M=157, K=574, N=197)
@example(M=229, K=686, N=225)
def test_bigger_weight_buffer_never_costs_cycles_and_buys_traffic_only_with_time(M, K, N):
    small, big = _weight_buffer_run(M, K, N, 16), _weight_buffer_run(M, K, N, 64)
    assert big["cycles"] <= small["cycles"] * (1 + 1e-12)
    # the objective is time: a mapping the bigger buffer admits may move a few more bytes, but
    # only when it is faster (e.g. 229×686×225: +0.44 % bytes, −0.24 % cycles)
    if big["dram_bytes"] > small["dram_bytes"]:
        assert big["cycles"] < small["cycles"]


def test_validate_rejects_a_mapping_pattern_that_matches_no_layer(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text("arch: edge-32x32\nlayers: [{name: fc1, M: 4, K: 8, N: 8}]\n"
                   "mapping: {fc2: {loop_order: mkn}}\n")
    proc = run_main(cli_main, ["validate", bad])
    assert proc.returncode == 2
    assert "mapping.'fc2': matches no layer" in proc.stderr and "Traceback" not in proc.stderr


def test_patch_embedding_refetch_is_reported_not_hidden(deit_ssvq):
    # DeiT-Tiny's patch embedding: 192 × 768 = 147,456 weights. In INT8 the whole weight matrix
    # (147,456 B + 384 B of scales) does not fit the 64 KiB half of the weight buffer, nor the
    # whole-M input tile (196 × 768 = 150,528 B) the 128 KiB half of the input buffer, so one
    # operand is read twice; the SSVQ tile (1.5 b/w: 27 KiB) fits and is fetched once
    res = deit_ssvq
    ssvq = res.layers.set_index("layer").loc["patch_embed.proj"]
    int8 = res.baseline_layers.set_index("layer").loc["patch_embed.proj"]
    assert ssvq["weight_refetch"] == 1.0
    assert int8["dram_read_weights_B"] == int8["weight_refetch"] * 147_456
    assert int8["dram_read_input_B"] == 196 * 768 or int8["weight_refetch"] == 1.0
    assert int8["weight_refetch"] > 1.0 or int8["dram_read_input_B"] > 196 * 768
