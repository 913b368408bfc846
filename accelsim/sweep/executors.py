"""Where points run: in this process, a local process pool, or a Dask cluster.

Every executor is a context manager whose :meth:`results` yields one record per task, in
completion order. Closing the generator early (an interrupt) stops the work: local workers
are terminated and joined (none is left behind), Dask futures are cancelled and a cluster
this executor started is shut down.

Local workers ignore SIGINT (a Ctrl-C reaches the whole process group; the parent decides)
and die with the sweep's process whatever kills it (SIGKILL included): a forkserver worker's
parent is the forkserver, not the sweep, so each worker watches the sweep's process itself
(a pidfd on Linux, polling elsewhere). With the workers gone, the forkserver and the resource
tracker exit too. Workers start in ``/`` when the current folder cannot be entered (``su`` to
another user from a private home), since every path they get is absolute.
"""

from __future__ import annotations

import os
import signal
import sys
import uuid
from collections.abc import Iterator

from accelsim.errors import ConfigError
from accelsim.sweep.point import record, run_point

EXECUTORS = ("local", "dask")
CRASHES_BEFORE_ISOLATION = 2
PRELOAD = ["accelsim.sweep.point", "accelsim.api", "accelsim.plan.plan", "workloads.zoo"]


def default_jobs() -> int:
    """The number of CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def make_executor(kind: str, jobs: int, scheduler: str | None = None):
    """The executor for ``--executor`` / ``--jobs`` / ``--scheduler``."""
    if kind not in EXECUTORS:
        raise ConfigError(f"--executor {kind!r}: expected one of {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: expected a positive number of worker processes")
    if kind == "dask":
        return DaskExecutor(jobs, scheduler)
    if scheduler:
        raise ConfigError("--scheduler needs --executor dask")
    return SerialExecutor() if jobs == 1 else LocalPoolExecutor(jobs)


class SerialExecutor:
    """Runs points one after another in this process (``--jobs 1``)."""

    jobs = 1
    description = "this process"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def results(self, tasks: list[tuple[str, object]]) -> Iterator[dict]:
        for cfg_hash, cfg in tasks:
            yield run_point(cfg, cfg_hash)


def _init_worker(sweep_pid: int) -> None:
    """Worker setup: leave SIGINT to the parent; die with the sweep's process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    _watch(sweep_pid)


def _watch(pid: int) -> None:
    """Exit this process as soon as process ``pid`` is gone (a daemon thread)."""
    import threading

    def wait_pidfd(fd: int) -> None:
        import select

        select.select([fd], [], [])
        os._exit(1)

    def poll() -> None:
        import time

        while _alive(pid):
            time.sleep(0.5)
        os._exit(1)

    try:
        fd = os.pidfd_open(pid)
        target, args = wait_pidfd, (fd,)
    except (AttributeError, OSError):  # not Linux >= 5.3
        if not _alive(pid):
            os._exit(1)
        target, args = poll, ()
    threading.Thread(target=target, args=args, daemon=True, name="watch-sweep").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _usable_cwd() -> None:
    """Move to ``/`` if the current folder cannot be entered (workers would fail to start)."""
    try:
        ok = os.access(os.getcwd(), os.R_OK | os.X_OK)
    except OSError:  # deleted
        ok = False
    if not ok:
        os.chdir("/")


class LocalPoolExecutor:
    """A pool of ``jobs`` worker processes on this machine.

    A worker that dies (killed, out of memory) breaks the pool: the unfinished points are
    resubmitted to a fresh pool, and a point caught in two such crashes is retried alone;
    if it kills its worker again it becomes an ``error`` row.
    """

    def __init__(self, jobs: int, task=run_point):
        self.jobs = jobs
        self.task = task
        self.description = f"{jobs} local worker processes"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _pool(self, workers: int):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(PRELOAD)
        _usable_cwd()
        return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(os.getpid(),))

    @staticmethod
    def _stop(pool, kill: bool) -> None:
        """Shut the pool down; with ``kill``, terminate and reap its workers first."""
        if not kill:
            pool.shutdown(wait=True)
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)

    def _run(self, tasks: dict, workers: int, crashed: set) -> Iterator[dict]:
        """Run ``tasks`` (hash → cfg) on one pool; hashes lost to a crash go into ``crashed``."""
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        pool = self._pool(workers)
        finished = False
        try:
            futures = {pool.submit(self.task, cfg, h): h for h, cfg in tasks.items()}
            for fut in as_completed(futures):
                try:
                    rec = fut.result()
                except BrokenProcessPool:
                    crashed.add(futures[fut])
                    continue
                yield rec
            finished = True
        finally:
            self._stop(pool, kill=not finished or bool(crashed))

    def results(self, tasks: list[tuple[str, object]]) -> Iterator[dict]:
        pending = dict(tasks)
        crashes: dict[str, int] = {}
        isolate: list[str] = []
        while pending:
            crashed: set[str] = set()
            for rec in self._run(pending, min(self.jobs, len(pending)), crashed):
                pending.pop(rec["config_hash"], None)
                yield rec
            for h in crashed:
                crashes[h] = crashes.get(h, 0) + 1
                if crashes[h] >= CRASHES_BEFORE_ISOLATION:
                    isolate.append(h)
            pending = {h: cfg for h, cfg in pending.items() if h not in isolate}
        by_hash = dict(tasks)
        for h in isolate:
            crashed = set()
            yield from self._run({h: by_hash[h]}, 1, crashed)
            if crashed:
                yield record(h, "error", "the worker process died while simulating this point "
                             "(killed, or out of memory?)")


class DaskExecutor:
    """Points as tasks on a Dask cluster: ``scheduler`` (an address) or a new LocalCluster.

    The LocalCluster listens on 127.0.0.1 only, has ``jobs`` single-threaded worker processes
    and no dashboard.
    """

    def __init__(self, jobs: int, scheduler: str | None):
        self.jobs = jobs
        self.scheduler = scheduler
        self.client = self.cluster = None
        self.description = (f"Dask scheduler {scheduler}" if scheduler
                            else f"Dask LocalCluster of {jobs} worker processes on 127.0.0.1")

    def __enter__(self):
        import logging

        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--executor dask needs dask.distributed; install it with "
                              "pip install 'accelsim[dist]'") from None
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ConfigError(f"--scheduler {self.scheduler}: cannot connect ({exc}); start "
                                  "one with `dask scheduler --host 127.0.0.1` or drop --scheduler "
                                  "to use a local cluster") from None
        else:
            self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1,
                                        processes=True, host="127.0.0.1",
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = self.cluster.get_client()
        return self

    def __exit__(self, *exc):
        try:
            self._close()
        except KeyboardInterrupt:  # a signal while closing: finish closing, then stop
            self._close()
            raise
        return False

    def _close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def results(self, tasks: list[tuple[str, object]]) -> Iterator[dict]:
        from dask.distributed import as_completed

        token = uuid.uuid4().hex[:8]
        futures = {self.client.submit(run_point, cfg, h, key=f"accelsim-point-{h}-{token}",
                                      pure=False): h for h, cfg in tasks}
        finished = False
        try:
            for fut in as_completed(list(futures)):
                try:
                    rec = fut.result()
                except Exception as exc:  # noqa: BLE001 — e.g. KilledWorker: the point failed
                    rec = record(futures[fut], "error", f"Dask task failed: "
                                 f"{type(exc).__name__}: {exc}")
                yield rec
            finished = True
        finally:
            if not finished:
                self.client.cancel(list(futures))
