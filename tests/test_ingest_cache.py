"""Re-running an unchanged inbox: the stored load and the checks' verdicts are reused, and
any change to what they depend on computes them again."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DEMO_CONFIG, RUN_DATE

from epireport.settings import PROJECT_ROOT, project_resources
from flows.township_report import output_code_digest, report_fingerprint, township_report
from transforms.discover import discover_files
from transforms.ingest_cache import (
    code_digest,
    code_folders,
    inbox_fingerprint,
    result_key,
    stored_ingest,
)


def fingerprint_of(inbox: Path, config, **changes) -> str:
    args = {
        "files": discover_files(inbox),
        "config": config,
        "run_date": RUN_DATE,
        "person_key": b"key",
        "code": "code",
    } | changes
    return inbox_fingerprint(**args)


@pytest.fixture()
def small_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    (inbox / "village").mkdir(parents=True)
    (inbox / "village" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (inbox / "b.csv").write_text("y\n2\n", encoding="utf-8")
    return inbox


def test_the_fingerprint_is_stable_for_the_same_inputs(small_inbox, demo_config) -> None:
    assert fingerprint_of(small_inbox, demo_config) == fingerprint_of(small_inbox, demo_config)


def test_any_input_that_shapes_the_stored_tables_changes_the_fingerprint(
    small_inbox, demo_config
) -> None:
    before = fingerprint_of(small_inbox, demo_config)
    villages = list(demo_config.villages)
    villages[0] = villages[0].model_copy(update={"name": villages[0].name + "新"})
    changed = {
        "run date": fingerprint_of(small_inbox, demo_config, run_date=RUN_DATE.replace(day=28)),
        "person key": fingerprint_of(small_inbox, demo_config, person_key=b"other"),
        "code": fingerprint_of(small_inbox, demo_config, code="code2"),
        "config": fingerprint_of(
            small_inbox, demo_config.model_copy(update={"villages": tuple(villages)})
        ),
    }
    assert all(value != before for value in changed.values()), changed
    (small_inbox / "b.csv").write_text("y\n3\n", encoding="utf-8")
    content = fingerprint_of(small_inbox, demo_config)
    (small_inbox / "c.csv").write_text("z\n", encoding="utf-8")
    added = fingerprint_of(small_inbox, demo_config)
    (small_inbox / "c.csv").rename(small_inbox / "d.csv")
    renamed = fingerprint_of(small_inbox, demo_config)
    assert len({before, content, added, renamed}) == 4


def test_a_later_modification_time_alone_changes_the_fingerprint(small_inbox, demo_config) -> None:
    """Which of two versions of a village's file wins can depend on it."""
    files = discover_files(small_inbox)
    later = [replace(files[0], modified_at=files[0].modified_at + 60), *files[1:]]
    assert fingerprint_of(small_inbox, demo_config) != fingerprint_of(
        small_inbox, demo_config, files=later
    )


def test_the_code_digest_follows_python_and_sql_sources_only(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "m.sql").write_text("select 1;\n")
    first = code_digest([tmp_path])
    (tmp_path / "notes.txt").write_text("not code\n")
    assert code_digest([tmp_path]) == first
    (tmp_path / "m.sql").write_text("select 2;\n")
    assert code_digest([tmp_path]) != first


def test_nothing_is_reused_without_a_stored_load(tmp_path: Path) -> None:
    assert stored_ingest(tmp_path / "absent.duckdb", "f" * 64) is None


async def _task_runs(flow_run_id) -> list[tuple[str, str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return [(r.name, r.state_name) for r in runs]


def stages_of(flow_run_id) -> dict[str, str]:
    """Stages that ran and their final state, from the flow run's task runs."""
    runs = asyncio.run(_task_runs(flow_run_id))
    return {n.rsplit("-", 1)[0]: s for n, s in runs}


def run_and_list_tasks(inbox: Path, out: Path) -> dict[str, str]:
    state = township_report(
        inbox=inbox, config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE, return_state=True
    )
    assert state.is_completed(), state.message
    return stages_of(state.state_details.flow_run_id)


def outputs(out: Path) -> dict[str, object]:
    latest = out / "latest"
    metrics = json.loads((latest / "metrics.json").read_text(encoding="utf-8"))
    texts = {
        name: (latest / name).read_text(encoding="utf-8")
        for name in ("report.txt", "ingest_summary.csv", "refused_rows.csv")
    }
    return texts | {"figures": {k: v for k, v in metrics.items() if k != "run"}}


@pytest.mark.e2e
def test_an_unchanged_inbox_skips_reading_and_gives_the_same_report(
    demo_run, tmp_path: Path
) -> None:
    """The session's demo run read everything; a copy of its inbox (same contents and
    modification times) and output folder is then run again."""
    inbox, out = tmp_path / "inbox", tmp_path / "output"
    shutil.copytree(demo_run.inbox, inbox)
    shutil.copytree(demo_run.out, out, symlinks=True)
    ingest_stages = {"read-inbox", "normalize", "load-duckdb"}
    checks = ("check-stored-data", "check-metrics")

    first = stages_of(demo_run.flow_run_id)
    assert ingest_stages <= first.keys()
    files = len(list(demo_run.inbox.rglob("*.*")))
    task_runs = len(asyncio.run(_task_runs(demo_run.flow_run_id)))
    assert files > 50 and task_runs <= 15, (files, task_runs)
    assert {first[c] for c in checks} == {"Completed"}
    first_outputs = outputs(out)

    second = run_and_list_tasks(inbox, out)
    assert not ingest_stages & second.keys()
    assert {"reuse-stored-ingest", "render-and-publish"} <= second.keys()
    assert {second[c] for c in checks} == {"Cached"}
    assert outputs(out) == first_outputs

    removed = sorted(p for p in inbox.rglob("*.csv"))[0]
    removed.unlink()
    third = run_and_list_tasks(inbox, out)
    assert ingest_stages <= third.keys()
    assert third["check-stored-data"] == "Completed"
    listed = outputs(out)["ingest_summary.csv"]
    assert removed.relative_to(inbox).as_posix() not in listed
    assert removed.relative_to(inbox).as_posix() in first_outputs["ingest_summary.csv"]


def test_the_ingest_code_is_part_of_the_fingerprint() -> None:
    """A change to our own readers or models must re-read: their folders are digested."""
    folders = code_folders(project_resources())
    assert PROJECT_ROOT / "transforms" in folders
    assert any((PROJECT_ROOT / "sql" / "models").is_relative_to(f) for f in folders)


def test_a_result_key_follows_content_code_and_parameters(tmp_path: Path) -> None:
    """Code reaches a key through the fingerprint, which digests it (suites included)."""
    (tmp_path / "suite.yaml").write_text("table: t\n")
    key = result_key("tables" + code_digest([tmp_path]), {"cutoff": RUN_DATE})
    assert key == result_key("tables" + code_digest([tmp_path]), {"cutoff": RUN_DATE})
    assert key != result_key("other tables" + code_digest([tmp_path]), {"cutoff": RUN_DATE})
    assert key != result_key(
        "tables" + code_digest([tmp_path]), {"cutoff": RUN_DATE.replace(day=1)}
    )
    (tmp_path / "suite.yaml").write_text("table: u\n")
    assert key != result_key("tables" + code_digest([tmp_path]), {"cutoff": RUN_DATE})


def test_a_reports_fingerprint_follows_templates_and_accepted_falls(tmp_path: Path) -> None:
    """A county run keeps a township's published report only while this fingerprint stays:
    a changed template (whatever its suffix) or another accepted fall must change it."""
    resources = project_resources()
    templates = tmp_path / "templates"
    shutil.copytree(resources.templates_dir, templates)
    copied = replace(resources, templates_dir=templates)
    first = report_fingerprint("inputs", output_code_digest(copied), ())
    assert report_fingerprint("inputs", output_code_digest(copied), ()) == first
    assert report_fingerprint("other inputs", output_code_digest(copied), ()) != first
    assert report_fingerprint("inputs", output_code_digest(copied), ("SM",)) != first
    template = sorted(templates.rglob("*.j2"))[0]
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert report_fingerprint("inputs", output_code_digest(copied), ()) != first
