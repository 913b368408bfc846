"""The rich console of the commands: the terminal's width, or 200 columns when piped."""

from __future__ import annotations

PIPED_WIDTH = 200


def make_console(stderr: bool = False):
    """A rich Console; when output is piped or redirected it is 200 columns wide, so that
    tables and their headers are not cut to the 80-column default."""
    from rich.console import Console

    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(width=PIPED_WIDTH, stderr=stderr)
