"""Plots: series, axes and files of sweep and run directories, read back from matplotlib."""

from __future__ import annotations

import pytest

import accelsim
from accelsim.cli import main as cli_main
from accelsim.errors import ConfigError
from accelsim.plots import auto_kinds, make_figure, plot_dir
from accelsim.plots.common import path_label
from accelsim.report import write_outputs
from accelsim.sweep.point import record
from accelsim.sweep.store import SweepStore

AXES = ["arch.sram.weight.size_KiB", "arch.dram.preset", "compression.scheme", "compression.k",
        "compression.d"]
SCHEMES = [("int8", None, None), ("ssvq", 64, 8)]


@pytest.fixture
def sweep_dir(tmp_path):
    """A synthetic sweep: 4 sizes × 2 DRAMs × 2 schemes; ssvq at 16 KiB is infeasible."""
    rows, i = [], 0
    for size in (16, 32, 64, 128):
        for dram in ("LPDDR4-3200", "LPDDR5-6400"):
            for scheme, k, d in SCHEMES:
                values = dict(zip(AXES, (size, dram, scheme, k, d), strict=True))
                if scheme == "ssvq" and size == 16:
                    rec = record(f"h{i:03d}", "infeasible", "codebook does not fit")
                else:
                    speed = 1.0 if scheme == "int8" else 1.5 + size / 256 + (dram == "LPDDR4-3200")
                    rec = record(f"h{i:03d}", "ok", metrics_={
                        "scheme": scheme, "cycles": 1e6 / speed, "time_ms": 1.25 / speed,
                        "speedup_vs_baseline": speed, "baseline_scheme": "int8",
                        "energy_total_pJ": 2e8 / speed, "dram_bytes": 5e6 / speed})
                rows.append((i, values, rec))
                i += 1
    store = SweepStore(tmp_path / "sweep")
    store.write_tables(AXES, rows)
    store.write_meta({"name": "synthetic"})
    return tmp_path / "sweep"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A real run: four layers, SSVQ against the INT8 baseline on a 64x64 array."""
    wl = {"name": "four", "arch": {"preset": "edge-64x64"},
          "compression": {"scheme": "ssvq", "k": 64, "d": 8}, "baseline": {"scheme": "int8"},
          "layers": [{"name": "qkv", "M": 197, "K": 192, "N": 576},
                     {"name": "proj", "M": 197, "K": 192, "N": 192, "inputs": ["qkv"]},
                     {"name": "fc1", "M": 197, "K": 192, "N": 768},
                     {"name": "fc2", "M": 197, "K": 768, "N": 192}]}
    out = tmp_path_factory.mktemp("run") / "run"
    write_outputs(accelsim.simulate(wl), out)
    return out


def legend_texts(ax) -> list[str]:
    """The legend's entries, whether it sits in the axes or beside them (a figure legend)."""
    legend = ax.get_legend() or ax.figure.legends[0]
    return [t.get_text() for t in legend.get_texts()]


def test_speedup_vs_buffer_has_one_line_per_scheme_and_dram(sweep_dir):
    fig = make_figure(sweep_dir, "speedup")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "weight buffer size (KiB)"
    assert ax.get_ylabel() == "speedup over baseline (×)"
    assert "synthetic" in ax.get_title()
    labels = legend_texts(ax)
    assert "ssvq k=64 d=8, DRAM LPDDR4-3200" in labels and "int8, DRAM LPDDR5-6400" in labels
    assert "baseline (int8)" in labels and "infeasible / error (on the x axis)" in labels
    series = [ln for ln in ax.get_lines() if ln.get_label().startswith(("int8", "ssvq"))]
    assert len(series) == 4
    ssvq = next(ln for ln in series if ln.get_label() == "ssvq k=64 d=8, DRAM LPDDR4-3200")
    assert list(ssvq.get_xdata()) == [32.0, 64.0, 128.0]  # the infeasible 16 KiB point is a ×
    assert ssvq.get_ydata()[-1] == pytest.approx(1.5 + 0.5 + 1)
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["16", "32", "64", "128"]


def test_metric_option_and_units(sweep_dir):
    fig = make_figure(sweep_dir, "speedup", metric="energy_total_pJ")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "energy (µJ)"
    top = max(max(ln.get_ydata(), default=0) for ln in ax.get_lines())
    assert top == pytest.approx(200.0)  # 2e8 pJ at speedup 1 → 200 µJ
    with pytest.raises(ConfigError, match="not a sweep.csv column"):
        make_figure(sweep_dir, "speedup", metric="speed")
    with pytest.raises(ConfigError, match="not a swept axis"):
        make_figure(sweep_dir, "speedup", x="arch.clock_MHz")


def test_heatmap_has_a_panel_per_scheme_and_marks_infeasible_cells(sweep_dir):
    fig = make_figure(sweep_dir, "heatmap")
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title() for ax in panels] == ["int8", "ssvq k=64 d=8"]
    ssvq = panels[1]
    assert ssvq.get_xlabel() == "weight buffer size (KiB)" and ssvq.get_ylabel() == "DRAM"
    assert ssvq.get_images()[0].get_array().shape == (2, 4)
    texts = [t.get_text() for t in ssvq.texts]
    assert texts.count("×") == 2 and "3.00" in texts  # 1.5 + 128/256 + 1 at LPDDR4, 128 KiB
    colorbar = [ax for ax in fig.axes if ax not in panels]
    assert colorbar and colorbar[0].get_ylabel() == "speedup over baseline (×)"


def test_heatmap_needs_two_varying_axes(tmp_path):
    store = SweepStore(tmp_path)
    store.write_tables(["batch"], [(i, {"batch": b}, record(f"h{i}", "ok", metrics_={
        "cycles": 10.0 * b, "time_ms": 1.0 * b})) for i, b in enumerate((1, 2, 4))])
    assert auto_kinds(tmp_path) == ["speedup", "energy"]
    with pytest.raises(ConfigError, match="two swept axes"):
        make_figure(tmp_path, "heatmap")
    fig = make_figure(tmp_path, "speedup")  # no baseline: falls back to latency
    assert fig.axes[0].get_ylabel() == "latency (ms)"


def test_breakdown_stacks_four_parts_per_layer_for_run_and_baseline(run_dir):
    fig = make_figure(run_dir, "breakdown")
    panels = fig.axes
    assert len(panels) == 2
    assert panels[0].get_title().startswith("ssvq-k64-d8") and "baseline" in panels[1].get_title()
    for ax in panels:
        assert ax.get_ylabel() == "cycles"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["qkv", "proj", "fc1", "fc2"]
        assert len(ax.containers) >= 4 and all(len(c) == 4 for c in ax.containers)
        assert legend_texts(ax)[:4] == ["compute", "DRAM stall", "decoder stall", "codebook stall"]
    # stacked heights add up to each layer's cycles_total
    import pandas as pd

    layers = pd.read_csv(run_dir / "layers.csv")
    tops = [max(bar.get_y() + bar.get_height() for c in panels[0].containers for bar in [c[i]])
            for i in range(4)]
    assert tops == pytest.approx(layers["cycles_total"].tolist(), rel=1e-6)


def test_roofline_uses_the_arch_roofs(run_dir):
    fig = make_figure(run_dir, "roofline")
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_xlabel() == "operational intensity (MAC / DRAM byte)"
    assert ax.get_ylabel() == "achieved throughput (GMAC/s)"
    roof = ax.get_lines()[0]
    assert max(roof.get_ydata()) == pytest.approx(64 * 64 * 1000 / 1e3)  # 4096 GMAC/s
    x, y = roof.get_xdata()[0], roof.get_ydata()[0]
    assert y == pytest.approx(6.4 * x)  # LPDDR4-3200 x16 → 6.4 GB/s
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "4,096 GMAC/s" in texts and "6.4 GB/s" in texts
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 8  # four layers of the run + four of the baseline


def test_energy_breakdown_bars(run_dir):
    fig = make_figure(run_dir, "energy")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "energy (µJ)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ssvq-k64-d8", "int8 (baseline)"]
    assert len(ax.containers) == 7 and all(len(c) == 2 for c in ax.containers)


def test_cli_auto_writes_png_and_svg_with_the_figure_size(sweep_dir, run_dir, capsys):
    from matplotlib.image import imread

    assert cli_main(["plot", str(sweep_dir)]) == 0
    names = sorted(p.name for p in (sweep_dir / "plots").iterdir())
    assert names == [f"sweep_{k}.{f}" for k in ("energy", "heatmap", "speedup")
                     for f in ("png", "svg")]
    height, width = imread(sweep_dir / "plots" / "sweep_speedup.png").shape[:2]
    assert (width, height) == (int(10.5 * 150), int(4.6 * 150))
    assert (sweep_dir / "plots" / "sweep_speedup.svg").read_text().lstrip().startswith("<?xml")
    paths = plot_dir(run_dir, ["auto"], run_dir / "figs", formats=["png"])
    assert sorted(p.name for p in paths) == ["run_breakdown.png", "run_energy.png",
                                             "run_roofline.png"]
    capsys.readouterr()
    assert cli_main(["plot", str(run_dir), "--kind", "heatmap"]) == 2
    assert "does not apply to a run directory" in capsys.readouterr().err
    assert cli_main(["plot", str(run_dir / "nope")]) == 2


@pytest.mark.parametrize("path, label", [
    ("arch.sram.codebook.size_KiB", "codebook buffer size (KiB)"),
    ("arch.sram.weight.size_KiB", "weight buffer size (KiB)"),
    ("arch.dram.preset", "DRAM"),
    ("arch.clock_MHz", "clock (MHz)"),
    ("arch.dram.bandwidth_GBps", "DRAM bandwidth (GB/s)"),
    ("compression.k", "compression codewords k"),
    ("batch", "batch"),
])
def test_axis_labels_name_the_unit(path, label):
    assert path_label(path) == label
