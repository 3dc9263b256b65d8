"""Golden cases: small inboxes whose figures were counted by hand (or by an independent
computation in the case folder), run through the flow's data stages in-process.

Each folder under tests/golden/ is one case (tests/golden/README.md says how to add one).
A case states only what it was counted for: every key of its expected.json is compared,
nothing else. Known product bugs are listed in the case's ``known_failures`` and run as
strict xfails, so they stay visible and a fix turns them into a failure to clean up.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pipeline import StagesResult, golden_inbox, run_stages

from epireport.config import load_config

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "expected.json").is_file())
FILE_FIELDS = (
    "status", "kind", "village_code", "refusal_code", "rows_in_file", "rows_read", "rows_loaded",
    "rows_refused", "rows_retired", "rows_layout", "rows_skipped",
)  # fmt: skip


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"golden_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _merge(base: dict, extra: dict, where: str) -> dict:
    """expected.json with the independent computation's figures; a figure stated twice fails."""
    merged = dict(base)
    for key, value in extra.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value, f"{where}.{key}")
        elif key in merged and not key.startswith("_"):
            raise AssertionError(f"{where}.{key}: stated both in expected.json and independent.py")
        else:
            merged[key] = value
    return merged


@cache
def expected_of(case: str) -> dict:
    folder = GOLDEN / case
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    if (folder / "independent.py").is_file():
        expected = _merge(expected, _module(folder / "independent.py").expected(), case)
    return expected


def _inbox(case: str, workdir: Path) -> Path:
    folder = GOLDEN / case
    if (folder / "inbox").is_dir():
        return folder / "inbox"
    return golden_inbox(case, workdir / "inbox")


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory):
    """The stages' result of a case, run once however many tests ask."""
    runs: dict[str, StagesResult] = {}

    def run(case: str) -> StagesResult:
        if case not in runs:
            workdir = tmp_path_factory.mktemp(f"golden-{case}")
            config_path = GOLDEN / case / "township.yaml"
            with pytest.MonkeyPatch.context() as env:
                env.setenv(load_config(config_path).person_key_env, f"golden-{case}-key")
                runs[case] = run_stages(
                    _inbox(case, workdir),
                    config_path,
                    workdir,
                    dt.date.fromisoformat(expected_of(case)["run_date"]),
                )
        return runs[case]

    return run


def _element_key(row: dict) -> str:
    """How expected.json names one element of a breakdown (a list in the figures)."""
    if "village_name" in row and "kind" in row:  # the submissions table
        return f"{row['village_name']}.{row['kind']}"
    if "clinic" in row:
        return f"{row['clinic']}.{row['item']}"
    if "item" in row:
        return row["item"]
    if "village" in row and "label" in row:
        return f"{row['village']}.{row['label']}"
    if "village" in row:
        return row["village"]
    if "label" in row:
        return row["label"]
    if "title" in row:
        return row["title"]
    raise KeyError(f"no key for a breakdown element with fields {sorted(row)}")


def _same_scalar(expected: Any, actual: Any) -> bool:
    return expected == actual and isinstance(expected, bool) == isinstance(actual, bool)


def compare(expected: Any, actual: Any, where: str, problems: list[tuple[str, str]]) -> None:
    """Append (key, message) for every expected value the actual one does not match.

    A dict compares its keys except comments ('_...'); a list compares element by element in
    order; a dict against a list of elements names each element (``_element_key``) and must
    name all of them.
    """
    if isinstance(expected, dict) and isinstance(actual, list):
        elements: dict[str, Any] = {}
        for element in actual:
            key = _element_key(element)
            if key in elements:
                problems.append((where, f"two elements named {key!r}"))
            elements[key] = element
        wanted = {k for k in expected if not k.startswith("_")}
        if wanted != set(elements):
            problems.append((where, f"elements {sorted(elements)}, expected {sorted(wanted)}"))
        for key in sorted(wanted & set(elements)):
            compare(expected[key], elements[key], f"{where}[{key}]", problems)
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append((where, f"expected an object, got {actual!r}"))
            return
        for key, value in expected.items():
            if key.startswith("_"):
                continue
            if key not in actual:
                problems.append((f"{where}.{key}", "not produced"))
            else:
                compare(value, actual[key], f"{where}.{key}", problems)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append((where, f"expected {len(expected)} elements, got {actual!r}"))
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            compare(e, a, f"{where}[{i}]", problems)
    elif not _same_scalar(expected, actual):
        problems.append((where, f"expected {expected!r}, got {actual!r}"))


def _files(result: StagesResult) -> dict[str, dict]:
    """File lines by path; a file holding several kinds has a line per kind, ``path#kind``."""
    lines = list(result.ingest.files.iter_rows(named=True))
    paths = [f["path"] for f in lines]
    return {
        f["path"] if paths.count(f["path"]) == 1 else f"{f['path']}#{f['kind']}": f for f in lines
    }


def _refused_rows(result: StagesResult) -> list[dict]:
    paths = {f["file_id"]: f["path"] for f in result.ingest.files.iter_rows(named=True)}
    return sorted(
        (
            {
                "file": paths[r["file_id"]],
                "sheet": r["sheet"],
                "row": r["row_number"],
                "field": r["field"],
                "reason_code": r["reason_code"],
            }
            for r in result.ingest.refused_rows.iter_rows(named=True)
        ),
        key=lambda r: (r["file"], r["sheet"], r["row"]),
    )


def problems_of(case: str, result: StagesResult) -> list[tuple[str, str]]:
    """Every way the stages' output differs from the case's expected.json."""
    expected = expected_of(case)
    problems: list[tuple[str, str]] = []
    files = _files(result)
    for path, f in files.items():
        accounted = f["rows_loaded"] + f["rows_refused"] + f["rows_retired"]
        if f["rows_read"] != accounted:
            problems.append((f"files[{path}]", f"rows read {f['rows_read']} != {accounted}"))
        counted = f["rows_read"] + f["rows_layout"] + f["rows_skipped"]
        if f["rows_in_file"] != counted:
            problems.append((f"files[{path}]", f"rows in file {f['rows_in_file']} != {counted}"))
    if "files" in expected:
        wanted = {k for k in expected["files"] if not k.startswith("_")}
        if wanted != set(files):
            problems.append(("files", f"files {sorted(files)}, expected {sorted(wanted)}"))
        for path in sorted(wanted & set(files)):
            stated = {k: v for k, v in files[path].items() if k in FILE_FIELDS}
            compare(expected["files"][path], stated, f"files[{path}]", problems)
    if "refused_rows" in expected:
        wanted_rows = [
            {k: v for k, v in r.items() if k[0] != "_"} for r in expected["refused_rows"]
        ]
        keys = ["file", "sheet", "row", "reason_code"]
        if wanted_rows and all("field" in r for r in wanted_rows):
            keys.append("field")
        actual = sorted(tuple(r[k] for k in keys) for r in _refused_rows(result))
        wanted = sorted(tuple(r[k] for k in keys) for r in wanted_rows)
        if actual != wanted:
            problems.append(("refused_rows", f"got {actual}, expected {wanted}"))
    if "metrics" in expected:
        compare(expected["metrics"], result.sections(), "metrics", problems)
    if "submissions" in expected:
        table = list(result.submissions.iter_rows(named=True))
        compare(expected["submissions"], table, "submissions", problems)
    return problems


def _known(case: str) -> dict[str, str]:
    return {k: v for k, v in expected_of(case).get("known_failures", {}).items() if k[0] != "_"}


def _under(where: str, key: str) -> bool:
    return where == key or where.startswith((f"{key}.", f"{key}["))


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str, golden_run) -> None:
    """Every figure and file line the case states, except its known failures."""
    problems = [
        (where, message)
        for where, message in problems_of(case, golden_run(case))
        if not any(_under(where, key) for key in _known(case))
    ]
    assert not problems, f"golden case {case}:\n" + "\n".join(f"  {w}: {m}" for w, m in problems)


KNOWN_FAILURES = [
    pytest.param(
        case,
        key,
        marks=pytest.mark.xfail(strict=True, reason=f"{case}: {reason}"),
        id=f"{case}-{key}",
    )
    for case in CASES
    for key, reason in _known(case).items()
]

if KNOWN_FAILURES:  # defined only when some case lists one, so that no empty test is skipped

    @pytest.mark.parametrize(("case", "key"), KNOWN_FAILURES)
    def test_golden_known_failure(case: str, key: str, golden_run) -> None:
        """A figure the product gets wrong today; passing (XPASS) means the bug is fixed."""
        problems = [(w, m) for w, m in problems_of(case, golden_run(case)) if _under(w, key)]
        assert not problems, f"golden case {case}:\n" + "\n".join(
            f"  {w}: {m}" for w, m in problems
        )


@pytest.mark.parametrize("case", CASES)
def test_golden_case_is_complete(case: str) -> None:
    """Each case has its inbox, a valid township file with a key variable of its own, and an
    independent computation that uses none of the project's code."""
    folder = GOLDEN / case
    assert (folder / "inbox").is_dir() or (folder / "make_inbox.py").is_file(), case
    config = load_config(folder / "township.yaml")
    others = {load_config(GOLDEN / c / "township.yaml").person_key_env for c in CASES if c != case}
    assert config.person_key_env not in others | {"EPIREPORT_PERSON_KEY"}, case
    assert not config.demo, case
    assert "run_date" in expected_of(case), case
    independent = folder / "independent.py"
    if independent.is_file():
        source = independent.read_text(encoding="utf-8")
        project = r"^\s*(from|import)\s+(transforms|epireport|flows|pipeline)\b"
        assert not re.search(project, source, re.M), f"{case}: independent.py imports project code"
