"""Mutation testing of the simulator's core: how many small wrong simulators the fast tests catch.

    nice -n 15 python benchmarks/mutation.py [--per-target N] [--seed S] [--only NAME ...]
    nice -n 15 python benchmarks/mutation.py --planted      # the six bugs of issue 20

A benchmark, not a test: it prints a score and the surviving mutants, asserts nothing. Each
mutant is one AST edit of one core module (``+``↔``-``, ``*``↔``/``, ``<``↔``<=``, ``==``↔``!=``,
``and``↔``or``, ``max``↔``min``, a dropped ``not`` or unary minus, an integer ``n`` → ``n + 1``,
``True``↔``False``, a float ``x`` → ``2x``), written into a scratch copy of the repository, and
the module's most relevant fast tests are run on it (``pytest -x``, ``-m "not slow"``,
``--hypothesis-seed=0``, per-mutant timeout, at ``nice``). A mutant is *killed* when the tests
fail or time out. The golden-output test is left out on purpose: it pins every number, so it
would kill nearly everything without saying whether a test derived the right value.

When a target (a group of modules and its test files, ``TARGETS``) has more mutation sites than
``--per-target``, a seeded uniform sample of that many is drawn (``random.Random(seed).sample``
over the indices of its sites in source order); the full count is printed.
``--planted`` instead plants each bug of issue 20 in turn and lists the tests that fail.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", "--hypothesis-seed=0"]

# per target: its modules, and the fast tests that exercise them most directly (files, the
# fastest first since ``-x`` stops at the first failure, then a ``-k`` selection that leaves out
# whole-model runs and long property searches: CPU is scarce)
TARGETS: dict[str, tuple[list[str], list[str]]] = {
    "engine": ([f"accelsim/engine/{m}.py" for m in ("dma", "codebook", "decoder", "pe_array",
                                                    "write_back", "port", "buffers", "engine")],
               ["tests/test_timeline.py", "tests/test_energy.py", "tests/test_accounting.py",
                "-k", "not compute_bound and not memory_bound and not random and not whole_model"]),
    "mapping": (["accelsim/plan/mapping.py"],
                ["tests/test_accounting.py", "tests/test_pe_array.py", "-k", "not random"]),
    "schedule": (["accelsim/plan/schedule.py"],
                 ["tests/test_accounting.py", "tests/test_timeline.py",
                  "-k", "not random and not whole_model and not bound"]),
    "dram": (["accelsim/memory/dram/model.py", "accelsim/memory/dram/layout.py"],
             ["tests/test_dram_bulk.py", "tests/test_dram.py", "tests/test_dram_bench.py",
              "-k", "not property"]),
    "decode": (["accelsim/plan/decode.py"],
               ["tests/test_decoder.py", "tests/test_energy.py", "tests/test_timeline.py",
                "-k", "not bound"]),
    "totals": (["accelsim/report/totals.py"], ["tests/test_accounting.py", "-k", "totals"]),
    "energy": (["accelsim/report/energy.py"], ["tests/test_energy.py"]),
}

BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}
CMPOP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
         ast.NotIn: ast.In}


@dataclass(frozen=True)
class Site:
    """One mutation: the ``index``-th mutable node of a module (in ``ast.walk`` order)."""

    module: str
    index: int
    line: int
    what: str


def _docstrings(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            out.add(id(body[0].value))
    return out


def _describe(node) -> str | None:
    """What mutating ``node`` does, or None when it is not a mutation site."""
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINOP:
        return f"{type(node.op).__name__} -> {BINOP[type(node.op)].__name__}"
    if isinstance(node, ast.Compare) and type(node.ops[0]) in CMPOP:
        return f"{type(node.ops[0]).__name__} -> {CMPOP[type(node.ops[0])].__name__}"
    if isinstance(node, ast.BoolOp):
        return "and <-> or"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        return f"drop {type(node.op).__name__}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("max", "min"):
        return f"{node.func.id} -> {'min' if node.func.id == 'max' else 'max'}"
    if isinstance(node, ast.Constant) and type(node.value) in (bool, int, float):
        if isinstance(node.value, bool):
            return f"{node.value} -> {not node.value}"
        new = node.value + 1 if isinstance(node.value, int) else node.value * 2 or 1.0
        return f"{node.value!r} -> {new!r}"
    return None


def _mutate(node):
    """The mutated replacement of one site node."""
    if isinstance(node, ast.BinOp | ast.AugAssign):
        node.op = BINOP[type(node.op)]()
    elif isinstance(node, ast.Compare):
        node.ops[0] = CMPOP[type(node.ops[0])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        return node.operand
    elif isinstance(node, ast.Call):
        node.func.id = "min" if node.func.id == "max" else "max"
    elif isinstance(node.value, bool):
        node.value = not node.value
    elif isinstance(node.value, int):
        node.value += 1
    else:
        node.value = node.value * 2 or 1.0
    return node


def _skipped(tree) -> set[int]:
    """Nodes that are no code: docstrings, annotations, decorators, ``__all__``, f-strings."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        parts = []
        if isinstance(node, ast.AnnAssign | ast.arg):
            parts.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            parts += [getattr(node, "returns", None), *node.decorator_list]
        if isinstance(node, ast.JoinedStr):
            parts.append(node)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            parts.append(node)
        for part in parts:
            if part is not None:
                skip.update(id(n) for n in ast.walk(part))
    return skip


def sites(module: str) -> list[Site]:
    """Every mutation site of one module."""
    tree = ast.parse((ROOT / module).read_text())
    skip = _skipped(tree)
    out = []
    for i, node in enumerate(ast.walk(tree)):
        what = None if id(node) in skip else _describe(node)
        if what:
            out.append(Site(module, i, node.lineno, what))
    return out


class _Apply(ast.NodeTransformer):
    def __init__(self, targets: set[int]) -> None:
        self.targets = targets

    def generic_visit(self, node):
        node = super().generic_visit(node)
        return _mutate(node) if id(node) in self.targets else node


def mutant_source(site: Site) -> str:
    """The module's source with ``site`` mutated."""
    tree = ast.parse((ROOT / site.module).read_text())
    node = list(ast.walk(tree))[site.index]
    return ast.unparse(ast.fix_missing_locations(_Apply({id(node)}).visit(tree)))


# --------------------------------------------------------------------------- running


def scratch_copy() -> Path:
    """A copy of the repository's code and tests to mutate (no bytecode caches)."""
    dst = Path(tempfile.mkdtemp(prefix="accelsim-mut-"))
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc", "out", "results")
    for name in ("accelsim", "workloads", "tests", "quant", "experiments"):
        shutil.copytree(ROOT / name, dst / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def run_tests(scratch: Path, tests: list[str], timeout: float, args=FAST) -> tuple[str, float, str]:
    """('pass' | 'fail' | 'timeout', seconds, output) of the tests on the scratch copy."""
    env = {**os.environ, "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    shutil.rmtree(scratch / ".hypothesis", ignore_errors=True)
    cmd = ["nice", "-n", "15", sys.executable, "-m", "pytest", *args, *tests]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, ""
    status = "pass" if proc.returncode == 0 else "fail"
    return status, time.perf_counter() - t0, proc.stdout + proc.stderr


def sample(name: str, per_target: int, seed: int, at=()) -> tuple[int, list[Site]]:
    """(all sites, the sampled ones in source order) of one target's modules; with ``at``
    (``module:line`` strings), every site on those lines instead."""
    every = [site for module in TARGETS[name][0] for site in sites(module)]
    if at:
        return len(every), [s for s in every if f"{s.module}:{s.line}" in at]
    if len(every) <= per_target:
        return len(every), every
    picked = set(random.Random(seed).sample(range(len(every)), per_target))
    return len(every), [s for i, s in enumerate(every) if i in picked]


def run_target(name: str, scratch: Path, per_target: int, seed: int, timeout: float,
               at=()) -> list:
    """Mutate every sampled site of one target; return (site, status) pairs."""
    tests = TARGETS[name][1]
    if at and not sample(name, per_target, seed, at)[1]:
        return []
    status, base_s, out = run_tests(scratch, tests, 10 * timeout)
    if status != "pass":
        sys.exit(f"{name}: the tests fail before any mutation:\n{out[-2000:]}")
    limit = max(timeout, 3 * base_s)
    total, picked = sample(name, per_target, seed, at)
    if not picked:
        return []
    print(f"{name}: {total} sites, {len(picked)} run (tests {base_s:.1f} s, timeout {limit:.0f} s)",
          flush=True)
    results = []
    for site in picked:
        path = scratch / site.module
        original = path.read_text()
        try:
            path.write_text(mutant_source(site))
            status, _, _ = run_tests(scratch, tests, limit)
        finally:
            path.write_text(original)
        results.append((site, status))
        print(f"  {site.module}:{site.line} {site.what}: "
              f"{'survived' if status == 'pass' else status}", flush=True)
    return results


def report(results) -> None:
    killed = sum(status != "pass" for _, status in results)
    print(f"\nscore: {killed} / {len(results)} killed = {100 * killed / max(len(results), 1):.1f} %")
    by_module: dict[str, list[int]] = {}
    for site, status in results:
        k = by_module.setdefault(site.module, [0, 0])
        k[0] += status != "pass"
        k[1] += 1
    for module, (k, n) in by_module.items():
        print(f"  {module}: {k}/{n}")
    print("survivors:")
    for site, status in results:
        if status == "pass":
            line = (ROOT / site.module).read_text().splitlines()[site.line - 1].strip()
            print(f"  {site.module}:{site.line}  {site.what:22s} {line}")


# --------------------------------------------------------------------------- planted bugs

PLANTED_TESTS = ["tests/test_accounting.py", "tests/test_energy.py", "tests/test_dram_bulk.py",
                 "tests/test_timeline.py", "tests/test_engine.py", "tests/test_compressed.py",
                 "tests/test_dram.py"]
PLANTED = [  # (issue 20's planted bug, file, text, replacement)
    ("tRP dropped on a row conflict in the large-request DRAM path",
     "accelsim/memory/dram/model.py", 'max(t, pre0[i]) + tm["tRP"]', "max(t, pre0[i])"),
    ("summary totals: index and sign bytes swapped", "accelsim/report/totals.py",
     "    write = {", '    read["index"], read["sign"] = read["sign"], read["index"]\n    write = {'),
    ("mapper ignores the double-buffer halving", "accelsim/plan/mapping.py",
     "/ (2 if buf.double_buffer else 1)", "/ 1"),
    ("weight- and input-buffer energies swapped", "accelsim/report/energy.py",
     '"energy_weight_buf_pJ": counts["weight_buf_B"]', '"energy_weight_buf_pJ": counts["input_buf_B"]'),
    ("an activation stays on chip without fitting the input buffer", "accelsim/plan/residency.py",
     "size <= out_cap and size <= in_cap", "size <= out_cap"),
    ("partial sums counted at 1 byte instead of 4", "accelsim/plan/mapping.py",
     "PSUM_BYTES = 4", "PSUM_BYTES = 1"),
    ("the same, in the schedule only (the mapper still plans 4 B)", "accelsim/plan/schedule.py",
     "o_elems * PSUM_BYTES).astype", "o_elems * 1).astype"),
]


def planted(scratch: Path) -> None:
    """Plant each bug alone in the scratch copy; print the tests that fail."""
    for what, module, old, new in PLANTED:
        path = scratch / module
        original = path.read_text()
        if old not in original:
            print(f"- {what}: the code changed ({old!r} not in {module}); not planted")
            continue
        path.write_text(original.replace(old, new, 1))
        try:
            args = ["-q", "-p", "no:cacheprovider", "-m", "not slow", "--hypothesis-seed=0", "-rf"]
            status, secs, out = run_tests(scratch, PLANTED_TESTS, 1800, args)
        finally:
            path.write_text(original)
        failed = sorted(set(re.findall(r"^FAILED (\S+?)(?: - |$)", out, re.M)))
        print(f"- {what}: {len(failed)} failing tests ({secs:.0f} s)")
        for name in failed:
            print(f"    {name}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-target", type=int, default=10, help="mutants sampled per target")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0, help="per-mutant floor, seconds")
    ap.add_argument("--only", nargs="*", choices=list(TARGETS), help="targets to run")
    ap.add_argument("--at", nargs="*", default=(), metavar="MODULE:LINE",
                    help="run every mutant on these lines instead of a sample")
    ap.add_argument("--planted", action="store_true", help="plant issue 20's six bugs instead")
    args = ap.parse_args(argv)
    scratch = scratch_copy()
    try:
        if args.planted:
            planted(scratch)
            return 0
        results = []
        for name in args.only or TARGETS:
            results += run_target(name, scratch, args.per_target, args.seed, args.timeout,
                                  set(args.at))
        report(results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
