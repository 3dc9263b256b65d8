"""The task decorator of the flows' stages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE


def stage(**options: Any) -> Callable[[Callable[..., Any]], Task]:
    """A stage's task, never cached by its inputs: Prefect would pickle every input to hash
    it (the frames of a township: seconds), and pickling a Polars frame holds the GIL while
    it waits on Polars' thread pool, which deadlocks against another township's Python UDFs
    when townships run on threads (the county's thread and Dask runners)."""
    return task(cache_policy=NO_CACHE, **options)
