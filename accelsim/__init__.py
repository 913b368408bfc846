"""accelsim: a cycle-level, discrete-event simulator of a DNN accelerator for compressed weights.

``accelsim.simulate(workload, overrides)`` runs a workload (YAML path, mapping or config) and
returns a :class:`accelsim.Result` (pandas frames, ``save(dir)``, ``figures()``);
``accelsim.load`` only validates. The CLI is ``python -m accelsim``. Heavy libraries (simpy,
pandas, matplotlib) are imported only when used.
"""

from accelsim._version import __version__
from accelsim.api import Result, load, simulate

__all__ = ["Result", "__version__", "load", "simulate"]
