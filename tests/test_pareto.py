"""experiments/pareto.py: Pareto front, paraphrase recall, grid, summary, design points."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tokenizers")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import pareto, speedup_sweeps  # noqa: E402


def test_pareto_front_by_hand():
    pts = [(1.0, 0.99), (3.0, 0.80), (2.9, 0.75), (3.1, 0.70), (3.0, 0.80), (2.0, 0.99)]
    # (2.9, .75) loses to (3, .8); (1, .99) to (2, .99); equal points do not dominate each other
    assert pareto.pareto_front(pts) == [False, True, False, True, True, True]


def test_paraphrase_recall_by_hand():
    e = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.95, 0.05], [0.0, 1.0]])
    e = torch.nn.functional.normalize(e, dim=1)
    # cosines by hand: 0·1 = .994, 0·2 = .9986, 1·2 = .9984, 3·1 = .110, 3·2 = .052
    sim = e @ e.T
    sim.fill_diagonal_(-2)
    assert sim.argmax(1).tolist() == [2, 2, 0, 1]
    assert pareto.paraphrase_recall(e, pairs=2) == 0.0
    # reordered (old 0, 2, 1, 3): nearest 1, 0, 1, 2; partners 1, 0, 3, 2 -> 3 of 4
    assert pareto.paraphrase_recall(e[[0, 2, 1, 3]], pairs=2) == 0.75


def test_grid_covers_k_and_d_and_bits_are_totals():
    compressed = [g for g in pareto.GRID if g[0] != "int8"]
    assert len(pareto.GRID) >= 12
    for scheme in ("vq", "ssvq"):
        mine = [g for g in compressed if g[0] == scheme]
        assert len({k for _, k, _ in mine}) >= 3 and len({d for *_, d in mine}) >= 2
    rows = pareto.summarise(fake_runs(), pareto.minilm_shapes(), [0, 1])
    by = {r["setting"]: r for r in rows}
    # MiniLM: 10,616,832 weights in 36 layers; VQ k=64 d=4 adds 36·16·256 codebook bits
    assert by["VQ k64 d4"]["total_bits_per_weight"] == pytest.approx(
        1.5 + 36 * 16 * 256 / 10616832, abs=1e-4)
    assert by["INT8"]["total_bits_per_weight"] == 8.0


def fake_runs():
    def run(scheme, k, d, seed, cos, speed):
        r = {"label": pareto.label(scheme, k, d), "scheme": scheme, "k": k, "d": d,
             "seed": seed, "before": {"cos_mean": cos - 0.1, "recall": 0.9},
             "after": {"cos_mean": cos, "recall": 1.0}, "finetune_s": 1.0}
        if scheme != "int8" and seed == 0:
            r["sim"] = {n: {"speedup": speed * (1 + i)} for i, n in enumerate(pareto.DESIGN_POINTS)}
        return r
    return [run("int8", None, None, s, 0.99, 1) for s in (0, 1)] + \
        [run("ssvq", 16, 8, s, 0.80 + 0.02 * s, 3.0) for s in (0, 1)] + \
        [run("vq", 64, 4, s, 0.78, 2.9) for s in (0, 1)]


def test_summary_means_seeds_and_flags_the_front():
    rows = pareto.summarise(fake_runs(), pareto.minilm_shapes(), [0, 1])
    by = {r["setting"]: r for r in rows}
    assert by["SSVQ k16 d8"]["cos_mean"] == pytest.approx(0.81)
    assert (by["SSVQ k16 d8"]["cos_s0"], by["SSVQ k16 d8"]["cos_s1"]) == (0.8, 0.82)
    assert by["INT8"]["speedup_edge_membound"] == 1.0
    assert by["SSVQ k16 d8"]["speedup_decode_1tok"] == 6.0  # second design point: 2 × 3.0
    for name in pareto.DESIGN_POINTS:
        assert [r[f"front_{name}"] for r in rows] == [True, True, False]


def test_design_points_are_weight_bound(resimulated):
    """SSVQ k=16 d=8 (uniform indices) beats INT8 at both points, more so at one token a step,
    and fetches the bits the accounting gives (``pareto.simulate`` of that trace, as the
    ``--resimulate`` run below saved it: the same simulation, run once)."""
    sim = json.loads(pareto.run_path(resimulated, "SSVQ k16 d8", 0, 4).read_text())["sim"]
    assert 2.0 < sim["edge_membound"]["speedup"] < sim["decode_1tok"]["speedup"] < 8 / 1.5
    bits = speedup_sweeps.total_bits("minilm_l6", "ssvq-k16-d8")
    assert sim["decode_1tok"]["bits_fetched"] == pytest.approx(bits, abs=0.01)


def test_pairs_table_lists_matching_pairs_present():
    rows = pareto.summarise(fake_runs(), pareto.minilm_shapes(), [0, 1])
    lines = pareto.pairs_table(rows, [0, 1]).splitlines()
    assert len(lines) == 4  # header, rule, VQ k64 d4 and SSVQ k16 d8 (the 1.5-bit pair)
    assert lines[2].startswith("| 1.514 | VQ k64 d4 | 0.6800 | 0.7800 | 0.7800 / 0.7800 |")
    assert lines[3].startswith("| 1.507 | SSVQ k16 d8 | 0.7100 | 0.8100 | 0.8000 / 0.8200 |")
    assert lines[3].endswith("| 3.00× / 6.00× |")


def stale_run_dir(out: Path) -> Path:
    """A run directory of the ``--quick`` grid after 4 steps: INT8 and SSVQ k16 d8 (seed 0) with
    speedups from an older simulator (99×), the fp32 recall, and SSVQ's trace (uniform indices)."""
    runs = [r for r in fake_runs() if r["seed"] == 0 and r["scheme"] != "vq"]
    runs[1]["sim"] = {n: {"speedup": 99.0} for n in pareto.DESIGN_POINTS}
    for r in runs:
        path = pareto.run_path(out, r["label"], 0, 4)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))
    (out / "runs" / "fp32.json").write_text('{"recall": 1.0}')
    return speedup_sweeps.uniform_trace("minilm_l6", "ssvq", 16, 8, pareto.trace_dir(out, "SSVQ k16 d8"))


def test_resimulate_without_a_trace_names_it_and_exits_2(tmp_path, capsys):
    out = tmp_path / "run"
    shutil.rmtree(stale_run_dir(out))
    assert pareto.main(["--quick", "--resimulate", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    trace = out / "traces" / "SSVQ-k16-d8"
    assert err.startswith(f"error: {trace}: no exported trace for SSVQ k16 d8 (seed 0)")
    assert "without --resimulate" in err
    assert not (out / "pareto.csv").exists()


@pytest.fixture(scope="module")
def resimulated(tmp_path_factory) -> Path:
    """The run directory of ``stale_run_dir`` after ``--quick --resimulate`` (run once)."""
    out = tmp_path_factory.mktemp("pareto") / "run"
    stale_run_dir(out)
    assert pareto.main(["--quick", "--resimulate", "--out", str(out)]) == 0
    return out


def test_resimulate_replaces_stale_speedups_and_keeps_accuracy(resimulated):
    out = resimulated
    saved = json.loads(pareto.run_path(out, "SSVQ k16 d8", 0, 4).read_text())
    rows = {r["setting"]: r for r in csv.DictReader((out / "pareto.csv").open())}
    assert set(rows) == {"INT8", "SSVQ k16 d8"}  # VQ k64 d4 never ran: left out, not invented
    for name in pareto.DESIGN_POINTS:
        speedup = saved["sim"][name]["speedup"]
        assert 1.0 < speedup < 8 / 1.5  # the stale 99x is gone; bounded by the bits fetched
        assert float(rows["SSVQ k16 d8"][f"speedup_{name}"]) == round(speedup, 4)
        assert saved["sim"][name]["bits_fetched"] == pytest.approx(
            speedup_sweeps.total_bits("minilm_l6", "ssvq-k16-d8"), abs=0.01)
        assert rows["INT8"][f"front_{name}"] == rows["SSVQ k16 d8"][f"front_{name}"] == "True"
    assert (rows["SSVQ k16 d8"]["cos_s0"], rows["SSVQ k16 d8"]["recall_s0"]) == ("0.8", "1.0")
    assert json.loads((out / "pareto.json").read_text())["resimulate_s"] > 0
    assert (out / "pareto.png").stat().st_size > 0


def test_label_boxes_overlap_by_hand():
    from experiments.pareto_plot import overlap_px

    assert overlap_px((0, 0, 10, 4), (6, 2, 20, 30)) == 4 * 2
    assert overlap_px((0, 0, 10, 4), (10, 0, 20, 4)) == 0  # touching edges share no area
    assert overlap_px((0, 0, 10, 4), (2, 1, 3, 2)) == 1


def test_a_label_goes_left_when_the_right_is_taken():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.pareto_plot import place_label

    fig, ax = plt.subplots()
    ax.set(xlim=(0, 10), ylim=(0, 10))
    px, py = ax.transData.transform((5, 5))
    taken = [(px + 1, py - 50, px + 200, py + 50)]  # everything right of the point
    place_label(ax, 5, 5, "k16 d8\n1.51 b", "k", taken)
    label = ax.texts[-1]
    box = taken[-1]
    assert label.get_ha() == "right" and box[2] < px
    plt.close(fig)
