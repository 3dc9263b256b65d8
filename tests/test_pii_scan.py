"""No personal data out: scan everything the session's demo run produced for IDs, phones
and names.

Scanned: every file in the output folder (report txt/md, the docx's text, metrics.json,
CSVs, the quality page), the DuckDB file's bytes, every log record the run emitted, and
the run's Prefect artifacts read back through the client, and the task results Prefect
persists (the checks' verdicts, and the exceptions of failed checks: never a frame).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import zipfile
from pathlib import Path

import pytest
from personal_data import FULL_ID, PHONE

from epireport.settings import DEMO_PERSON_KEY
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


def windows(text: str, lengths: set[int]) -> set[str]:
    """Every substring of the given lengths: a set lookup per name instead of a search."""
    return {text[i : i + k] for k in lengths for i in range(len(text) - k + 1)}


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
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as docx:
                texts[name] = "".join(
                    docx.read(n).decode("utf-8") for n in docx.namelist() if n.endswith(".xml")
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
    artifacts = asyncio.run(artifact_texts(demo_run.flow_run_id))
    assert len(artifacts) == 5
    assert len(demo_run.log_lines) > 100

    out = demo_run.out
    scanned = {**file_texts(out), **{f"artifact {i}": t for i, t in enumerate(artifacts)}}
    scanned["log"] = "\n".join(demo_run.log_lines)
    results = persisted_results()
    assert sum("QualityVerdict" in t for t in results.values()) >= 2  # the two checks' verdicts
    assert not [n for n, t in results.items() if "polars" in t or "pandas" in t], "a frame"
    scanned |= results
    for produced in ("report.txt", "report.md", "report.docx", "metrics.json", "index.html"):
        assert any(n.endswith(produced) for n in scanned), produced
    assert any(n.endswith(".csv") for n in scanned)
    for label, text in scanned.items():
        assert not FULL_ID.search(text), f"full ID number in {label}"
        assert not PHONE.search(text), f"phone number in {label}"
        assert DEMO_PERSON_KEY not in text, f"the hash key in {label}"
        found = names & windows(text, {len(n) for n in names})
        assert not found, f"resident names in {label}: {sorted(found)[:5]}"

    database = (out / "baisha.duckdb").read_bytes()
    assert not FULL_ID.search(database.decode("latin-1")), "full ID number in the DuckDB file"
    sample = sorted(names)[::50]  # every 50th name, each searched in the raw bytes
    assert not [n for n in sample if n.encode() in database], "a resident's name in DuckDB"
