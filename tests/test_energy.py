"""The energy model on one-layer cases worked by hand from the energy table (report/energy.py).

Access counts, per layer: every MAC once; the weight buffer is written once by the DMA and read
once by the array (2 x the fetched weight bytes); the input buffer is written with the DRAM input
bytes and read once per column fold (ceil(N / cols)); the output buffer reads and writes each
32-bit partial sum once per row fold (ceil(K / rows)); the codebook buffer is written with the
codebook and read once per lookup (d entries of 2 B each for fp16); the decoder handles every
fetched weight. SRAM energy per byte is ``E64 / 8 * (bank_KiB / 8) ** p`` with ``bank_KiB`` the
capacity of one bank; DRAM energy with ``ideal`` memory (which reports none) is bits x pJ/bit.
"""

from __future__ import annotations

import pytest

import accelsim

E64, P = 10.0, 0.4746  # the default table: pJ per 64-bit access at 8 KiB, size exponent


def per_byte(size_KiB, banks, e64=E64, p=P):
    return e64 / 8 * (size_KiB / banks / 8) ** p


def run(M, K, N, comp=None, mac="int8", overrides=None, dram=None, codebook_KiB=16):
    arch = {"preset": "edge-32x32", "dram": dram or {"preset": "ideal"},
            "pe_array": {"rows": 32, "cols": 32, "dataflow": "ws", "mac": mac},
            "sram": {"weight": {"size_KiB": 8, "banks": 1}, "input": {"size_KiB": 64, "banks": 2},
                     "output": {"size_KiB": 16, "banks": 1},
                     "codebook": {"size_KiB": codebook_KiB, "banks": 8}}}
    if overrides:
        arch["energy"] = {"overrides": overrides}
    wl = {"arch": arch, "layers": [{"name": "g", "M": M, "K": K, "N": N}], "baseline": None,
          "compression": comp or {"scheme": "int8"}}
    return accelsim.simulate(wl).layers.iloc[0]


def components(row) -> dict:
    keys = ("mac", "weight_buf", "input_buf", "output_buf", "codebook_buf", "decoder", "dram")
    return {k: row[f"energy_{k}_pJ"] for k in keys}


def test_int8_layer_worked_by_hand():
    # 64 x 32 x 32 on a 32x32 array: one row fold, one column fold, every tile fetched once
    row = run(64, 32, 32)
    weight_B = 32 * 32 + 2 * 32  # int8 weights + fp16 scales
    want = {
        "mac": 64 * 32 * 32 * 0.30,
        "weight_buf": 2 * weight_B * per_byte(8, 1),  # = 1.25 pJ/B (one 8 KiB bank)
        "input_buf": (64 * 32 + 64 * 32 * 1) * per_byte(64, 2),
        "output_buf": 64 * 32 * 1 * 2 * 4 * per_byte(16, 1),
        "codebook_buf": 0.0,
        "decoder": 0.0,
        "dram": (weight_B + 64 * 32 + 64 * 32) * 8 * 5.0,  # weights, input, output at 5 pJ/bit
    }
    assert per_byte(8, 1) == pytest.approx(1.25)
    assert components(row) == pytest.approx(want, rel=1e-12)
    assert row["energy_total_pJ"] == pytest.approx(sum(want.values()), rel=1e-12)


def test_ssvq_layer_worked_by_hand():
    # 16 x 64 x 64: two row folds and two column folds; SSVQ k=16 d=8 (4-bit indices, signs)
    row = run(16, 64, 64, {"scheme": "ssvq", "k": 16, "d": 8})
    index_B, sign_B, codebook_B = 64 * 8 * 4 // 8, 64 * 64 // 8, 16 * 8 * 2
    lookups = 64 * 8  # one per 8-vector
    want = {
        "mac": 16 * 64 * 64 * 0.30,
        "weight_buf": 2 * (index_B + sign_B) * per_byte(8, 1),
        "input_buf": (16 * 64 + 16 * 64 * 2) * per_byte(64, 2),
        "output_buf": 16 * 64 * 2 * 2 * 4 * per_byte(16, 1),
        "codebook_buf": (codebook_B + lookups * 8 * 2) * per_byte(16, 8),
        "decoder": 64 * 64 * 0.03,
        "dram": (index_B + sign_B + codebook_B + 16 * 64 + 16 * 64) * 8 * 5.0,
    }
    assert components(row) == pytest.approx(want, rel=1e-12)


def test_overrides_and_fp16_macs_worked_by_hand():
    tab = {"mac_fp16_pJ": 2.0, "sram_pJ_per_64b_at_8KiB": 8.0, "sram_size_exponent": 1.0,
           "decoder_pJ_per_weight": 0.5, "dram_pJ_per_bit": 1.0}
    row = run(64, 32, 32, mac="fp16", overrides=tab)
    weight_B = 32 * 32 + 2 * 32
    # linear in size: 1 pJ/B per 8 KiB of bank; activations are 2 B with fp16 MACs
    want = {
        "mac": 64 * 32 * 32 * 2.0,
        "weight_buf": 2 * weight_B * 1.0,
        "input_buf": 2 * (64 * 32 * 2) * 4.0,  # 32 KiB banks
        "output_buf": 64 * 32 * 2 * 4 * 2.0,  # one 16 KiB bank
        "codebook_buf": 0.0, "decoder": 0.0,
        "dram": (weight_B + 2 * 64 * 32 + 2 * 64 * 32) * 8 * 1.0,
    }
    assert components(row) == pytest.approx(want, rel=1e-12)


def test_default_fp16_macs_and_the_smallest_bank():
    assert run(64, 32, 32, mac="fp16")["energy_mac_pJ"] == pytest.approx(64 * 32 * 32 * 1.50)
    # a 0.5 KiB codebook buffer in 8 banks: banks below 0.125 KiB count as 0.125 KiB
    row = run(16, 64, 64, {"scheme": "ssvq", "k": 16, "d": 8}, codebook_KiB=0.5)
    want = (16 * 8 * 2 + 64 * 8 * 8 * 2) * per_byte(0.125, 1)
    assert row["energy_codebook_buf_pJ"] == pytest.approx(want, rel=1e-12)


def test_bank_level_dram_energy_is_its_split():
    row = run(64, 32, 32, dram={"preset": "LPDDR4-3200"})
    split = sum(row[f"dram_{p}_pJ"] for p in ("act", "rdwr", "ref", "bg"))
    assert row["energy_dram_pJ"] == pytest.approx(split) and split > 0
    assert row["energy_total_pJ"] == pytest.approx(sum(components(row).values()))
    # the on-chip part does not depend on the memory model
    ideal = run(64, 32, 32)
    for k in ("mac", "weight_buf", "input_buf", "output_buf"):
        assert components(row)[k] == pytest.approx(components(ideal)[k])


def test_unknown_energy_key_is_a_clear_error():
    from accelsim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"arch.energy.overrides.mac_int_pJ: unknown key; "
                                          r"did you mean 'mac_int8_pJ'"):
        run(64, 32, 32, overrides={"mac_int_pJ": 1.0})


def test_grouped_ssvq_layer_codebook_reads_by_hand():
    # 8 groups of 1024 x 16 x 8 (SSVQ k=16 d=8: 2 vectors per row); a 16 KiB output buffer
    # (8 KiB of 32-bit partial sums per tile) cannot take all groups at once
    from loopnest import walk

    wl = {"arch": {"preset": "edge-32x32", "dram": {"preset": "ideal"},
                   "sram": {"output": {"size_KiB": 16}}},
          "layers": [{"name": "g", "M": 1024, "K": 16, "N": 8, "groups": 8}], "baseline": None,
          "compression": {"scheme": "ssvq", "k": 16, "d": 8}}
    row = accelsim.simulate(wl).layers.iloc[0]
    counts, trips = walk(row)
    assert trips["g"] > 1
    lookups = sum(counts["weight"].values()) // len(counts["weight"]) * 8 * 8 * 2
    want = (16 * 8 * 2 + lookups * 8 * 2) * per_byte(16, 8)
    assert row["energy_codebook_buf_pJ"] == pytest.approx(want, rel=1e-12)
