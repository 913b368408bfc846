"""Results: per-layer rows, totals and summary, result files, the terminal table.

Modules: :mod:`~accelsim.report.columns` (stream and column names, one list),
:mod:`~accelsim.report.rows` (a ``layers.csv`` row), :mod:`~accelsim.report.energy`,
:mod:`~accelsim.report.totals` (totals, ``summary.json``), :mod:`~accelsim.report.files`
(atomic writes, CSV/JSON), :mod:`~accelsim.report.table` (rich terminal table).
"""

from accelsim.report.columns import READ_STREAMS, WEIGHT_STREAMS
from accelsim.report.files import atomic_write, rows_to_csv, to_frame, write_outputs
from accelsim.report.table import print_table
from accelsim.report.totals import summary, totals

__all__ = ["READ_STREAMS", "WEIGHT_STREAMS", "atomic_write", "print_table", "rows_to_csv",
           "summary", "to_frame", "totals", "write_outputs"]
