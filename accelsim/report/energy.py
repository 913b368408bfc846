"""Per-access energy: MACs, SRAM buffers (size-dependent), codebook/decoder, DRAM.

Default table (``energy: {preset: default}``) from Horowitz, "Computing's energy problem",
ISSCC 2014 (45 nm figures); every entry can be overridden with ``energy.overrides``:

=========================  =======  ===============================================
key                        default  meaning
=========================  =======  ===============================================
mac_int8_pJ                0.30     8-bit multiply (0.2) + 32-bit accumulate (0.1)
mac_fp16_pJ                1.50     fp16 multiply (1.1) + add (0.4)
sram_pJ_per_64b_at_8KiB    10.0     64-bit SRAM access of an 8 KiB array
sram_size_exponent         0.4746   E ∝ size^p (fits 10 pJ @ 8 KiB … 100 pJ @ 1 MiB)
decoder_pJ_per_weight      0.03     sign XOR + mux per decoded weight (≈ an 8-bit add)
dram_pJ_per_bit            5.0      used only when the memory model reports no energy
vector_pJ_per_op           1.50     one vector-unit lane operation: an fp16 multiply
                                    (1.1) + add (0.4), as the vector unit computes in fp16
=========================  =======  ===============================================

SRAM energy uses the capacity of one bank (``size_KiB / banks``).
"""

from __future__ import annotations

DEFAULT = {
    "mac_int8_pJ": 0.30,
    "mac_fp16_pJ": 1.50,
    "sram_pJ_per_64b_at_8KiB": 10.0,
    "sram_size_exponent": 0.4746,
    "decoder_pJ_per_weight": 0.03,
    "dram_pJ_per_bit": 5.0,
    "vector_pJ_per_op": 1.50,
}


def table(cfg) -> dict[str, float]:
    """The energy table for an :class:`~accelsim.spec.config.EnergyConfig`; unknown keys rejected."""
    from accelsim.errors import ConfigError, did_you_mean

    bad = [k for k in cfg.overrides if k not in DEFAULT]
    if bad:
        raise ConfigError(f"arch.energy.overrides.{bad[0]}: unknown key{did_you_mean(bad[0], DEFAULT)}")
    return {**DEFAULT, **cfg.overrides}


def sram_pJ_per_byte(tab: dict, size_KiB: float, banks: int) -> float:
    """Energy of one byte accessed in a buffer of that size and banking."""
    bank_KiB = max(size_KiB / banks, 0.125)
    return tab["sram_pJ_per_64b_at_8KiB"] * (bank_KiB / 8.0) ** tab["sram_size_exponent"] / 8.0


def layer_energy(tab: dict, arch, counts: dict, dram_pJ: float) -> dict[str, float]:
    """Energy (pJ) per component of one layer from its access counts.

    ``counts`` keys: macs, weight_buf_B, input_buf_B, output_buf_B, codebook_buf_B,
    decoded_weights, dram_B, and vector_ops (lane operations of a vector op; optional).
    """
    sram = arch.sram
    mac = tab["mac_fp16_pJ" if arch.pe_array.mac == "fp16" else "mac_int8_pJ"]
    out = {
        "energy_mac_pJ": counts["macs"] * mac,
        "energy_weight_buf_pJ": counts["weight_buf_B"]
        * sram_pJ_per_byte(tab, sram.weight.size_KiB, sram.weight.banks),
        "energy_input_buf_pJ": counts["input_buf_B"]
        * sram_pJ_per_byte(tab, sram.input.size_KiB, sram.input.banks),
        "energy_output_buf_pJ": counts["output_buf_B"]
        * sram_pJ_per_byte(tab, sram.output.size_KiB, sram.output.banks),
        "energy_codebook_buf_pJ": counts["codebook_buf_B"]
        * sram_pJ_per_byte(tab, sram.codebook.size_KiB, sram.codebook.banks),
        "energy_decoder_pJ": counts["decoded_weights"] * tab["decoder_pJ_per_weight"],
        "energy_vector_pJ": counts.get("vector_ops", 0.0) * tab["vector_pJ_per_op"],
        "energy_dram_pJ": dram_pJ if dram_pJ > 0 else counts["dram_B"] * 8 * tab["dram_pJ_per_bit"],
    }
    out["energy_total_pJ"] = sum(out.values())
    return out
