"""One measured pipeline run in its own process, so that its peak RSS is its own.

Prints one JSON line: flow run id, wall seconds, peak RSS in MB, and the baseline's
figures and seconds on the same inbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from pathlib import Path

from bench.baseline import baseline_coverage
from epireport.config import load_config
from epireport.settings import configure_prefect_environment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--what", choices=["pipeline", "baseline"], required=True)
    args = parser.parse_args()
    configure_prefect_environment()
    config = load_config(args.config)
    started = time.perf_counter()
    result: dict[str, object] = {}
    if args.what == "pipeline":
        from flows.township_report import township_report

        state = township_report(
            inbox=args.inbox, config_path=args.config, out=args.out,
            run_date=dt.date(2026, 11, 29), return_state=True,
        )  # fmt: skip
        result["flow_run_id"] = str(state.state_details.flow_run_id)
        result["completed"] = state.is_completed()
        result["state"] = f"{state.type.value}: {state.message or ''}"
    else:
        result["figures"] = baseline_coverage(args.inbox, config.cutoff_date or dt.date.today())
    result["wall_s"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
