"""Replay the DRAM request stream of real runs through a fresh DRAM model: speed and identity.

    python benchmarks/bench_dram_replay.py record [--workloads deit_tiny_int8 ...] [--out F]
    python benchmarks/bench_dram_replay.py replay [--check] [--old /path/to/old/checkout] [--in F]

``record`` runs each workload (``workloads/examples/<name>.yaml``) in this process with every
:class:`~accelsim.memory.dram.model.DramModel` wrapped, and pickles, per model, its spec and
the calls it received in order (requests, flushes, counter snapshots) with their results (of
the counters snapshots one in ``KEEP_EVERY`` and the final state).
``replay`` feeds each stream to a fresh model built from this tree (and, with ``--old``, from
that checkout, in a subprocess) and prints the CPU seconds of each; ``--check`` also asserts
that every returned time and every counters snapshot equals the recorded one exactly (floats
with ``==``). Record with the old tree to pin its results: ``PYTHONPATH=/old python ... record``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "workloads" / "examples"
DEFAULT_FILE = Path(tempfile.gettempdir()) / "dram_replay.pkl"
WORKLOADS = ("llama2_7b_decode_ssvq", "deit_tiny_int8")
KEEP_EVERY = 16  # counters snapshots kept for the check: one call in this many, and the last


def record(workloads: list[str], out: Path) -> None:
    """Run the workloads with every DRAM model's calls recorded; pickle the streams to ``out``."""
    from accelsim.cli import main as cli_main
    from accelsim.memory.dram import model as dram_model

    streams: list[tuple] = []  # (workload, spec, ops)
    orig = (dram_model.DramModel.__init__, dram_model.DramModel.request,
            dram_model.DramModel.flush, dram_model.DramModel.counters)
    current = {"name": ""}
    models: list = []

    def init(self, spec):
        orig[0](self, spec)
        self._rec = []
        models.append(self)
        streams.append((current["name"], spec, self._rec))

    def request(self, t_ns, addr, nbytes, write):
        done = orig[1](self, t_ns, addr, nbytes, write)
        self._rec.append(("r", (t_ns, addr, nbytes, write), done))
        return done

    def flush(self, t_ns):
        done = orig[2](self, t_ns)
        self._rec.append(("f", (t_ns,), done))
        return done

    def counters(self):
        out = orig[3](self)
        self._rec.append(("c", (), dict(out) if len(self._rec) % KEEP_EVERY == 0 else None))
        return out

    dram_model.DramModel.__init__, dram_model.DramModel.request = init, request
    dram_model.DramModel.flush, dram_model.DramModel.counters = flush, counters
    with tempfile.TemporaryDirectory() as tmp:
        for name in workloads:
            current["name"] = name
            cli_main(["run", "--quiet", "-o", str(Path(tmp) / name), str(EXAMPLES / f"{name}.yaml")])
        for model in models:  # the final state, always checked
            model._rec.append(("c", (), dict(orig[3](model))))
    with open(out, "wb") as f:
        pickle.dump(streams, f, protocol=pickle.HIGHEST_PROTOCOL)
    for name in workloads:
        mine = [ops for w, _, ops in streams if w == name]
        n_req = sum(op[0] == "r" for ops in mine for op in ops)
        print(f"{name}: {len(mine)} DRAM models, {n_req} requests, {sum(map(len, mine))} calls")


def replay(path: Path, check: bool, repeat: int = 1) -> dict[str, float]:
    """CPU seconds per workload to replay its streams on fresh models (the least of ``repeat``
    replays); with ``check``, assert every result equals the recorded one."""
    from accelsim.memory.dram.model import DramModel

    with open(path, "rb") as f:
        streams = pickle.load(f)
    best: dict[str, float] = {}
    for _ in range(repeat):
        secs: dict[str, float] = {}
        for name, spec, ops in streams:
            m = DramModel(spec)
            calls = {"r": m.request, "f": m.flush, "c": m.counters}
            t0 = time.process_time()
            got = [calls[op](*args) for op, args, _ in ops]
            secs[name] = secs.get(name, 0.0) + time.process_time() - t0
            if check:
                for i, ((op, args, want), have) in enumerate(zip(ops, got, strict=True)):
                    assert want is None or have == want, f"{name}: call {i} {op}{args}: {have!r} != {want!r}"
        best = {k: min(v, best.get(k, v)) for k, v in secs.items()}
    return best


def replay_in(tree: Path, path: Path, repeat: int) -> dict[str, float]:
    """:func:`replay` (no check) in a subprocess running ``tree``'s code."""
    code = (f"import sys; sys.path.append({str(ROOT)!r}); "
            "from benchmarks.bench_dram_replay import replay; import accelsim; "
            f"assert accelsim.__file__.startswith({str(tree)!r}), accelsim.__file__; "
            f"print(repr(replay(__import__('pathlib').Path({str(path)!r}), False, {repeat})))")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True, cwd=tree)
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own repr of a dict


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("record", "replay"))
    ap.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the recorded streams")
    ap.add_argument("--check", action="store_true", help="assert results equal the recording")
    ap.add_argument("--old", type=Path, default=None, help="an older checkout to time as well")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds, old and new alternating; each replays 3 times (least CPU time)")
    args = ap.parse_args(argv)
    if args.mode == "record":
        record(args.workloads, args.file)
        return 0
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    new = replay(args.file, args.check)
    if args.check:
        print("check: every returned time and counters snapshot equals the recording")
    old = None
    for _ in range(args.repeat):
        got = replay_in(ROOT, args.file, 3)
        new = {k: min(v, got[k]) for k, v in new.items()}
        if args.old:
            got = replay_in(args.old.resolve(), args.file, 3)
            old = {k: min(v, old.get(k, v) if old else v) for k, v in got.items()}
    for name, s in new.items():
        extra = f"  old {old[name]:.3f} s  old/new {old[name] / s:.2f}×" if old else ""
        print(f"{name:24} new {s:.3f} s{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
