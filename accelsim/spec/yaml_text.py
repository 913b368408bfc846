"""Strict, bounded YAML reading: UTF-8 text only, no duplicate keys, limited nesting and aliases.

Limits (each breach is a :class:`~accelsim.errors.ConfigError`, exit code 2):

* ``MAX_BYTES``: the file size (a workload or arch file is a few KiB).
* ``MAX_DEPTH``: nesting of mappings and sequences.
* ``MAX_VALUES``: scalars after alias expansion, so a "billion laughs" file of nested aliases
  (``&a [*b, *b, ...]``) is refused before anything copies or serialises it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import ConfigError

MAX_BYTES = 4 << 20
MAX_DEPTH = 64
MAX_VALUES = 200_000


class YamlSyntaxError(ConfigError):
    """Text that is not YAML at all (as opposed to YAML that breaks a limit)."""


_FAST = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser where PyYAML has it: text it accepts is read with it (the same data, several
times faster); anything it refuses is read again by the pure-Python parser, whose messages the
errors quote."""


class _UniqueKeys:
    """Loader mixin that refuses a key given twice in one mapping."""

    label = "<yaml>"

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; SafeLoader reports it below
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                raise ConfigError(f"{self.label}: line {line}: duplicate key {key!r} (first given on "
                                  f"line {first}); keep one")
            seen[key] = line
        return super().construct_mapping(node, deep)


class _NoDuplicates(_UniqueKeys, yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""


_NoDuplicatesFast = None if _FAST is None else type("_NoDuplicatesFast", (_UniqueKeys, _FAST), {})


def _where(mark) -> str:
    return f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def check_shape(text: str, label: str, parser=yaml.SafeLoader) -> None:
    """Refuse over-deep nesting and alias expansion past ``MAX_VALUES`` (one pass over events)."""
    counts = [0]  # values inside each open collection
    anchors: dict[str, int] = {}
    opened: list[str | None] = []
    for ev in yaml.parse(text, Loader=parser):
        if isinstance(ev, yaml.CollectionStartEvent):
            if len(opened) >= MAX_DEPTH:
                raise ConfigError(f"{label}:{_where(ev.start_mark)} nested more than {MAX_DEPTH} "
                                  "levels deep (limit); flatten the file")
            opened.append(ev.anchor)
            counts.append(0)
        elif isinstance(ev, yaml.CollectionEndEvent):
            size, anchor = counts.pop() + 1, opened.pop()
            counts[-1] += size
            if anchor:
                anchors[anchor] = size
        elif isinstance(ev, yaml.ScalarEvent):
            counts[-1] += 1
            if ev.anchor:
                anchors[ev.anchor] = 1
        elif isinstance(ev, yaml.AliasEvent):
            if ev.anchor in opened:
                raise ConfigError(f"{label}:{_where(ev.start_mark)} alias *{ev.anchor} refers to the "
                                  f"collection it is in (&{ev.anchor}): a cycle, not a value")
            counts[-1] += anchors.get(ev.anchor, 1)
        if sum(counts) > MAX_VALUES:
            raise ConfigError(f"{label}:{_where(ev.start_mark)} too large: expands to more than "
                              f"{MAX_VALUES:,} values (limit), e.g. through nested aliases (*name)")


def decode(raw: bytes, label: str) -> str:
    """UTF-8 text of a file, or a ConfigError naming the first bad byte."""
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{label}: too large: {len(raw):,} bytes (limit {MAX_BYTES:,}); a workload "
                          "or arch file is YAML text of a few KiB")
    nul = raw.find(b"\0")
    if nul >= 0:
        raise ConfigError(f"{label}: a binary file (NUL byte at offset {nul}), not YAML text; "
                          "check the path")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{label}: line {line}: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                          "is not UTF-8; save the file as UTF-8 text") from None


def parse_text(text: str, label: str) -> Any:
    """Parse YAML text with the checks above; syntax errors name the line and column."""
    if _FAST is not None:
        try:
            check_shape(text, label, _FAST)
            return yaml.load(text, Loader=type("_Fast", (_NoDuplicatesFast,), {"label": label}))  # noqa: S506
        except (yaml.YAMLError, ConfigError, RecursionError):
            pass  # read again below, for the pure-Python parser's message
    loader = type("_Loader", (_NoDuplicates,), {"label": label})
    try:
        check_shape(text, label)
        return yaml.load(text, Loader=loader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlSyntaxError(f"{label}:{_where(mark)} not valid YAML "
                          f"({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:  # belt and braces: check_shape bounds the depth first
        raise ConfigError(f"{label}: nested too deeply (limit {MAX_DEPTH} levels)") from None


def read_text_yaml(path: Path, label: str | None = None) -> Any:
    """Read and parse a YAML file with every check above."""
    label = label or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read ({exc.strerror or exc})") from None
    return parse_text(decode(raw, label), label)
