"""Plots: series, axes and files of sweep and run directories, read back from matplotlib."""

from __future__ import annotations

import pytest
from conftest import FOUR_LAYERS

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
    wl = FOUR_LAYERS
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
    assert "ssvq k=64 d=8, DRAM LPDDR4-3200" in labels and "infeasible / error (on the x axis)" in labels
    # the two int8 series are the baseline itself: drawn once, as the baseline line
    assert "baseline (int8): 2 series equal to it lie on this line" in labels
    series = [ln for ln in ax.get_lines() if ln.get_label().startswith(("int8", "ssvq"))]
    assert len(series) == 2
    # colour and marker from the scheme, line style from the DRAM
    assert {ln.get_marker() for ln in series} == {"o"}
    assert len({ln.get_linestyle() for ln in series}) == 2
    assert ax.get_ylim()[0] == 0
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
        names = [t.split(" (")[0] for t in legend_texts(ax)[:4]]
        assert names == ["compute", "DRAM stall", "decoder stall", "codebook stall"]
    # stacked heights add up to each layer's cycles; the legend gives each part's share
    import pandas as pd

    layers = pd.read_csv(run_dir / "layers.csv")
    share = 100 * layers["cycles_compute"].sum() / layers["cycles"].sum()
    assert legend_texts(panels[0])[0] == f"compute ({share:.1f} %)"
    tops = [max(bar.get_y() + bar.get_height() for c in panels[0].containers for bar in [c[i]])
            for i in range(4)]
    assert tops == pytest.approx(layers["cycles"].tolist(), rel=1e-6)


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
    merged = [int(t.get_text()[1:]) for t in ax.texts if t.get_text().startswith("×")]
    assert points + sum(n - 1 for n in merged) == 8  # four layers of the run + four of the baseline


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
    assert (width, height) == (int(10.5 * 150), int(5.6 * 150))
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


def test_zip_groups_from_sweep_meta_label_the_series(tmp_path):
    """A zip block that repeats a value (vq twice) cannot be guessed from the data; the
    groups recorded in sweep_meta.json name each series by all of its zipped values."""
    axes = ["arch.dram.channel_width_bits", "compression.scheme", "compression.k"]
    rows = []
    for i, (width, (scheme, k)) in enumerate((w, z) for w in (8, 16)
                                             for z in (("vq", 16), ("vq", 256), ("ssvq", 16))):
        rows.append((i, dict(zip(axes, (width, scheme, k), strict=True)), record(
            f"h{i}", "ok", metrics_={"cycles": 10.0 * width * k, "time_ms": 1.0, "energy_total_pJ":
                                     8e8 + i, "speedup_vs_baseline": 2.0, "baseline_scheme": "int8"})))
    store = SweepStore(tmp_path)
    store.write_tables(axes, rows)
    store.write_meta({"name": "zipped", "groups": [[axes[0]], axes[1:]]})
    fig = make_figure(tmp_path, "energy")
    ax = fig.axes[0]
    labels = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(labels) == {"vq k=16", "vq k=256", "ssvq k=16"}
    assert ax.get_ylim()[0] == 0  # energy from zero: 800 µJ must not look like 0
    assert labels["vq k=16"].get_color() == labels["vq k=256"].get_color()
    assert labels["vq k=16"].get_linestyle() != labels["vq k=256"].get_linestyle() or \
        labels["vq k=16"].get_marker() != labels["ssvq k=16"].get_marker()
    assert ax.get_xlabel() == "DRAM channel width (bits)"


def test_long_models_are_aggregated_per_block_with_a_detail_figure(tmp_path):
    """30 layers in 10 blocks: the breakdown has 10 bars whose heights are the block sums."""
    import pandas as pd

    from accelsim.plots.breakdown import aggregate, layer_groups

    layers = [{"name": f"blocks.{b}.{n}", "M": 64, "K": 64 * (b + 1), "N": 64,
               "inputs": ["external"]}
              for b in range(10) for n in ("qkv", "proj", "fc")]
    wl = {"name": "deep", "arch": {"preset": "edge-64x64"}, "layers": layers}
    out = tmp_path / "run"
    write_outputs(accelsim.simulate(wl), out)
    df = pd.read_csv(out / "layers.csv")
    assert layer_groups(df)[0] == "block"
    what, agg = aggregate(df)
    assert list(agg["layer"]) == [f"blocks.{b}" for b in range(10)]
    assert list(agg["layers"]) == [3] * 10
    fig = make_figure(out, "breakdown")
    ax = fig.axes[0]
    tops = [max(bar.get_y() + bar.get_height() for c in ax.containers for bar in [c[i]])
            for i in range(10)]
    assert tops == pytest.approx(agg["cycles"].tolist(), rel=1e-6)
    assert "breakdown_layers" in auto_kinds(out)
    detail = make_figure(out, "breakdown_layers").axes[0]
    assert [t.get_text() for t in detail.get_yticklabels()] == df["layer"].tolist()
    # op kind (and unit, when layers.csv has one) when the names give no blocks
    flat = df.assign(layer=[f"l{i}" for i in range(30)], unit="pe")
    flat["layer"] = ["x"] * 30
    assert layer_groups(flat) == ("op kind", ["linear (pe)"] * 30)


def test_roofline_counts_the_layers_at_each_point():
    import pandas as pd

    from accelsim.plots.run_plots import roofline_points

    df = pd.DataFrame({"macs": [100, 100, 100, 400], "dram_bytes": [10, 10, 10, 10],
                       "cycles": [1, 1, 1, 4], "bound": ["dram"] * 4})
    pts = roofline_points(df, clock_MHz=1000.0)
    assert sorted(pts["layers"]) == [1, 3]
    three = pts[pts["layers"] == 3].iloc[0]
    assert three["oi"] == pytest.approx(10.0) and three["perf"] == pytest.approx(100.0)
