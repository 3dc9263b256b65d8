"""No usable data, no report: when no village sent a loadable file of a required kind, the
run stops before anything is published, in one line that names the missing kinds."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import RUN_DATE
from pipeline import golden_inbox, run_stages

from epireport.config import load_config
from flows.township_report import township_report
from transforms.completeness import NoUsableData, kinds_nobody_sent, require_usable_data

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SMALL = GOLDEN / "small_township"
EMPTY = GOLDEN / "empty_inbox"
# The small township's required kinds, how its files are named, and the kinds' labels.
KIND_FILES = {"roster": "花名册", "publicity": "宣传台账", "grid": "网格台账"}
LABELS = {"roster": "人口花名册", "publicity": "宣传工作台账", "grid": "网格化管理台账"}


@pytest.fixture()
def small_key(monkeypatch) -> None:
    monkeypatch.setenv(load_config(SMALL / "township.yaml").person_key_env, "no-usable-data")


@pytest.mark.parametrize(
    "absent",
    [set(c) for n in range(len(KIND_FILES) + 1) for c in itertools.combinations(KIND_FILES, n)],
    ids=lambda kinds: "+".join(sorted(kinds)) or "none",
)
def test_every_wholly_missing_required_kind_is_named(absent: set[str], tmp_path, small_key):
    inbox = golden_inbox("small_township", tmp_path / "inbox")
    for kind in absent:
        for file in inbox.rglob(f"*{KIND_FILES[kind]}*"):
            file.unlink()
    result = run_stages(inbox, SMALL / "township.yaml", tmp_path, RUN_DATE)
    expected = [LABELS[k] for k in KIND_FILES if k in absent]  # the township file's order
    assert kinds_nobody_sent(result.submissions) == expected
    if expected:
        with pytest.raises(NoUsableData) as stopped:
            require_usable_data(result.submissions)
        message = str(stopped.value)
        assert "\n" not in message and all(label in message for label in expected)
    else:
        require_usable_data(result.submissions)


def test_one_village_sending_a_kind_is_enough(tmp_path, small_key) -> None:
    """西溪社区 sends no grid ledger: a gap for the completeness figure, not a stop."""
    inbox = golden_inbox("small_township", tmp_path / "inbox")
    result = run_stages(inbox, SMALL / "township.yaml", tmp_path, RUN_DATE)
    missing = result.submissions.filter(~result.submissions["received"])
    assert missing["kind"].to_list() == ["grid"]
    assert kinds_nobody_sent(result.submissions) == []


def test_an_empty_inbox_publishes_nothing(tmp_path: Path, prefect_harness, monkeypatch) -> None:
    monkeypatch.setenv(load_config(EMPTY / "township.yaml").person_key_env, "no-usable-data")
    (tmp_path / "inbox").mkdir()
    out = tmp_path / "output"
    with pytest.raises(NoUsableData, match="人口花名册、宣传工作台账、网格化管理台账"):
        township_report(
            inbox=tmp_path / "inbox", config_path=EMPTY / "township.yaml", out=out,
            run_date=RUN_DATE,
        )  # fmt: skip
    assert not (out / "latest").exists()
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["konggang.duckdb"]
