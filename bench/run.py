"""`make bench`: the pipeline against bare DuckDB/Polars and a naive script, at three sizes.

township is the demo township through the township flow; county (20 townships) and large
(40) are many townships through the county flow, because a real inbox of millions of dose
records comes from many townships, not from one huge one. For each size: generate the
inboxes once (cached under bench/.data), start one local Prefect server (its start-up timed
apart), run the pipeline, the baseline and the naive script several times each in fresh
processes, read each stage's time from the task runs, and print medians with the ratios
pipeline / baseline and pipeline / naive. The baseline (bench/baseline.py, Polars + DuckDB,
V60_1 only) is the floor of the work; the naive script (bench/naive.py, one process with
csv, openpyxl and xlrd, every headline figure) is what a user compares us with (issue 16).
Results go to bench/results/<size>-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from epireport.config import TownshipConfig, load_config, load_county
from epireport.demo import generate_inbox, write_config
from epireport.server import server_command
from epireport.settings import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
SEED = 2022  # the generator's default: the township size keeps its golden figures


@dataclasses.dataclass(frozen=True)
class Size:
    """A bench size: the demo township alone (townships=0) or N townships as one county.

    persons and villages are per township; None keeps the demo township's own figures.
    """

    townships: int = 0
    persons: int | None = None
    villages: int | None = None

    @property
    def is_county(self) -> bool:
        return self.townships > 0


# 29,000 persons per township give ~2.6 dose records each (~77k per township). 5 villages
# is the generator's minimum and its smallest inbox (32 files: ~17 plus 3 per village), so
# 20 townships make 640 files, the nearest the generator comes to the issue's ~500.
SIZES: dict[str, Size] = {
    "township": Size(),
    "county": Size(townships=20, persons=29_000, villages=5),
    "large": Size(townships=40, persons=29_000, villages=5),
}
# Issue 16's targets: (result field, limit), each met when the measured value is at most it.
TARGETS: dict[str, tuple[tuple[str, float], ...]] = {
    "township": (("pipeline_wall_s", 8.0),),
    "county": (
        ("pipeline_wall_s", 45.0),
        ("ratio_pipeline_to_baseline", 4.0),
        ("unchanged_rerun_wall_s", 8.0),
    ),
    "large": (("peak_tree_rss_mb", 1536.0),),
}
# Distinct township names (each + 镇) that share no characters' run with the five demo
# villages a 5-village township keeps (石门, 青山, 白沙, 桃源, 柳塘).
TOWNSHIP_CORES = [
    "东岭", "西坪", "南岗", "北山", "红岩", "清河", "长乐", "永和", "安平", "太平",
    "双溪", "三江", "五里", "七星", "九龙", "大坝", "小河", "新田", "古城", "凤凰",
    "麻田", "茶陵", "杉木", "樟坪", "鹤鸣", "水口", "马鞍", "狮山", "象湖", "金鸡",
    "银坑", "铜鼓", "铁炉", "龙岗", "虎形", "梅林", "竹溪", "兰田", "菊潭", "桂花",
]  # fmt: skip
COUNTY_NAME = "云溪县"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[tuple[str, float]]:
    """A local Prefect server for the whole bench; yields (api url, start-up seconds)."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}  # fmt: skip
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(server_command(port), env=env, stdout=log, stderr=subprocess.STDOUT)
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


SUMMED = ("persons", "dose_records", "files", "P60", "V60_1", "V60_2", "P18", "booster")


def _summary(truth: dict) -> dict[str, int]:
    """The figures the bench adds up over townships."""
    return {
        "persons": truth["population"]["roster_persons"],
        "dose_records": truth["vaccination"]["records"],
        "files": truth["files"]["total"],
        "P60": truth["population"]["P60"],
        "V60_1": truth["vaccination"]["V60_1"],
        "V60_2": truth["vaccination"]["V60_2"],
        "P18": truth["population"]["P18"],
        "booster": truth["vaccination"]["booster"],
    }


def _pct(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else round(100 * part / whole, 2)


def truth_figures(truth: dict) -> dict[str, int | float | None]:
    """The generator's headline figures in the naive script's keys (None where a truth file
    cached by an earlier bench lacks them)."""
    p60, p18 = truth["P60"], truth.get("P18")
    v1, v2, booster = truth["V60_1"], truth.get("V60_2"), truth.get("booster")
    return {
        "p60": p60, "v60_dose1": v1, "v60_dose1_pct": _pct(v1, p60),
        "v60_dose2": v2, "v60_dose2_pct": _pct(v2, p60),
        "p18": p18, "booster": booster, "booster_pct": _pct(booster, p18),
    }  # fmt: skip


def _township_config(demo: TownshipConfig, index: int) -> TownshipConfig:
    """The demo township under another code and name (its clinics renamed with it)."""
    core, old = TOWNSHIP_CORES[index], demo.township.name
    name, old_core = f"{core}镇", old.removesuffix("镇")

    def rename(text: str) -> str:
        return text.replace(old, name).replace(f"{old_core}卫生院", f"{core}卫生院")

    data = demo.model_dump(mode="json", exclude_none=True)
    data["township"] |= {"code": f"t{index + 1:02d}", "name": name, "county": COUNTY_NAME}
    data["clinics"] = [
        {**c, "name": rename(c["name"]), "aliases": [rename(a) for a in c.get("aliases", [])]}
        for c in data["clinics"]
    ]
    data.pop("paths", None)  # the demo's scheduled-run folders mean nothing here
    return TownshipConfig.model_validate(data)


def _generate_county(folder: Path, size: str, spec: Size) -> dict:
    """N township inboxes and the county file listing them; a township already generated
    (its truth written last) is kept, so an interrupted generation resumes."""
    demo = load_config(DEMO_CONFIG)
    townships: dict[str, dict] = {}
    for index in range(spec.townships):
        config = _township_config(demo, index)
        code = config.township.code
        inbox, truth_path = folder / "inbox" / code, folder / "townships" / f"{code}.truth.json"
        if not truth_path.exists():
            shutil.rmtree(inbox, ignore_errors=True)
            generated = generate_inbox(
                inbox, config, seed=SEED + index + 1, persons=spec.persons, villages=spec.villages
            )
            write_config(generated.config, folder / "townships" / f"{code}.yaml")
            truth_path.write_text(json.dumps(generated.truth, ensure_ascii=False, default=str))
            print(f"  {code} {config.township.name}: {len(generated.files)} files", flush=True)
        townships[code] = _summary(json.loads(truth_path.read_text()))
    county = {
        "county": {"code": f"bench-{size}", "name": COUNTY_NAME},
        "townships": [{"config": f"townships/{code}.yaml", "inbox": code} for code in townships],
    }
    (folder / "county.yaml").write_text(
        "# Bench county written by bench/run.py.\n"
        + yaml.safe_dump(county, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    load_county(folder / "county.yaml")  # fails here, not in the measured run
    totals = {key: sum(t[key] for t in townships.values()) for key in SUMMED}
    return {**totals, "townships": townships}


def prepare(size: str) -> tuple[Path, Path, dict]:
    """The inbox and config (a township file, or a county file) for a size, generated once
    and reused while the size's definition is unchanged. Returns (inbox, config, truth)
    with truth's persons, dose records and files summed over townships."""
    spec = SIZES[size]
    folder = DATA / size
    truth_path = folder / "truth.json"
    config_path = folder / ("county.yaml" if spec.is_county else "township.yaml")
    if truth_path.exists():
        truth = json.loads(truth_path.read_text())
        if truth.get("spec") == dataclasses.asdict(spec):
            return folder / "inbox", config_path, truth
        print(f"  {folder} was made for another definition of {size}: generating it again")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if spec.is_county:
        truth = _generate_county(folder, size, spec)
    else:
        demo = generate_inbox(folder / "inbox", load_config(DEMO_CONFIG), seed=SEED,
                              persons=spec.persons, villages=spec.villages)  # fmt: skip
        write_config(demo.config, config_path)
        truth = _summary(demo.truth)
    truth = {"spec": dataclasses.asdict(spec), **truth}
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1))
    print(f"  generated {size} inbox in {time.perf_counter() - started:.0f} s: "
          f"{truth['persons']:,} persons, {truth['dose_records']:,} dose records, "
          f"{truth['files']} files")  # fmt: skip
    return folder / "inbox", config_path, truth


def run_once(
    what: str, flow: str, inbox: Path, config: Path, out: Path, env: dict,
    options: tuple[str, ...] = (),
) -> dict:  # fmt: skip
    """One measured run (pipeline, baseline or naive) in a fresh process; its JSON line."""
    command = [sys.executable, "-m", "bench.run_once", "--what", what, "--flow", flow,
               "--inbox", str(inbox), "--config", str(config), "--out", str(out),
               *options]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{what} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


PAGE = 200  # the server's default and largest page (PREFECT_SERVER_API_DEFAULT_LIMIT)


async def _every(read: Any, **filters: Any) -> list:
    """All rows of a read_* query: the API returns at most PAGE rows per call, which once
    cut a 1,180-file township's task runs short."""
    rows: list = []
    while True:
        page = await read(**filters, limit=PAGE, offset=len(rows))
        rows += page
        if len(page) < PAGE:
            return rows


def _spans(task_runs: list) -> dict[str, float]:
    """Wall seconds per stage: from its first task run's start to its last one's end
    (the mapped reads overlap, so adding their durations would overstate the stage)."""
    spans: dict[str, tuple] = {}
    for run in task_runs:
        if run.start_time is None or run.end_time is None:
            continue
        stage = run.task_key.rsplit("-", 1)[0]  # the task function's name
        start, end = spans.get(stage, (run.start_time, run.end_time))
        spans[stage] = (min(start, run.start_time), max(end, run.end_time))
    return {stage: (end - start).total_seconds() for stage, (start, end) in spans.items()}


async def stage_seconds(api_url: str, flow_run_id: str) -> tuple[dict[str, float], float]:
    """Stage seconds and the township flow runs' summed duration.

    A county run's townships are child flow runs: a stage's figure is the sum over
    townships of each township's span of that stage (townships overlap, so it can exceed
    the wall time). The county run's own tasks count too, except those that only wrap a
    township (the `township` task and the subflow's tracking task run).
    """
    os.environ["PREFECT_API_URL"] = api_url
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort

    async with get_client() as client:

        async def task_runs(ids: list) -> list:
            only = FlowRunFilter(id=FlowRunFilterId(any_=ids))
            return await _every(client.read_task_runs, sort=TaskRunSort.ID_DESC,
                                flow_run_filter=only)  # fmt: skip

        top = await client.read_flow_run(flow_run_id)
        children = await _every(
            client.read_flow_runs, sort=FlowRunSort.ID_DESC,
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(
                any_=[top.id])),
        )  # fmt: skip
        townships = children or [top]
        # Task run states arrive as events the server records a little later: wait until
        # every task run has ended and their number holds still.
        seen = -1
        for _ in range(30):
            runs = await task_runs([top.id, *(c.id for c in children)])
            if len(runs) == seen and all(r.end_time for r in runs):
                break
            seen = len(runs)
            await asyncio.sleep(1)
    wrappers = {c.parent_task_run_id for c in children}
    stages: dict[str, float] = {}
    for flow_run in townships:
        own = [r for r in runs if r.flow_run_id == flow_run.id]
        for stage, seconds in _spans(own).items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    if children:
        county_own = [
            r for r in runs
            if r.flow_run_id == top.id and r.id not in wrappers
            and not r.task_key.startswith("run_township-")
        ]  # fmt: skip
        for stage, seconds in _spans(county_own).items():
            stages[f"county: {stage}"] = seconds
    flows_s = sum(f.total_run_time.total_seconds() for f in townships)
    return stages, flows_s


def bench_size(size: str, repeat: int, api_url: str, startup_s: float, task_runner: str) -> dict:
    """Run one size `repeat` times; medians of wall and stage seconds, max of peak RSS.
    Then once more on the unchanged inbox, as a nightly run with no new file would."""
    inbox, config, truth = prepare(size)
    spec = SIZES[size]
    flow = "county" if spec.is_county else "township"
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1"}  # fmt: skip
    out = DATA / size / "output"
    pipeline, baseline, naive, stages, flows_s = [], [], [], [], []
    runner = ("--task-runner", task_runner)
    for _ in range(repeat):
        # A fresh output folder and --reread each time: an unchanged inbox would otherwise
        # reuse the stored tables and the checks' cached verdicts, and the bench measures
        # the whole work.
        shutil.rmtree(out, ignore_errors=True)
        run = run_once("pipeline", flow, inbox, config, out, env, (*runner, "--reread"))
        if not run["completed"]:
            raise RuntimeError(f"{size}: the pipeline run did not complete: {run['state']}")
        pipeline.append(run)
        run_stages, run_flows_s = asyncio.run(stage_seconds(api_url, run["flow_run_id"]))
        stages.append(run_stages)
        flows_s.append(run_flows_s)
        baseline.append(run_once("baseline", flow, inbox, config, out, env))
        naive.append(run_once("naive", flow, inbox, config, out, env))
    unchanged = run_once("pipeline", flow, inbox, config, out, env, runner)
    records = truth["dose_records"]
    wall = statistics.median(r["wall_s"] for r in pipeline)
    floor = statistics.median(r["wall_s"] for r in baseline)
    plain = statistics.median(r["wall_s"] for r in naive)
    names = sorted({s for run in stages for s in run})
    stage_medians = {s: statistics.median(run.get(s, 0.0) for run in stages) for s in names}
    return {
        "size": size,
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "repeat": repeat,
        "flow": flow,
        "townships": spec.townships or 1,
        "persons": truth["persons"],
        "dose_records": records,
        "files": truth["files"],
        "truth_v60_dose1_pct": round(100 * truth["V60_1"] / truth["P60"], 2),
        "truth_figures": truth_figures(truth),
        "prefect_startup_s": startup_s,
        "pipeline_wall_s": wall,
        "task_runner": task_runner if spec.is_county else None,
        "unchanged_rerun_wall_s": unchanged["wall_s"],
        "stage_s": stage_medians,
        "stage_s_is": "Σ over townships of each one's span" if spec.is_county else "span",
        "stages_total_s": sum(stage_medians.values()),
        "township_flows_s": statistics.median(flows_s),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in pipeline),
        "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in pipeline),
        "baseline_wall_s": floor,
        "baseline_peak_rss_mb": max(r["peak_rss_mb"] for r in baseline),
        "ratio_pipeline_to_baseline": wall / floor,
        "naive_wall_s": plain,
        "naive_peak_rss_mb": max(r["peak_rss_mb"] for r in naive),
        "ratio_pipeline_to_naive": wall / plain,
        "dose_records_per_s": records / wall,
        "baseline_figures": baseline[0]["figures"],
        "naive_figures": naive[0]["figures"],
        "targets": dict(TARGETS.get(size, ())),
    }


FIGURES = (
    ("P60", "p60"), ("V60_1", "v60_dose1"), ("V60_1 %", "v60_dose1_pct"),
    ("V60_2", "v60_dose2"), ("V60_2 %", "v60_dose2_pct"),
    ("P18", "p18"), ("booster", "booster"), ("booster %", "booster_pct"),
)  # fmt: skip


def _figure(result: dict, source: str, key: str) -> str:
    """A headline figure of the generator's truth or of the naive script, "-" if unknown."""
    value = result.get(f"{source}_figures", {}).get(key)
    if value is None:
        return "-"
    return f"{value:.2f}" if key.endswith("_pct") else f"{value:,}"


def _skipped(files: dict[str, int]) -> int:
    return sum(n for what, n in files.items() if what.startswith("skipped"))


# The targets' rows of the table, in this order.
TARGET_ROWS = (
    ("pipeline_wall_s", "end to end s"),
    ("ratio_pipeline_to_baseline", "pipeline / baseline"),
    ("unchanged_rerun_wall_s", "re-run s"),
    ("peak_tree_rss_mb", "process tree MB"),
)


def _target(result: dict, field: str) -> str:
    """ "≤ limit met" or "≤ limit MISSED" for a target of this size, "-" where it has none."""
    limit = result.get("targets", {}).get(field)
    if limit is None:
        return "-"
    return f"≤{limit:g} {'met' if result[field] <= limit else 'MISSED'}"


def print_table(results: list[dict]) -> None:
    """One column per size; stage rows are spans (Σ over townships for a county)."""
    stages = sorted({s for r in results for s in r["stage_s"]}, key=lambda s: (":" in s, s))
    print()
    print(f"{'':28}" + "".join(f"{r['size']:>14}" for r in results))
    rows = [
        ("flow", lambda r: r["flow"]),
        ("townships", lambda r: f"{r['townships']}"),
        ("persons", lambda r: f"{r['persons']:,}"),
        ("dose records", lambda r: f"{r['dose_records']:,}"),
        ("files", lambda r: f"{r['files']}"),
        ("Prefect start-up s", lambda r: f"{r['prefect_startup_s']:.1f}"),
        ("pipeline wall s", lambda r: f"{r['pipeline_wall_s']:.1f}"),
        ("  re-run, inbox unchanged s", lambda r: f"{r['unchanged_rerun_wall_s']:.1f}"),
        ("townships on", lambda r: r["task_runner"] or "-"),
        ("township flow runs Σ s", lambda r: f"{r['township_flows_s']:.1f}"),
        ("stages (Σ over townships) s", lambda r: ""),
        *[(f"  {s}", lambda r, s=s: f"{r['stage_s'].get(s, 0.0):.2f}") for s in stages],
        ("baseline wall s", lambda r: f"{r['baseline_wall_s']:.1f}"),
        ("pipeline / baseline", lambda r: f"{r['ratio_pipeline_to_baseline']:.1f}"),
        ("naive wall s", lambda r: f"{r['naive_wall_s']:.1f}"),
        ("pipeline / naive", lambda r: f"{r['ratio_pipeline_to_naive']:.1f}"),
        ("dose records / s", lambda r: f"{r['dose_records_per_s']:,.0f}"),
        ("peak RSS MB (one process)", lambda r: f"{r['peak_rss_mb']:.0f}"),
        ("peak RSS MB (process tree)", lambda r: f"{r['peak_tree_rss_mb']:.0f}"),
        ("baseline peak RSS MB", lambda r: f"{r['baseline_peak_rss_mb']:.0f}"),
        ("naive peak RSS MB", lambda r: f"{r['naive_peak_rss_mb']:.0f}"),
        ("V60_1 % baseline", lambda r: f"{r['baseline_figures']['v60_dose1_pct']:.2f}"),
        *[
            (f"{label} {source}", lambda r, key=key, source=source: _figure(r, source, key))
            for label, key in FIGURES
            for source in ("truth", "naive")
        ],
        ("naive files skipped", lambda r: f"{_skipped(r['naive_figures']['files'])}"),
        ("naive rows skipped", lambda r: f"{sum(r['naive_figures']['rows_skipped'].values())}"),
        *[(f"target: {label}", lambda r, f=field: _target(r, f)) for field, label in TARGET_ROWS],
    ]
    for label, cell in rows:
        print(f"{label:28}" + "".join(f"{cell(r):>14}" for r in results))
    if len({r["dose_records"] for r in results}) >= 2:
        xs = [r["dose_records"] / 1e6 for r in results]
        for what in ("pipeline", "baseline", "naive"):
            ys = [r[f"{what}_wall_s"] for r in results]
            slope = statistics.linear_regression(xs, ys).slope
            print(f"\n{what} slope: {slope:.1f} s per million dose records", end="")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="township,county,large")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--task-runner", choices=["processes", "threads"], default="processes",
        help="how a county's townships run: worker processes or threads of one process",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    if unknown := set(sizes) - set(SIZES):
        parser.error(f"unknown sizes {sorted(unknown)}; known: {', '.join(SIZES)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    for size in sizes:  # generate first, so that the server's start-up is not waiting on it
        prepare(size)
    results = []
    with prefect_server(DATA / "prefect-home") as (api_url, startup_s):
        print(f"Prefect server started in {startup_s:.1f} s")
        for size in sizes:
            print(f"{size}: {args.repeat} runs", flush=True)
            result = bench_size(size, args.repeat, api_url, startup_s, args.task_runner)
            stamp = result["when"].replace(":", "")
            (RESULTS / f"{size}-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
            results.append(result)
    print_table(results)


if __name__ == "__main__":
    main()
