"""`make bench`: the pipeline against bare DuckDB/Polars at three inbox sizes.

For each size: generate the inbox once (cached under bench/.data), start one local Prefect
server (its start-up timed apart), run the pipeline and the baseline several times each in
fresh processes, read each stage's time from the flow run's task runs, and print medians
with the ratio pipeline / baseline. Results go to bench/results/<size>-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from epireport.config import load_config
from epireport.demo import generate_inbox, write_config
from epireport.settings import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"

# name -> (roster persons, villages); None keeps the demo township's own figures.
SIZES: dict[str, tuple[int | None, int | None]] = {
    "township": (None, None),
    "county": (600_000, 400),
    "large": (1_200_000, 800),
}
TARGETS_S = {"township": 10.0, "county": 60.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def prefect_server(home: Path):
    """A local Prefect server for the whole bench; yields (api url, start-up seconds)."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}  # fmt: skip
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError(f"Prefect server did not start; see {home / 'server.log'}")
        yield url, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def prepare(size: str) -> tuple[Path, Path, dict]:
    """The inbox and config for a size, generated once and reused."""
    persons, villages = SIZES[size]
    folder = DATA / size
    inbox, config_path, truth_path = (
        folder / "inbox",
        folder / "township.yaml",
        folder / "truth.json",
    )
    if not truth_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        demo = generate_inbox(inbox, load_config(DEMO_CONFIG), persons=persons, villages=villages)
        write_config(demo.config, config_path)
        truth_path.write_text(json.dumps(demo.truth, ensure_ascii=False, default=str))
        print(f"  generated {size} inbox in {time.perf_counter() - started:.0f} s")
    return inbox, config_path, json.loads(truth_path.read_text())


def run_once(what: str, inbox: Path, config: Path, out: Path, env: dict) -> dict:
    command = [sys.executable, "-m", "bench.run_once", "--what", what, "--inbox", str(inbox),
               "--config", str(config), "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{what} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def stage_seconds(api_url: str, flow_run_id: str) -> dict[str, float]:
    """Wall seconds per stage: from its first task run's start to its last one's end
    (the mapped reads overlap, so adding their durations would overstate the stage)."""
    os.environ["PREFECT_API_URL"] = api_url
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    spans: dict[str, tuple] = {}
    for run in runs:
        if run.start_time is None or run.end_time is None:
            continue
        stage = run.task_key.rsplit("-", 1)[0]  # the task function's name
        start, end = spans.get(stage, (run.start_time, run.end_time))
        spans[stage] = (min(start, run.start_time), max(end, run.end_time))
    return {stage: (end - start).total_seconds() for stage, (start, end) in spans.items()}


def bench_size(size: str, repeat: int, api_url: str, startup_s: float) -> dict:
    inbox, config, truth = prepare(size)
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}  # fmt: skip
    out = DATA / size / "output"
    pipeline, baseline, stages = [], [], []
    for _ in range(repeat):
        run = run_once("pipeline", inbox, config, out, env)
        if not run["completed"]:
            raise RuntimeError(f"{size}: the pipeline run did not complete: {run['state']}")
        pipeline.append(run)
        stages.append(asyncio.run(stage_seconds(api_url, run["flow_run_id"])))
        baseline.append(run_once("baseline", inbox, config, out, env))
    records = truth["vaccination"]["records"]
    wall = statistics.median(r["wall_s"] for r in pipeline)
    floor = statistics.median(r["wall_s"] for r in baseline)
    stage_medians = {
        s: statistics.median(run.get(s, 0.0) for run in stages) for s in sorted(stages[0])
    }
    return {
        "size": size,
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "repeat": repeat,
        "persons": truth["population"]["roster_persons"],
        "dose_records": records,
        "files": truth["files"]["total"],
        "prefect_startup_s": startup_s,
        "pipeline_wall_s": wall,
        "stage_s": stage_medians,
        "stages_total_s": sum(stage_medians.values()),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in pipeline),
        "baseline_wall_s": floor,
        "baseline_peak_rss_mb": max(r["peak_rss_mb"] for r in baseline),
        "ratio_pipeline_to_baseline": wall / floor,
        "dose_records_per_s": records / wall,
        "baseline_figures": baseline[0]["figures"],
        "target_s": TARGETS_S.get(size),
    }


def print_table(results: list[dict]) -> None:
    stages = sorted({s for r in results for s in r["stage_s"]})
    print()
    print(f"{'':24}" + "".join(f"{r['size']:>14}" for r in results))
    rows = [
        ("dose records", lambda r: f"{r['dose_records']:,}"),
        ("files", lambda r: f"{r['files']}"),
        ("Prefect start-up s", lambda r: f"{r['prefect_startup_s']:.1f}"),
        ("pipeline wall s", lambda r: f"{r['pipeline_wall_s']:.1f}"),
        *[(f"  {s} s", lambda r, s=s: f"{r['stage_s'].get(s, 0.0):.2f}") for s in stages],
        ("baseline wall s", lambda r: f"{r['baseline_wall_s']:.1f}"),
        ("pipeline / baseline", lambda r: f"{r['ratio_pipeline_to_baseline']:.1f}"),
        ("dose records / s", lambda r: f"{r['dose_records_per_s']:,.0f}"),
        ("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}"),
        ("target s", lambda r: "-" if r["target_s"] is None else f"{r['target_s']:.0f}"),
    ]
    for label, cell in rows:
        print(f"{label:24}" + "".join(f"{cell(r):>14}" for r in results))
    if len(results) >= 2:
        xs = [r["dose_records"] / 1e6 for r in results]
        ys = [r["pipeline_wall_s"] for r in results]
        slope = statistics.linear_regression(xs, ys).slope
        print(f"\nslope: {slope:.1f} s per million dose records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="township,county,large")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    with prefect_server(DATA / "prefect-home") as (api_url, startup_s):
        print(f"Prefect server started in {startup_s:.1f} s")
        for size in args.sizes.split(","):
            print(f"{size}: {args.repeat} runs")
            result = bench_size(size, args.repeat, api_url, startup_s)
            stamp = result["when"].replace(":", "")
            (RESULTS / f"{size}-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
            results.append(result)
    print_table(results)


if __name__ == "__main__":
    main()
