"""Per-bank row state, and what FR-FCFS needs to serve row hits before conflicts.

Each bank has an open row (valid while its refresh epoch is current), the earliest column
command after its ACT and the earliest precharge. A conflict does not forget the row it closes:
the row stays on a *closing* list until its booked precharge, so a row hit that arrives later is
still served first (FR-FCFS). A row streamed by several requests is held open until a queue's
worth of hits could have been served (the controller keeps serving hits while they are queued).
"""

from __future__ import annotations

import numpy as np

MAX_CLOSING = 8  # rows remembered per bank between their conflict and their precharge
NO_ROW = -1


class BankState:
    """Row state of every bank of a DRAM system (global bank ids, see :mod:`.mapper`)."""

    def __init__(self, n_banks: int, bursts_per_row: int, hold_cycles: float, tCCD_L: float) -> None:
        self.open_row = np.full(n_banks, NO_ROW, dtype=np.int64)
        self.epoch = np.zeros(n_banks, dtype=np.int64)
        self.col_ok = np.zeros(n_banks)
        self.pre_ok = np.zeros(n_banks)
        self.closing: list[list[tuple]] = [[] for _ in range(n_banks)]  # (row, epoch, col_ok, pre)
        self.streak = [0] * n_banks  # requests that hit the open row
        self.last_req = [-1] * n_banks
        self.last_col = [0] * n_banks
        self.last_cas = [0.0] * n_banks
        self._bursts_per_row, self._hold, self._tccd_l = bursts_per_row, hold_cycles, tCCD_L
        self.tracked: set[int] = set()  # banks with closing rows or a streak

    def closing_row(self, gb: int, row: int, t0: float) -> tuple | None:
        """The newest closing entry of ``row`` on bank ``gb`` whose precharge is after ``t0``."""
        for entry in reversed(self.closing[gb]):
            if entry[0] == row and entry[3] > t0:
                return entry
        return None

    def hold(self, gb: int) -> float:
        """Earliest precharge FR-FCFS allows: a streamed row stays open for the hits to come
        (a queue's worth, at most the rest of the row at tCCD_L)."""
        if self.streak[gb] < 2:
            return 0.0
        rest = self._bursts_per_row - 1 - self.last_col[gb]
        return self.last_cas[gb] + min(self._hold, rest * self._tccd_l)

    def opened(self, gb: int, row: int, req: int, x: float, pre_prev: float | None) -> None:
        """Bank ``gb`` activated ``row`` for request ``req`` (CAS at ``x``); the row it closes
        (if any) precharges at ``pre_prev``."""
        self.tracked.add(gb)
        closing = self.closing[gb]
        returning = any(e[0] == row for e in closing)  # reopened after a conflict: streamed
        if pre_prev is not None:
            closing.append((int(self.open_row[gb]), int(self.epoch[gb]), float(self.col_ok[gb]),
                            pre_prev))
            if len(closing) > MAX_CLOSING:
                del closing[0]
        self.streak[gb], self.last_req[gb], self.last_cas[gb] = 1 + returning, req, x

    def hit(self, gb: int, req: int) -> None:
        """A burst of request ``req`` hit the open row of bank ``gb``."""
        if req != self.last_req[gb]:
            self.streak[gb] += 1
            self.last_req[gb] = req
            self.tracked.add(gb)

    def cas(self, gb: int, x: float, col: int) -> None:
        """A column command at ``x`` for column ``col`` of the open row."""
        if x >= self.last_cas[gb]:
            self.last_cas[gb], self.last_col[gb] = x, col

    def forget_streams(self, banks: np.ndarray) -> None:
        """After a bulk transfer: no closing rows or streaks on ``banks``."""
        if not self.tracked:
            return
        for b in self.tracked.intersection(banks.tolist()):
            self.closing[b], self.streak[b] = [], 0
            self.tracked.discard(b)
