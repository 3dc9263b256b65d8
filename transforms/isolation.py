"""Read inbox files in worker processes, so that a reader crash costs one file, not the run.

calamine aborts its whole process on some malformed workbooks (an .xls whose header asks
for 500 GB ends in "memory allocation failed" and SIGABRT, which no Python code can
catch). Reading in a forkserver worker confines that: the pool breaks, the file is tried
once more alone, and if that worker dies too the file is refused with a reason. Workers
also read two files at a time on a two-core machine.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from transforms.discover import InboxFile
from transforms.ingest import FileRead, read_file, refuse_file
from transforms.normalize import NormalizeContext

# Modules the forkserver imports once, so that each worker starts warm.
PRELOAD = ["transforms.ingest"]
# A file that takes longer than this to read is refused (a real township file takes seconds).
READ_TIMEOUT_S = 600


class IsolatedReader:
    """A pool of reader processes shared by the flow's mapped read tasks (threads)."""

    def __init__(self, workers: int = 2) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._workers = workers
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

    def _current_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self._workers, mp_context=self._context)
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def read(
        self, file: InboxFile, ctx: NormalizeContext, max_bytes: int, max_expanded: int
    ) -> FileRead:
        """``read_file`` in a worker; a file whose reader crashes twice, or hangs, is refused."""
        pool = self._current_pool()
        try:
            future = pool.submit(read_file, file, ctx, max_bytes, max_expanded)
            return future.result(timeout=READ_TIMEOUT_S)
        except FutureTimeout:
            self._drop(pool)
            return refuse_file(file, "reader_timeout")
        except BrokenProcessPool:
            self._drop(pool)
        alone = ProcessPoolExecutor(1, mp_context=self._context)
        try:
            future = alone.submit(read_file, file, ctx, max_bytes, max_expanded)
            return future.result(timeout=READ_TIMEOUT_S)
        except BrokenProcessPool:
            return refuse_file(file, "reader_crashed")
        except FutureTimeout:
            return refuse_file(file, "reader_timeout")
        finally:
            alone.shutdown(wait=False, cancel_futures=True)
