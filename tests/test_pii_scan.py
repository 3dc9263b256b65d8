"""No personal data out: scan everything a run produced for IDs, phones and names.

Two runs are scanned. The session's demo run: every file in the output folder (report
txt/md, the docx's text, metrics.json, CSVs, the quality page, the text of every feedback
workbook), the DuckDB file's bytes,
every log record the run emitted, the run's Prefect artifacts read back through the
client, and the task results Prefect persists (the checks' verdicts, and the exceptions of
failed checks: never a frame). And a planted run: the demo inbox plus files that hold full
IDs, phones and names in every column of every kind, in file and sheet names, title rows,
footers and a CSV the parser refuses (``personal_data.plant_inbox``), run by the flow and
by ``epireport run`` in a subprocess; scanned as above, plus the Prefect database of the
test server and the command's console output.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import DEMO_CONFIG, RUN_DATE, collected_logs
from personal_data import FULL_ID, PHONE, Planted, plant_inbox, raw_text

from epireport.config import load_config
from epireport.demo import generate_inbox
from epireport.settings import DEMO_PERSON_KEY, PROJECT_ROOT
from transforms.discover import discover_files
from transforms.ingest import read_file

pytestmark = pytest.mark.e2e


def resident_names(inbox: Path, ctx) -> set[str]:
    """Every full name on the demo rosters and vaccination lists, read from the raw files."""
    names: set[str] = set()
    for file in discover_files(inbox):
        read = read_file(file, ctx, 2**26, 2**28)
        for table in read.tables:
            if "name" in table.rows.columns:
                names.update(n for n in table.rows["name"].drop_nulls() if len(n) >= 3)
    return names


def names_in(text: str, names: set[str]) -> set[str]:
    """The names that occur in ``text``. A name can only lie inside a run of the characters
    names are written with, so only those runs are cut into windows of the names' lengths:
    a set lookup per window instead of a search per name."""
    characters = "".join(sorted(set("".join(names))))
    runs = re.findall(f"[{re.escape(characters)}]{{{min(map(len, names))},}}", text)
    lengths = {len(n) for n in names}
    return names & {
        run[i : i + k] for run in runs for k in lengths for i in range(len(run) - k + 1)
    }


def _unpacked(text: str) -> str:
    """A persisted result's pickle as text: a cached result is a JSON record holding it
    base64-encoded, a failed check's exception is the base64 alone; either would hide any
    text from a plain scan."""
    with contextlib.suppress(json.JSONDecodeError):
        text = json.loads(text)["result"]
    return base64.b64decode(text).decode("utf-8", errors="ignore")


def persisted_results() -> dict[str, str]:
    """Every task result Prefect has persisted in this test session, unpacked."""
    from prefect.settings import get_current_settings

    storage = Path(get_current_settings().results.local_storage_path)
    return {
        f"persisted task result {path.name[:12]}": _unpacked(path.read_text(encoding="utf-8"))
        for path in storage.iterdir()
        if path.is_file()
    }


def file_texts(out: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if path.suffix in (".docx", ".xlsx"):  # zipped XML: its text, every part
            with zipfile.ZipFile(path) as book:
                texts[name] = "".join(
                    book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml")
                )
        elif path.suffix == ".png":
            continue
        else:
            texts[name] = path.read_bytes().decode("utf-8", errors="replace")
    return texts


async def artifact_texts(flow_run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return [str(a.data) + str(a.description or "") for a in artifacts]


def test_no_id_phone_name_or_key_anywhere(demo_run, ctx) -> None:
    names = resident_names(demo_run.inbox, ctx)
    assert len(names) > 20000  # the scan really has the residents' names to look for
    probe = sorted(names)[len(names) // 2]
    assert probe in names_in(f"<w:t>{probe}</w:t>，{probe[:2]}", names)  # and finds one
    artifacts = asyncio.run(artifact_texts(demo_run.flow_run_id))
    assert len(artifacts) == 6
    assert len(demo_run.log_lines) > 100

    out = demo_run.out
    scanned = {**file_texts(out), **{f"artifact {i}": t for i, t in enumerate(artifacts)}}
    scanned["log"] = "\n".join(demo_run.log_lines)
    results = persisted_results()
    assert sum("QualityVerdict" in t for t in results.values()) >= 2  # the two checks' verdicts
    assert not [n for n, t in results.items() if "polars" in t or "pandas" in t], "a frame"
    scanned |= results
    produced_files = ("report.txt", "report.md", "report.docx", "office_note.txt", "metrics.json")
    for produced in (*produced_files, "index.html"):
        assert any(n.endswith(produced) for n in scanned), produced
    assert any(
        n.endswith("/feedback/石门村.xlsx") and "身份证号码" in t for n, t in scanned.items()
    )
    assert any(n.endswith(".csv") for n in scanned)
    for label, text in scanned.items():
        assert not FULL_ID.search(text), f"full ID number in {label}"
        assert not PHONE.search(text), f"phone number in {label}"
        assert DEMO_PERSON_KEY not in text, f"the hash key in {label}"
        found = names_in(text, names)
        assert not found, f"resident names in {label}: {sorted(found)[:5]}"

    database = (out / "baisha.duckdb").read_bytes()
    assert not FULL_ID.search(database.decode("latin-1")), "full ID number in the DuckDB file"
    sample = sorted(names)[::50]  # every 50th name, each searched in the raw bytes
    assert not [n for n in sample if n.encode() in database], "a resident's name in DuckDB"


# Long before the demo files: a planted roster never replaces a village's real one, so the
# run completes and publishes everything there is to scan.
PLANTED_MTIME = 946684800  # 2000-01-01


def planted_inbox(target: Path) -> tuple[Path, Planted]:
    """A small demo inbox (five villages, so that the run is quick) with the planted files."""
    inbox = target / "inbox"
    generate_inbox(inbox, load_config(DEMO_CONFIG), persons=1000, villages=5, seed=5)
    planted = plant_inbox(inbox)
    for path in (inbox / "planted").iterdir():
        os.utime(path, (PLANTED_MTIME, PLANTED_MTIME))
    return inbox, planted


def _unescaped(text: str) -> str:
    """JSON columns of Prefect's database may hold non-ASCII text as \\uXXXX escapes."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def prefect_database_text() -> str:
    """Every byte of the test server's SQLite database and its write-ahead log, as text."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    database = Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split("///", 1)[1])
    files = [p for p in database.parent.glob(database.name + "*") if p.is_file()]
    assert database in files
    text = "".join(p.read_bytes().decode("utf-8", errors="ignore") for p in files)
    return text + _unescaped(text)


def assert_nothing_found(
    planted: Planted, scanned: dict[str, str], planted_only: frozenset[str] = frozenset()
) -> None:
    """No planted value anywhere; no ID- or phone-shaped number either, except in the texts
    named by ``planted_only``."""
    for label, text in scanned.items():
        found = planted.found_in(text)
        assert not found, f"planted personal data in {label}: {sorted(found)[:5]}"
        if label in planted_only:
            continue
        for what, pattern in (("full ID number", FULL_ID), ("phone number", PHONE)):
            match = pattern.search(text)
            where = text[max(0, match.start() - 80) : match.end() + 40] if match else ""
            assert not match, f"{what} in {label}: {where!r}"


@pytest.mark.slow  # two full runs, one of them `epireport run` in a subprocess
def test_planted_personal_data_is_found_in_no_output_log_database_or_console(
    tmp_path: Path, prefect_harness
) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.township_report import township_report

    inbox, planted = planted_inbox(tmp_path)
    # Planted values fill more than 5% of a small ledger's enumerated columns, which stops the
    # report (unknown_share_max_pct). The flow runs with the share lifted, so that every output
    # is written and scanned; `epireport run` keeps it, so that its console is the message of
    # a stopped run, which names each unknown value.
    config = tmp_path / "township.yaml"
    config.write_text(
        DEMO_CONFIG.read_text(encoding="utf-8") + "unknown_share_max_pct: 100\n", encoding="utf-8"
    )
    # Not vacuous: the same scan finds every planted value in the raw inbox.
    assert planted.found_in(raw_text(inbox)) == planted.ids | planted.phones | planted.names

    out = tmp_path / "output"
    with collected_logs() as lines:
        state = township_report(
            inbox=inbox, config_path=config, out=out, run_date=RUN_DATE, return_state=True
        )
    assert state.is_completed(), state.message
    log = "\n".join(lines)
    assert "planted/某某（" in log  # the planted files were read, and logged masked

    command = [
        str(Path(sys.executable).parent / "epireport"), "run", "--inbox", str(inbox),
        "--config", str(DEMO_CONFIG), "--out", str(tmp_path / "cli-output"),
        "--run-date", RUN_DATE.isoformat(),
    ]  # fmt: skip
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop("EPIREPORT_PERSON_KEY", None)
    done = subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=600, check=False
    )
    console = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    assert done.returncode == 3, console[-2000:]
    assert "报告未生成" in console and "运行日志：" in console
    assert "未能识别" in console and "“某某（" in console  # the gate names masked values
    (cli_log,) = (tmp_path / "cli-output" / "logs").iterdir()
    cli_log_text = cli_log.read_text(encoding="utf-8")
    assert "planted/某某（" in cli_log_text  # the run's own log file, masked too

    artifacts = asyncio.run(artifact_texts(state.state_details.flow_run_id))
    assert len(artifacts) == 6
    database = prefect_database_text()
    assert "planted/某某（" in database  # the run's log lines and task names are in it
    scanned = {
        **{f"flow output {n}": t for n, t in file_texts(out).items()},
        **{f"stopped run's output {n}": t for n, t in file_texts(tmp_path / "cli-output").items()},
        **{f"artifact {i}": _unescaped(t) for i, t in enumerate(artifacts)},
        "flow log": log,
        "console of epireport run": console,
        "log file of epireport run": cli_log_text,
        "Prefect database": database,
    }
    for name in ("ingest_summary.csv", "refused_rows.csv", "baisha.duckdb"):
        assert any(label.endswith(name) for label in scanned), name
    # The planted rows are refused, and listed masked in the feedback of the village or of the
    # files no village or clinic is named in.
    feedback = {n: t for n, t in scanned.items() if "/feedback/" in n and n.endswith(".xlsx")}
    assert any("石门村.xlsx" in n for n in feedback) and "某某（" in "".join(feedback.values())
    # Prefect's own block catalogue in its database holds example phone numbers (Twilio's
    # 18001234567), so there only the planted values are searched for.
    assert_nothing_found(planted, scanned, planted_only=frozenset({"Prefect database"}))
