"""One measured run in its own process, so that its peak RSS is its own.

The pipeline is the township flow (a township file) or the county flow (a county file,
townships in worker processes or on threads); the baseline is bare Polars + DuckDB
(bench/baseline.py); naive is the single-process openpyxl/xlrd/csv script
(bench/naive.py). Each imports only what it uses, so that the naive run's memory is not the
baseline's libraries'. Prints one JSON line: the top flow run's id and state, wall seconds,
peak RSS in MB; for the baseline and the naive script, their figures on the same raw files.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import threading
import time
import uuid
from pathlib import Path

import psutil

from epireport.config import load_config, load_county
from epireport.settings import configure_prefect_environment

RUN_DATE = dt.date(2026, 11, 29)


class TreeRss(threading.Thread):
    """Peak of the summed RSS of this process and all its descendants (the reader pools'
    forkserver workers are grandchildren, whose peaks ru_maxrss never sees while the run
    lasts). Sampled, so a spike shorter than `every` can slip by; pages shared between
    processes count once per process."""

    def __init__(self, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.every, self.peak = every, 0
        self._done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.wait(self.every):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # ended since the listing
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._done.set()
        self.join()
        return self.peak / 2**20


def _top_flow_run(tag: str):
    """The flow run this process started (tagged `tag`, no parent), read from the API: the
    county flow returns a path, not a state, and raises when a township fails."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentTaskRunId,
        FlowRunFilterTags,
    )

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[tag]),
                parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True),
            )
        )
    if len(runs) != 1:
        raise RuntimeError(f"expected one flow run tagged {tag}, found {len(runs)}")
    return runs[0]


def run_pipeline(
    flow: str, inbox: Path, config: Path, out: Path, task_runner: str, reread: bool
) -> dict[str, object]:
    """Run the township or county flow; its top flow run's id, state and whether it completed."""
    from prefect import tags

    tag = f"bench-{uuid.uuid4().hex[:12]}"
    error = ""
    with tags(tag):
        try:
            if flow == "county":
                from flows.county_report import run_county

                run_county(inbox=inbox, config_path=config, out=out, run_date=RUN_DATE,
                           task_runner=task_runner, reread=reread)  # fmt: skip
            else:
                from flows.township_report import township_report

                township_report(inbox=inbox, config_path=config, out=out, run_date=RUN_DATE,
                                reread=reread)  # fmt: skip
        except Exception as e:  # the flow run's state says it; keep the message too
            error = f" ({type(e).__name__}: {str(e)[:500]})"
    run = _top_flow_run(tag)
    return {
        "flow_run_id": str(run.id),
        "completed": run.state.is_completed(),
        "state": f"{run.state.type.value}: {run.state.message or ''}{error}",
    }


def run_naive(flow: str, inbox: Path, config: Path) -> dict:
    """The naive script's figures on the township's inbox, or on each township's of a county.
    Imported here, on the clock, as the pipeline's flow is: a user waits for it too."""
    from bench.naive import naive_county, naive_township, spellings

    if flow == "county":
        _, townships = load_county(config)
        return naive_county(
            (inbox / entry.inbox, township.cutoff(RUN_DATE), spellings(township))
            for entry, _, township in townships
        )
    township = load_config(config)
    return naive_township(inbox, township.cutoff(RUN_DATE), spellings(township))


def _reap_forkserver() -> None:
    """Stop the reader pools' forkserver and wait for it, so that its peak and its
    (already reaped) workers' peaks enter RUSAGE_CHILDREN. Private API, bench only."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    if server is not None and hasattr(server, "_stop"):
        server._stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--what", choices=["pipeline", "baseline", "naive"], required=True)
    parser.add_argument("--flow", choices=["township", "county"], default="township")
    parser.add_argument("--task-runner", choices=["processes", "threads"], default="processes")
    parser.add_argument("--reread", action="store_true", help="no stored load or cached check")
    args = parser.parse_args()
    configure_prefect_environment()
    if args.what == "baseline":  # imported before the clock starts, as it always was
        from bench.baseline import baseline_county, baseline_coverage
    tree = TreeRss()
    tree.start()
    started = time.perf_counter()
    result: dict[str, object] = {}
    if args.what == "pipeline":
        result |= run_pipeline(
            args.flow, args.inbox, args.config, args.out, args.task_runner, args.reread
        )
    elif args.what == "naive":
        result["figures"] = run_naive(args.flow, args.inbox, args.config)
    elif args.flow == "county":
        _, townships = load_county(args.config)
        result["figures"] = baseline_county(
            [(args.inbox / entry.inbox, config.cutoff(RUN_DATE)) for entry, _, config in townships]
        )
    else:
        result["figures"] = baseline_coverage(args.inbox, load_config(args.config).cutoff(RUN_DATE))
    result["wall_s"] = time.perf_counter() - started
    result["peak_tree_rss_mb"] = tree.stop()
    _reap_forkserver()
    # The largest single process: this one (RUSAGE_SELF; on threads the county's townships
    # run in it) or the largest descendant it has waited for (RUSAGE_CHILDREN: the township
    # worker processes, the reader workers through the forkserver reaped above). ru_maxrss
    # is in KiB on Linux.
    result["peak_rss_mb"] = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
