"""Config loading: presets, overrides, relative paths and one clear message per bad input."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accelsim
from accelsim.cli import main
from accelsim.errors import ConfigError

GEMM = "layers: [{name: g, M: 4, K: 8, N: 8}]\n"


def load_text(tmp_yaml, text, *overrides):
    return accelsim.load(tmp_yaml(text), overrides)


def test_unknown_key_has_path_and_hint(tmp_yaml):
    text = "arch: {preset: edge-32x32, sram: {codebok: {size_KiB: 4}}}\n" + GEMM
    with pytest.raises(ConfigError, match=r"arch\.sram\.codebok: unknown key; did you mean 'codebook'\?"):
        load_text(tmp_yaml, text)


def test_message_names_the_file(tmp_yaml):
    p = tmp_yaml("arch: edge-32x32\nbatchh: 2\n" + GEMM)
    with pytest.raises(ConfigError) as exc:
        accelsim.load(p)
    assert str(p) in str(exc.value) and "did you mean 'batch'" in str(exc.value)


@pytest.mark.parametrize("snippet, pattern", [
    ("arch: {preset: edge-32x32, sram: {weight: {size_KiB: -4}}}", r"arch\.sram\.weight\.size_KiB"),
    ("arch: {preset: edge-32x32, sram: {input: {size_KiB: 8, banks: 0}}}", r"banks"),
    ("arch: {preset: edge-32x32, pe_array: {dataflow: xs}}", r"dataflow.*'ws'"),
    ("arch: {preset: edge-32x32, dram: {preset: LPDDR9}}", r"unknown DRAM preset"),
    ("arch: edge-99x99", r"neither an arch preset nor a file"),
    ("arch: missing/arch.yaml", r"arch file not found"),
    ("arch: edge-32x32\ncompression: {scheme: ssvq}", r"needs k and d"),
])
def test_bad_values_are_one_clear_message(tmp_yaml, snippet, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_text(tmp_yaml, snippet + "\n" + GEMM)


def test_preset_overrides_and_relative_arch_file(tmp_path):
    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / "a.yaml").write_text(yaml.safe_dump(
        {"preset": "edge-32x32", "clock_MHz": 1234}))
    w = tmp_path / "w.yaml"
    w.write_text("arch: arch/a.yaml\n" + GEMM)
    cfg = accelsim.load(w)
    assert cfg.arch.clock_MHz == 1234 and cfg.arch.pe_array.rows == 32
    cfg = accelsim.load(w, ["arch.dram.preset=LPDDR5-6400", "batch=8"])
    assert cfg.arch.dram.preset == "LPDDR5-6400" and cfg.batch == 8
    cfg = accelsim.load(w, ["arch.preset=server-128x128"])
    assert cfg.arch.pe_array.rows == 128


@pytest.mark.parametrize("arch", ["edge-32x32", "{preset: edge-32x32}", "{name: inline}"])
def test_set_applies_whatever_the_arch_form(tmp_yaml, arch):
    cfg = load_text(tmp_yaml, f"arch: {arch}\n" + GEMM, "arch.sram.weight.size_KiB=512")
    assert cfg.arch.sram.weight.size_KiB == 512


def test_set_typo_is_rejected(tmp_yaml):
    with pytest.raises(ConfigError, match=r"arch\.sram\.wieght: unknown key; did you mean 'weight'"):
        load_text(tmp_yaml, "arch: edge-32x32\n" + GEMM, "arch.sram.wieght.size_KiB=1")


def test_exactly_one_model_source(tmp_yaml):
    with pytest.raises(ConfigError, match="exactly one of"):
        load_text(tmp_yaml, "arch: edge-32x32\nmodel: deit_tiny\n" + GEMM)


def test_cli_exit_code_2_and_no_traceback(tmp_yaml, capsys):
    p = tmp_yaml("arch: edge-32x32\nbogus: 1\n" + GEMM)
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "bogus: unknown key" in err and "Traceback" not in err
    assert main(["run", str(tmp_yaml("arch: [1, 2\n", "broken.yaml"))]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert main(["run", "does/not/exist.yaml"]) == 2


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["arch", "model", "layers", "batch", "compression", "traces", "sweep",
                        "baseline", "seed", "name", "arch.sram", "arch.pe_array.rows",
                        "arch.dram.preset", "compression.k"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(keys, yaml_values, max_size=5))
def test_random_bad_yaml_never_tracebacks(tmp_path, data):
    base = {"arch": "edge-32x32", "layers": [{"name": "g", "M": 2, "K": 2, "N": 2}]}
    for dotted, value in data.items():
        node = base
        parts = dotted.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    p = tmp_path / "fuzz.yaml"
    p.write_text(yaml.safe_dump(base))
    assert main(["validate", str(p)]) in (0, 2)
