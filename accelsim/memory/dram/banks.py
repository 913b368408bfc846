"""Per-bank row state, and what FR-FCFS needs to serve row hits before conflicts.

Each bank has an open row (valid while its refresh epoch is current), the earliest column
command after its ACT and the earliest precharge. A conflict does not forget the row it closes:
the row stays on a *closing* list until its booked precharge, so a row hit that arrives later is
still served first (FR-FCFS). A conflict's precharge also waits for the hits of the open row that
are predicted to arrive before it could issue: the row's requests arriving one every Δ cycles
(from its last two distinct arrival times) keep coming at that rate; a row whose requests all
arrived at one instant predicts none.
"""

from __future__ import annotations

MAX_CLOSING = 8  # rows remembered per bank between their conflict and their precharge
NO_ROW = -1
NEVER = -1.0  # no arrival seen


class BankState:
    """Row state of every bank of a DRAM system (global bank ids, see :mod:`.mapper`)."""

    def __init__(self, n_banks: int, bursts_per_row: int, hold_cycles: float, tCCD_L: float) -> None:
        self.open_row = [NO_ROW] * n_banks
        self.epoch = [0] * n_banks  # refresh count when the row was (last) used
        self.col_ok = [0.0] * n_banks
        self.pre_ok = [0.0] * n_banks
        self.closing: list[list[tuple]] = [[] for _ in range(n_banks)]  # (row, epoch, col_ok, pre, arr)
        self.arrivals = [(NEVER, NEVER)] * n_banks  # last two distinct arrival times at the open row
        self.bursts = [1] * n_banks  # bursts of the last request on the bank
        self.last_req = [-1] * n_banks
        self.last_col = [0] * n_banks
        self.last_cas = [0.0] * n_banks
        self._bursts_per_row, self._hold, self._tccd_l = bursts_per_row, hold_cycles, tCCD_L
        self.tracked: set[int] = set()  # banks with closing rows or an arrival history
        self.small = [False] * n_banks  # the open row has served a burst scheduled one by one

    def closing_row(self, gb: int, row: int, t0: float) -> tuple | None:
        """The newest closing entry of ``row`` on bank ``gb`` whose precharge is after ``t0``."""
        for entry in reversed(self.closing[gb]):
            if entry[0] == row and entry[3] > t0:
                return entry
        return None

    def hold(self, gb: int, pre: float) -> float:
        """Earliest precharge FR-FCFS allows, ``pre`` without later hits: hits predicted to arrive
        before the precharge could issue go first (each takes its bursts at tCCD_L), at most a
        queue's worth after the last column command and at most the rest of the row."""
        prev, last = self.arrivals[gb]
        if prev == NEVER:
            return pre
        gap, per_req = last - prev, self.bursts[gb] * self._tccd_l
        rest = self._bursts_per_row - 1 - self.last_col[gb]
        cap = self.last_cas[gb] + min(self._hold, rest * self._tccd_l)
        if gap <= per_req:  # the row's requests arrive faster than it serves them
            return max(pre, cap)
        k = (pre - last - per_req) // (gap - per_req)  # hit j arrives at last + j*gap <= pre + (j-1)*per_req
        return max(pre, min(cap, pre + max(0.0, k) * per_req))

    def opened(self, gb: int, row: int, req: int, x: float, pre_prev: float | None,
               t0: float | None) -> None:
        """Bank ``gb`` activated ``row`` for request ``req`` arriving at ``t0`` (CAS at ``x``; None:
        a drained write, no arrival); the row it closes (if any) precharges at ``pre_prev``."""
        self.tracked.add(gb)
        closing = self.closing[gb]
        before = next((e[4] for e in reversed(closing) if e[0] == row), None)  # reopened
        if pre_prev is not None:
            self._remember(gb, (int(self.open_row[gb]), int(self.epoch[gb]), float(self.col_ok[gb]),
                                pre_prev, self.arrivals[gb]))
        self.arrivals[gb] = _arrive((NEVER, NEVER) if before is None else before, t0)
        self.last_req[gb], self.last_cas[gb], self.bursts[gb] = req, x, 1

    def hit(self, gb: int, req: int, t0: float | None) -> None:
        """A burst of request ``req`` arriving at ``t0`` (None: a drained write) hit the open row
        of bank ``gb``."""
        if req != self.last_req[gb]:
            self.arrivals[gb] = _arrive(self.arrivals[gb], t0)
            self.last_req[gb], self.bursts[gb] = req, 1
        else:
            self.bursts[gb] += 1

    def cas(self, gb: int, x: float, col: int) -> None:
        """A column command at ``x`` for column ``col`` of the open row."""
        if x >= self.last_cas[gb]:
            self.last_cas[gb], self.last_col[gb] = x, col

    def close_rows(self, banks: list[int], rows: list[int], epochs: list[int], pre: list[float],
                   back: float) -> None:
        """After a bulk transfer: ``banks`` keep ``rows`` open (refresh ``epochs``), precharge no
        earlier than ``pre`` and take column commands no earlier than ``pre - back``."""
        open_row, epoch, pre_ok, col_ok = self.open_row, self.epoch, self.pre_ok, self.col_ok
        for g, row, ep, x in zip(banks, rows, epochs, pre, strict=True):
            open_row[g], epoch[g] = row, ep
            if x > pre_ok[g]:
                pre_ok[g] = x
            if x - back > col_ok[g]:
                col_ok[g] = x - back

    def closing_from_bulk(self, entries: list[tuple]) -> None:
        """A bulk transfer closed rows: remember each ``(bank, entry)`` (``entry`` as in
        :attr:`closing`) until its precharge."""
        for gb, entry in entries:
            self.tracked.add(gb)
            self._remember(gb, entry)

    def _remember(self, gb: int, entry: tuple) -> None:
        """Put a closing row on bank ``gb``'s list (the oldest goes beyond ``MAX_CLOSING``)."""
        closing = self.closing[gb]
        closing.append(entry)
        if len(closing) > MAX_CLOSING:
            del closing[0]

    def forget_streams(self, banks: list[int]) -> None:
        """After a bulk transfer: no arrival history on ``banks`` (the rows they close stay on
        the closing list until their precharge)."""
        if not self.tracked:
            return
        for b in self.tracked.intersection(banks):
            self.arrivals[b] = (NEVER, NEVER)
            if not self.closing[b]:
                self.tracked.discard(b)


def _arrive(history: tuple[float, float], t0: float | None) -> tuple[float, float]:
    """The last two distinct arrival times after an arrival at ``t0`` (None: no arrival)."""
    return history if t0 is None or t0 == history[1] else (history[1], t0)
