"""INT8 / VQ / SSVQ weight compression, SSVQ fine-tuning, bit accounting and trace export.

Torch is imported only by the submodules that need it; ``quant.accounting`` and the CLI's ``cr``
and ``inspect`` commands work without it.
"""

__version__ = "0.1.0"
