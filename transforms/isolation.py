"""Read inbox files in worker processes, so that a reader crash costs one file, not the run.

calamine aborts its whole process on some malformed workbooks (an .xls whose header asks
for 500 GB ends in "memory allocation failed" and SIGABRT, which no Python code can
catch). Reading in a forkserver worker confines that: the pool breaks, the file is tried
once more alone, and if that worker dies too the file is refused with a reason. Workers
also read two files at a time on a two-core machine.

Each worker may add only a bounded amount of address space (RLIMIT_AS), so a file that
would take gigabytes fails on its own instead of starving the machine, and it ends with
the run even when the run is killed with SIGKILL: the kernel kills it when its parent
(the forkserver, which exits with the run) dies, and a watchdog thread ends it when the
run's process is gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType

from epireport.config import TownshipConfig
from transforms.discover import InboxFile
from transforms.ingest import FileRead, read_file, refuse_file
from transforms.normalize import NormalizeContext
from transforms.read import ShapeLimits

# Modules the forkserver imports once, so that each worker starts warm.
PRELOAD = ["transforms.ingest"]
# A file that takes longer than this to read is refused (a real township file takes seconds).
READ_TIMEOUT_S = 600
# Address space a worker may add to what it holds when it starts (township config default).
DEFAULT_MEMORY_BYTES = int(TownshipConfig.model_fields["reader_memory_mb"].default) * 2**20
# How often a worker checks that the run's process is still there.
WATCHDOG_INTERVAL_S = 1.0
PR_SET_PDEATHSIG = 1


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (killed, not yet reaped) counts as gone."""
    if Path("/proc/self").is_dir():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _watch(run_pid: int) -> None:
    while _alive(run_pid):
        time.sleep(WATCHDOG_INTERVAL_S)
    os._exit(1)


def _die_with_run(run_pid: int) -> None:
    """SIGKILL from the kernel when the parent dies (Linux), and a watchdog on the run."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog alone
    threading.Thread(target=_watch, args=(run_pid,), daemon=True).start()


def _address_space() -> int:
    """This process's current virtual size in bytes (0 where /proc is absent)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(extra_bytes: int) -> None:
    """Let the worker grow by ``extra_bytes`` at most: an allocation past it fails."""
    current = _address_space()
    if current == 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def init_worker(run_pid: int, memory_bytes: int) -> None:
    """Runs first in every reader worker."""
    _die_with_run(run_pid)
    _limit_memory(memory_bytes)


class IsolatedReader:
    """A pool of reader processes, fed by as many threads as it has workers."""

    def __init__(self, workers: int = 2, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._workers = workers
        self._initargs = (os.getpid(), memory_bytes)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers, mp_context=self._context, initializer=init_worker, initargs=self._initargs
        )

    def _current_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool(self._workers)
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def read(
        self,
        file: InboxFile,
        ctx: NormalizeContext,
        max_bytes: int,
        max_expanded: int,
        shape: ShapeLimits | None = None,
    ) -> FileRead:
        """``read_file`` in a worker; a file whose reader crashes twice, or hangs, is refused."""
        args = (file, ctx, max_bytes, max_expanded, shape)
        pool = self._current_pool()
        try:
            return pool.submit(read_file, *args).result(timeout=READ_TIMEOUT_S)
        except FutureTimeout:
            self._drop(pool)
            return refuse_file(file, "reader_timeout")
        except BrokenProcessPool:
            self._drop(pool)
        alone = self._new_pool(1)
        try:
            return alone.submit(read_file, *args).result(timeout=READ_TIMEOUT_S)
        except BrokenProcessPool:
            return refuse_file(file, "reader_crashed")
        except FutureTimeout:
            return refuse_file(file, "reader_timeout")
        finally:
            alone.shutdown(wait=False, cancel_futures=True)

    def read_all(
        self,
        files: Sequence[InboxFile],
        ctx: NormalizeContext,
        max_bytes: int,
        max_expanded: int,
        shape: ShapeLimits | None = None,
    ) -> list[FileRead]:
        """Every file, ``workers`` at a time, in the order given; one that crashes its reader
        is refused alone (see ``read``)."""
        with ThreadPoolExecutor(self._workers, thread_name_prefix="reader") as threads:
            return list(
                threads.map(lambda f: self.read(f, ctx, max_bytes, max_expanded, shape), files)
            )
