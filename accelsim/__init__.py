"""accelsim: a cycle-level, discrete-event simulator of a DNN accelerator for compressed weights.

``accelsim.simulate(workload)`` runs a workload (YAML path, mapping or config) and returns a
:class:`accelsim.api.Result` with pandas frames; the CLI is ``python -m accelsim``.
Heavy libraries (simpy, pandas, matplotlib) are imported only when used.
"""

from accelsim._version import __version__


def simulate(workload, overrides=(), progress=None):
    """Simulate ``workload`` and its baseline; see :func:`accelsim.api.simulate`."""
    from accelsim.api import simulate as _simulate

    return _simulate(workload, overrides, progress)


def load(workload, overrides=()):
    """Validate a workload without simulating it; see :func:`accelsim.api.load`."""
    from accelsim.api import load as _load

    return _load(workload, overrides)


__all__ = ["__version__", "load", "simulate"]
