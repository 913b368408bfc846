"""Fuzz the command line with mutated workloads, ``--set`` values and corrupted traces; print the
count of each outcome.

    nice -n 10 python benchmarks/fuzz.py                       # 10,000 validate, 500 run, 300 traces
    python benchmarks/fuzz.py --validate 200 --run 20 --trace 30 --seed 1

Every case runs in a worker process (``python -m accelsim`` in-process, a fresh folder per case,
memory capped at ``--mem-GiB``) under a per-case timeout; a worker that overruns is killed and
the case counted as a hang. Outcomes:

* ``ok`` — exit 0; ``bad-input`` — exit 2 with a message naming the file or the ``--set``;
* ``unnamed`` — exit 2 whose message names neither (a defect, counted separately);
* ``traceback`` — any other exception or exit code; ``hang`` — over the timeout;
* trace cases: ``caught`` (exit 2) or ``accepted`` — a corrupted trace that validated (a defect).

``run`` cases are workloads that ``validate`` accepted, then simulated with ``run -o``.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fuzz_cases import run_case, trace_case, validate_case  # noqa: E402

DEFECTS = ("unnamed", "traceback", "hang", "accepted")


def _worker(conn, mem_gib: float) -> None:
    """Run cases from ``conn``: (files, argv) → (exit code or exception text, stderr)."""
    import contextlib
    import io
    import os
    import resource
    import shutil
    import tempfile

    limit = int(mem_gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from accelsim.cli import main

    while True:
        msg = conn.recv()
        if msg is None:
            return
        files, argv = msg
        work = Path(tempfile.mkdtemp(prefix="fuzz-"))
        for name, data in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        os.chdir(work)
        err, out = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                rc = main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
        except BaseException as exc:  # noqa: BLE001 — what the fuzzer looks for
            rc = f"{type(exc).__name__}: {str(exc)[:200]}"
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
        text = err.getvalue()
        conn.send((rc, text if len(text) < 4000 else text[:2000] + "\n…\n" + text[-2000:]))


class Runner:
    """One worker process; restarted after a hang."""

    def __init__(self, mem_gib: float) -> None:
        self.mem_gib = mem_gib
        self.ctx = mp.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.mem_gib), daemon=True)
        self.proc.start()

    def __call__(self, files: dict, argv: list[str], timeout_s: float):
        """(exit code or exception text, stderr), or ("hang", "") after ``timeout_s``."""
        self.conn.send((files, argv))
        if self.conn.poll(timeout_s):
            try:
                return self.conn.recv()
            except EOFError:  # the worker died (killed by the memory cap's allocator?)
                pass
            result = ("traceback", "worker process died")
        else:
            result = ("hang", "")
        self.proc.kill()
        self.proc.join()
        self._start()
        return result

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(timeout=5)


def classify(rc, err: str, names=("w.yaml", "--set")) -> str:
    if rc == "hang":
        return "hang"
    if rc == 0:
        return "ok"
    if rc == 2:
        first = err.strip().splitlines()[0] if err.strip() else ""
        if "Traceback" in err:
            return "traceback"
        return "bad-input" if any(n in first for n in names) else "unnamed"
    return "traceback"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--validate", type=int, default=10_000)
    ap.add_argument("--run", type=int, default=500)
    ap.add_argument("--trace", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout-s", type=float, default=60.0, help="per validate / trace case")
    ap.add_argument("--run-timeout-s", type=float, default=300.0, help="per run case")
    ap.add_argument("--mem-GiB", type=float, default=4.0)
    ap.add_argument("--examples", type=int, default=3, help="defect examples to print per kind")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    runner = Runner(args.mem_GiB)
    counts = {k: collections.Counter() for k in ("validate", "run", "trace")}
    examples = collections.defaultdict(list)
    t0 = time.perf_counter()

    def record(kind, outcome, rc, err, case_argv, desc):
        counts[kind][outcome] += 1
        if outcome in DEFECTS and len(examples[kind, outcome]) < args.examples:
            examples[kind, outcome].append(f"{desc} {case_argv}: {rc} {err.strip()[-300:]}")

    for _ in range(args.validate):
        files, case_argv, desc = validate_case(rng)
        rc, err = runner(files, case_argv, args.timeout_s)
        record("validate", classify(rc, err), rc, err, case_argv, desc)
    tried = 0
    while counts["run"].total() < args.run and tried < 50 * args.run:
        tried += 1
        files, case_argv, desc = run_case(rng)
        rc, err = runner(files, ["validate", *case_argv], args.timeout_s)
        if rc != 0:
            continue
        rc, err = runner(files, ["run", *case_argv, "-o", "out", "--quiet"], args.run_timeout_s)
        record("run", classify(rc, err), rc, err, case_argv, desc)
    for _ in range(args.trace):
        files, case_argv, desc = trace_case(rng)
        rc, err = runner(files, case_argv, args.timeout_s)
        outcome = classify(rc, err, names=("manifest.json", ".npz", "traces:"))
        outcome = {"ok": "accepted", "bad-input": "caught"}.get(outcome, outcome)
        record("trace", outcome, rc, err, case_argv, desc)
    runner.close()
    print(f"fuzz seed {args.seed}: {time.perf_counter() - t0:.0f} s")
    for kind, c in counts.items():
        print(f"  {kind:9s} {c.total():6d} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    for (kind, outcome), items in sorted(examples.items()):
        print(f"\n{kind} {outcome}:")
        for item in items:
            print("  " + item.replace("\n", " | ")[:600])
    return int(any(c[d] for c in counts.values() for d in DEFECTS))


if __name__ == "__main__":
    sys.exit(main())
