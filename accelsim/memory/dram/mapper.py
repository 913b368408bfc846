"""Address mapping: a global burst index ↔ (channel, rank, bank group, bank, row, column).

A mapping names the six fields most significant first (``RoRaBaCoBgCh``: the channel changes
every burst, then the bank group, then the column ...). Global bank ids count banks across
channels and ranks: ``((ch · ranks + ra) · bankgroups + bg) · banks_per_group + ba``.
"""

from __future__ import annotations

from typing import NamedTuple

from accelsim.memory.dram.presets import MAPPING_FIELDS, DramSpec


class Coord(NamedTuple):
    """Where one burst lives."""

    ch: int
    ra: int
    bg: int
    ba: int
    row: int
    col: int


class AddressMapper:
    """Decodes global burst indices for one :class:`DramSpec` and its mapping."""

    def __init__(self, spec: DramSpec) -> None:
        self.spec = spec
        self.radix = {
            "Ro": spec.rows, "Ch": spec.channels, "Ra": spec.ranks,
            "Ba": spec.banks_per_group, "Bg": spec.bankgroups, "Co": spec.bursts_per_row,
        }  # fmt: skip
        self._lsb = [(MAPPING_FIELDS.index(f), self.radix[f]) for f in reversed(spec.mapping)]
        self.n_banks = spec.channels * spec.ranks * spec.banks_per_rank

    def decode(self, g: int) -> Coord:
        """The coordinates of global burst ``g``."""
        d = [0] * 6
        for i, r in self._lsb:
            g, d[i] = divmod(g, r)
        return Coord(d[1], d[2], d[4], d[3], d[0], d[5])

    def rank(self, c: Coord) -> int:
        """Global rank id (channel-major)."""
        return c.ch * self.spec.ranks + c.ra

    def bank(self, c: Coord) -> int:
        """Global bank id."""
        s = self.spec
        return ((c.ch * s.ranks + c.ra) * s.bankgroups + c.bg) * s.banks_per_group + c.ba
