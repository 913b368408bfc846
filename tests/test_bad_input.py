"""Bad input → exit 2 with one message naming the file, the YAML path and a hint; never a
traceback, a hang or a silent default. Each case is a reproduction from the reliability issue
(`run` on edge-32x32 + deit_tiny unless said), checked through both `validate` and `run`."""

from __future__ import annotations

import pytest

from accelsim.cli import main
from accelsim.spec import limits, yaml_text

DEIT = "name: w\narch: edge-32x32\nmodel: deit_tiny\n"


def _both(tmp_path, capsys, text: str | bytes, *sets: str) -> list[str]:
    """Exit code 2 from validate and from run (which must not write anything); the messages."""
    path = tmp_path / "w.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    extra = [arg for s in sets for arg in ("--set", s)]
    messages = []
    for argv in (["validate", str(path), *extra],
                 ["run", str(path), *extra, "-o", str(tmp_path / "out"), "--quiet"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err
        messages.append(err)
    assert not (tmp_path / "out").exists()
    return messages


@pytest.mark.parametrize(("text", "expect"), [
    (DEIT + "compression: {scheme: ssvq, k: 16, d: 8}\nseed: -1\n",
     "w.yaml: seed: Input should be greater than or equal to 0 (got -1)"),
    ("name: w\narch: edge-32x32\nlayers: []\n", "w.yaml: layers: List should have at least 1 item"),
    ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, clock_MHz: .inf}\n",
     "w.yaml: arch.clock_MHz: Input should be a finite number"),
    ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, clock_MHz: 1.0e-300}\n",
     "w.yaml: arch.clock_MHz: too small: 1e-300 (limit 1)"),
    (DEIT + "batch: 9223372036854775808\n",
     "w.yaml: batch: too large: 9,223,372,036,854,775,808 (limit 4,096)"),
    (DEIT + "batch: 1000000000\n", "w.yaml: batch: too large: 1,000,000,000 (limit 4,096)"),
    (DEIT + "compression: {scheme: vq, k: 16, d: 1000000000000}\n",
     "w.yaml: compression.d: too large: 1,000,000,000,000 (limit 256)"),
    ("name: w\narch: edge-32x32\nlayers: [{name: a, M: 8, K: 8, N: 8, groups: 10000000}]\n",
     "w.yaml: layers.0.groups: too large: 10,000,000 (limit 65,536)"),
    ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, dram: {channels: 1000000}}\n",
     "w.yaml: arch.dram.channels: too large: 1,000,000 (limit 64)"),
    ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, dram: {timing: {tRCD: .nan}}}\n",
     "w.yaml: arch.dram.timing.tRCD: Input should be a finite number"),
    # an SRAM port moves width_bits / 8 bytes per bank a cycle: a sub-byte word made the
    # codebook port 0 B/cycle (ZeroDivisionError) and stalled the reference model forever
    ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, sram: {codebook: {width_bits: 4}}}\n",
     "w.yaml: arch.sram.codebook.width_bits: Input should be a multiple of 8 (got 4)"),
    ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, sram: {input: {width_bits: 12}}}\n",
     "w.yaml: arch.sram.input.width_bits: Input should be a multiple of 8 (got 12)"),
    (DEIT + "model_args: {seq_len: 100000000}\n",
     "w.yaml: layer 'patch_embed.proj' input elements: too large: 76,799,999,232 "
     "(limit 4,294,967,296)"),
])
def test_issue_reproductions_exit_2_from_validate_and_run(tmp_path, capsys, text, expect):
    for message in _both(tmp_path, capsys, text):
        assert expect in message.replace(str(tmp_path) + "/", "")


def test_messages_of_later_stages_name_the_file(tmp_path, capsys):
    for text, tail in [
        (DEIT.replace("deit_tiny", "deit_tinny"), "model: unknown model 'deit_tinny'"),
        ("name: w\nmodel: deit_tiny\narch: {preset: edge-32x32, energy: {overrides: {macc: 1}}}\n",
         "arch.energy.overrides.macc: unknown key"),
        ("name: w\narch: edge-32x32\nonnx: missing.onnx\n", "onnx: "),
    ]:
        for message in _both(tmp_path, capsys, text):
            assert message.startswith(f"error: {tmp_path / 'w.yaml'}: {tail}"), message


def test_validate_makes_the_mapping_check_run_makes(tmp_path, capsys):
    text = ("name: w\nlayers: [{name: big, M: 64, K: 64, N: 64}]\n"
            "arch: {preset: edge-32x32, sram: {weight: {size_KiB: 0.001}}}\n")
    for message in _both(tmp_path, capsys, text):
        assert "w.yaml: layer 'big'" in message


def test_duplicate_keys_name_both_lines(tmp_path, capsys):
    text = "name: w\narch: edge-32x32\nmodel: deit_tiny\nbatch: 1\nbatch: 4\n"
    for message in _both(tmp_path, capsys, text):
        assert "w.yaml: line 5: duplicate key 'batch' (first given on line 4)" in message
    nested = ("name: w\nmodel: deit_tiny\narch:\n  preset: edge-32x32\n"
              "  sram: {weight: {size_KiB: 1, size_KiB: 2}}\n")
    message = _both(tmp_path, capsys, nested)[0]
    assert "line 5: duplicate key 'size_KiB' (first given on line 5)" in message


@pytest.mark.parametrize(("raw", "expect"), [
    (DEIT.encode() + b"# caf\xe9\n", "line 4: byte 0xe9 at offset 47 is not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "a binary file (NUL byte at offset 8)"),
])
def test_undecodable_and_binary_files(tmp_path, capsys, raw, expect):
    for message in _both(tmp_path, capsys, raw):
        assert expect in message


def test_deep_nesting_is_refused_before_the_parser_recurses(tmp_path, capsys):
    text = DEIT + "model_args: {x: " + "[" * 1000 + "]" * 1000 + "}\n"
    for message in _both(tmp_path, capsys, text):
        assert f"nested more than {yaml_text.MAX_DEPTH} levels deep (limit)" in message


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nsweep: {{batch: *a{levels - 1}}}\n"


@pytest.mark.parametrize("levels", [7, 8])
def test_billion_laughs_in_sweep_is_refused(tmp_path, capsys, levels):
    """Seven levels made a 301 MB summary.json from a 1 KB file; eight were killed at 2.5 GB."""
    for message in _both(tmp_path, capsys, DEIT + _laughs(levels)):
        assert f"too large: expands to more than {yaml_text.MAX_VALUES:,} values" in message


def test_aliases_within_the_limit_still_work(tmp_path, capsys):
    text = ("name: w\nmodel: deit_tiny\n"
            "arch: {preset: edge-32x32, sram: {weight: &b {size_KiB: 64}, input: *b}}\n")
    (tmp_path / "w.yaml").write_text(text)
    assert main(["validate", str(tmp_path / "w.yaml")]) == 0
    assert "ok" in capsys.readouterr().out


def test_set_values_are_bounded_too(tmp_path, capsys):
    (tmp_path / "w.yaml").write_text(DEIT)
    deep = "model_args=" + "[" * 200 + "]" * 200
    assert main(["validate", str(tmp_path / "w.yaml"), "--set", deep]) == 2
    assert "--set model_args=[[[" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "w.yaml"), "--set", "batch={a: 1, a: 2}"]) == 2
    assert "duplicate key 'a'" in capsys.readouterr().err


@pytest.mark.parametrize("same_file", [True, False])
def test_arch_files_naming_each_other_are_a_cycle(tmp_path, capsys, same_file):
    (tmp_path / "a.yaml").write_text("preset: a.yaml\n" if same_file else "preset: b.yaml\n")
    (tmp_path / "b.yaml").write_text("preset: a.yaml\nclock_MHz: 900\n")
    for message in _both(tmp_path, capsys, "name: w\nmodel: deit_tiny\narch: a.yaml\n"):
        assert "arch files name each other in a cycle:" in message
        assert message.count("a.yaml") >= 2


def test_default_output_folder_stays_under_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.yaml").write_text(
        "name: ../../escape\narch: edge-32x32\nlayers: [{name: a, M: 8, K: 8, N: 8}]\n")
    assert main(["run", "w.yaml", "--quiet"]) == 0
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["_.._escape"]


def test_every_limit_is_documented():
    doc = open("docs/config.md", encoding="utf-8").read()
    for path in limits.MAX:
        assert f"`{path}`" in doc, path
    for name in ("MAX_LAYER_ELEMS", "MAX_LAYER_MACS", "MAX_LAYERS", "MAX_SWEEP_POINTS"):
        assert f"{getattr(limits, name):,}" in doc, name


@pytest.mark.parametrize("text", [
    DEIT.replace("arch: edge-32x32", "arch: " + "a" * 3000),
    DEIT.replace("arch: edge-32x32", "arch: {preset: " + "a" * 3000 + "}"),
    DEIT + "traces: " + "a" * 3000 + "\n",
    "name: w\narch: edge-32x32\nonnx: " + "a" * 3000 + "\n",
])
def test_file_names_too_long_for_the_file_system(tmp_path, capsys, text):
    """Found by benchmarks/fuzz.py: OSError (File name too long) tracebacks."""
    for message in _both(tmp_path, capsys, text):
        assert "w.yaml: " in message


def test_an_alias_inside_its_own_anchor_is_a_cycle(tmp_path, capsys):
    """Found by benchmarks/fuzz.py: `--set 'sweep.batch=&a [*a]'` made a recursive list."""
    (tmp_path / "w.yaml").write_text(DEIT)
    assert main(["validate", str(tmp_path / "w.yaml"), "--set", "sweep.batch=&a [*a]"]) == 2
    assert "alias *a refers to the collection it is in (&a)" in capsys.readouterr().err
    for message in _both(tmp_path, capsys, DEIT + "sweep: {batch: &a [1, *a]}\n"):
        assert "w.yaml: line 4, column 23 alias *a refers" in message
