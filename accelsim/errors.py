"""User-facing errors: bad input (exit 2) and infeasible design points."""

from __future__ import annotations

import difflib


class AccelsimError(Exception):
    """Base class for errors that carry a user-facing message."""

    exit_code = 1


class ConfigError(AccelsimError):
    """Bad input: a YAML path or file and a hint. The CLI exits with code 2."""

    exit_code = 2


class InfeasibleError(AccelsimError):
    """A layer cannot be mapped onto the architecture (e.g. a tile does not fit a buffer)."""

    exit_code = 2


def did_you_mean(word: str, choices) -> str:
    """A ``; did you mean 'x'?`` suffix, or a list of valid choices when nothing is close."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if len(choices) <= 12:
        return f"; expected one of: {', '.join(choices)}"
    return ""
