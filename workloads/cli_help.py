"""One help layout for the ``python -m accelsim``, ``quant`` and ``workloads`` commands.

Descriptions are wrapped to the terminal; an epilog that starts with ``examples:`` keeps its
lines as written, so example commands stay on one line each.
"""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.HelpFormatter):
    """Wrapped descriptions, verbatim ``examples:`` epilogs."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return "\n\n".join(super(HelpFormatter, self)._fill_text(part, width, indent)
                           for part in text.split("\n\n"))
