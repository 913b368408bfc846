"""The architect's workflow: the Python API, run --json, compare, report.html, path rules."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import FOUR_LAYERS as FOUR

import accelsim
from accelsim.cli import main
from accelsim.errors import ConfigError


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The four-layer workload as SSVQ and as INT8, saved with Result.save."""
    root = tmp_path_factory.mktemp("runs")
    ssvq = accelsim.simulate(FOUR)
    int8 = accelsim.simulate(FOUR, {"compression": {"scheme": "int8"}, "baseline": None})
    return {"ssvq": (ssvq, ssvq.save(root / "ssvq")), "int8": (int8, int8.save(root / "int8"))}


def test_overrides_as_mapping_equal_the_cli_strings():
    as_dict = accelsim.simulate("workloads/examples/gemm_fc1.yaml", {"batch": 2})
    as_text = accelsim.simulate("workloads/examples/gemm_fc1.yaml", ["batch=2"])
    assert as_dict.config.batch == 2
    assert as_dict.summary == as_text.summary
    # a mapping value is used as given, not parsed as YAML: "2" stays a string name
    assert accelsim.load("workloads/examples/gemm_fc1.yaml", {"name": "2"}).name == "2"
    with pytest.raises(ConfigError, match="did you mean 'codebook'"):
        accelsim.load("workloads/examples/gemm_fc1.yaml", {"arch.sram.codebok.size_KiB": 4})


def test_help_of_the_api_is_the_full_docstring():
    assert "dotted paths" in accelsim.simulate.__doc__ and "Returns" in accelsim.simulate.__doc__
    assert accelsim.Result.save.__doc__ and accelsim.Result.figures.__doc__


def test_result_save_round_trips_through_the_files(runs):
    res, folder = runs["ssvq"]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["totals"]["cycles"] == res.totals["cycles"]
    assert summary["speedup_vs_baseline"] == pytest.approx(
        summary["baseline"]["cycles"] / summary["totals"]["cycles"])
    layers = pd.read_csv(folder / "layers.csv")
    assert layers["layer"].tolist() == ["qkv", "proj", "fc1", "fc2"]
    assert layers["cycles"].sum() == pytest.approx(res.totals["cycles"])
    assert (folder / "baseline_layers.csv").is_file()
    assert not (runs["int8"][1] / "baseline_layers.csv").exists()  # no baseline, no file


def test_result_figures_are_the_plot_kinds(runs):
    figs = runs["ssvq"][0].figures()
    assert list(figs) == ["breakdown", "roofline", "energy"]
    assert figs["energy"].axes[0].get_xlabel() == "energy (µJ)"
    with pytest.raises(ConfigError, match="a run has breakdown"):
        runs["ssvq"][0].figures(["heatmap"])


def test_run_json_prints_exactly_the_summary(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "workloads/examples/gemm_fc1.yaml", "-o", str(out), "--json"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == json.loads((out / "summary.json").read_text())


def test_compare_totals_and_layer_deltas(runs, tmp_path, capsys):
    (ssvq, a), (int8, b) = runs["ssvq"], runs["int8"]
    out = tmp_path / "cmp"
    assert main(["compare", str(b), str(a), "-o", str(out), "--format", "svg"]) == 0
    assert "runs compared with int8" in capsys.readouterr().out
    totals = pd.read_csv(out / "compare_totals.csv")
    assert totals["run"].tolist() == ["int8", "ssvq"]
    assert totals["speedup_vs_first"].tolist() == pytest.approx(
        [1.0, int8.totals["cycles"] / ssvq.totals["cycles"]])
    layers = pd.read_csv(out / "compare_layers.csv")
    assert layers["layer"].tolist() == ["qkv", "proj", "fc1", "fc2"]  # model order
    want = [s["cycles"] - i["cycles"] for s, i in zip(ssvq.rows, int8.rows, strict=True)]
    assert layers["delta_cycles"].tolist() == pytest.approx(want)
    assert layers["delta_dram_bytes"].tolist() == [
        s["dram_bytes"] - i["dram_bytes"] for s, i in zip(ssvq.rows, int8.rows, strict=True)]
    assert (out / "compare.svg").read_text().lstrip().startswith("<?xml")


def test_compare_needs_two_runs(runs, capsys):
    assert main(["compare", str(runs["ssvq"][1])]) == 2
    assert "give at least two run folders" in capsys.readouterr().err


class _Page(HTMLParser):
    """Counts what a report must hold: tables, their rows and headers, SVGs, external links."""

    def __init__(self):
        super().__init__()
        self.tags, self.sortable_rows, self.headers, self.external = [], 0, [], []
        self._in_sortable = self._in_th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "table" and "sortable" in (attrs.get("class") or ""):
            self._in_sortable = True
        if self._in_sortable and tag == "tr":
            self.sortable_rows += 1
        self._in_th = self._in_sortable and tag == "th"
        for key in ("src", "href"):
            if (attrs.get(key) or "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[key])
        if tag == "link":
            self.external.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_sortable = False
        self._in_th = False

    def handle_data(self, data):
        if self._in_th and data.strip():
            self.headers.append(data.strip())


def test_report_is_one_self_contained_page(runs, capsys):
    folder = runs["ssvq"][1]
    assert main(["report", str(folder)]) == 0
    page = _Page()
    page.feed((folder / "report.html").read_text())
    layers = pd.read_csv(folder / "layers.csv")
    assert page.tags.count("svg") == 3  # breakdown, roofline, energy
    assert page.sortable_rows == len(layers) + 1  # header + one row per layer
    assert page.headers == list(layers.columns)
    assert page.external == [] and "script" in page.tags


def test_paths_on_the_command_line_resolve_against_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "w.yaml").write_text(
        "name: w\narch: edge-32x32\nlayers: [{name: a, M: 8, K: 8, N: 8}]\ntraces: t_yaml\n")
    monkeypatch.chdir(tmp_path)
    assert accelsim.load("sub/w.yaml").traces == tmp_path / "sub" / "t_yaml"
    assert accelsim.load("sub/w.yaml", ["traces=t_cli"]).traces == tmp_path / "t_cli"
    assert accelsim.load("sub/w.yaml", {"traces": "t_api"}).traces == tmp_path / "t_api"


def _all_parsers():
    """(name, parser) of every command of python -m accelsim, quant and workloads."""
    import argparse
    import importlib

    from accelsim import cli
    from quant.cli import build_parser
    from workloads.__main__ import _parser as workloads_parser

    tops = [("accelsim", cli._parser()), ("quant", build_parser()),
            ("workloads", workloads_parser())]
    tops += [(f"accelsim {name}", importlib.import_module(f"accelsim.cli.{module}")._parser())
             for name, module in cli.DELEGATED.items()]
    out = []
    for name, parser in tops:
        out.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                out += [(f"{name} {sub}", p) for sub, p in action.choices.items()
                        if sub not in cli.DELEGATED]
    return out


@pytest.mark.parametrize("name, parser", _all_parsers(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_help_has_option_help_and_examples_and_no_markdown(name, parser):
    text = parser.format_help()
    assert "`" not in text and "``" not in text
    assert text.startswith(f"usage: python -m {name.split()[0]}")
    import argparse

    undocumented = [a.option_strings or a.dest for a in parser._actions
                    if not a.help and not isinstance(a, argparse._SubParsersAction)]
    assert undocumented == []
    examples = text.split("examples:\n", 1)[1].splitlines()
    assert 2 <= len(examples) <= 3 and all(e.startswith("  python -m ") for e in examples)


def test_presets_header_is_whole_when_piped(capsys):
    assert main(["presets"]) == 0  # capsys is not a terminal, like a pipe
    assert "weight/input/output/codebook KiB" in capsys.readouterr().out


def test_grid_records_zip_groups_and_resolves_yaml_paths(tmp_path):
    from accelsim.sweep.grid import grid_from_mapping

    data = {"name": "g", "arch": "edge-32x32", "layers": [{"name": "a", "M": 8, "K": 8, "N": 8}],
            "sweep": {"batch": [1, 2], "traces": ["t1", "t2"]},
            "zip": {"compression.scheme": ["vq", "vq"], "compression.k": [16, 256]}}
    grid = grid_from_mapping(data, tmp_path, "g.yaml", axes=["seed=[0,1]"])
    assert grid.groups == [["batch"], ["traces"], ["compression.scheme", "compression.k"], ["seed"]]
    assert {p.values["traces"] for p in grid.points} == {str(tmp_path / "t1"), str(tmp_path / "t2")}
    assert len(grid.points) == 2 * 2 * 2 * 2
