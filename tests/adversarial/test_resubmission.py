"""Replacement is never a wipe: a village's later roster that is blank, header-only or holds
fewer than half the rows of an earlier one is held, with a reason naming the earlier file,
and the fuller file stays loaded. Expected outcomes are worked out here from the row counts
the test writes, by the rule as the README states it, not by the code under test."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
from conftest import RUN_DATE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from personal_data import valid_id
from pipeline import GOLDEN, golden_inbox, run_stages
from spreadsheets import write_xlsx

from epireport.config import load_config
from epireport.settings import project_resources
from transforms.discover import discover_files
from transforms.ingest import normalize_reads, read_file, settle_versions
from transforms.quality import QualityGateFailed, check_figures, check_params, load_suites
from transforms.report_model import VillageCoverage
from transforms.trend import village_trend

LIMIT = 2**24
SUITES = load_suites(project_resources().expectations_dir)
HEADER = ["组别", "姓名", "身份证号码", "联系电话", "居住状态"]


def roster_version(folder: Path, version: int, rows: int) -> str:
    """Version ``version`` of 石门村's roster, dated the ``version + 1``-th of December."""
    name = f"石门村花名册（第{version + 1}次）.xlsx"
    born = dt.date(1950, 3, 1)
    body = [["一组", f"人{i}", valid_id("430102", born, i), None, "在家"] for i in range(rows)]
    footer = [f"填报日期：2022年12月{version + 1}日"]
    write_xlsx(folder / name, {"花名册": [["石门村人口花名册"], HEADER, *body, footer]})
    return name


def ingest(folder: Path, ctx):
    reads = [read_file(f, ctx, LIMIT, 4 * LIMIT) for f in discover_files(folder)]
    return normalize_reads(settle_versions(reads), ctx)


def expected_winner(counts: list[int]) -> int:
    """The latest version with at least half the rows of every earlier one."""
    return max(i for i, n in enumerate(counts) if all(2 * n >= earlier for earlier in counts[:i]))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(counts=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=4))
@example(counts=[8, 0])  # the blank template sent again
@example(counts=[8, 3])  # a partial list
@example(counts=[8, 4])  # exactly half replaces
@example(counts=[2, 9, 0, 5])
def test_no_later_version_wipes_a_village(tmp_path: Path, ctx, counts: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    names = [roster_version(folder, i, n) for i, n in enumerate(counts)]
    result = ingest(folder, ctx)
    files = {f["path"]: f for f in result.files.iter_rows(named=True)}
    winner = expected_winner(counts)
    assert files[names[winner]]["status"] == "loaded"
    assert result.tables["roster"].height == counts[winner]
    assert 2 * counts[winner] >= max(counts)  # never less than half the fullest version
    for i, name in enumerate(names):
        if i == winner:
            continue
        f = files[name]
        fuller = max(counts[:i], default=-1)
        if i > winner or 2 * counts[i] < fuller:
            assert f["status"] == "held", (i, counts)
            assert f["refusal_code"] == (
                "resubmission_empty" if counts[i] == 0 else "resubmission_shrank"
            )
            assert "移出收件箱" in f["refusal"]
        else:
            assert f["status"] == "superseded", (i, counts)
        assert f["rows_loaded"] == 0 and f["rows_retired"] == counts[i]
    assert result.files["rows_read"].sum() == sum(counts)


def test_a_held_file_names_the_file_it_would_have_replaced(tmp_path: Path, ctx) -> None:
    full = roster_version(tmp_path, 0, 6)
    blank = roster_version(tmp_path, 1, 0)
    files = ingest(tmp_path, ctx).files
    held = files.filter(pl.col("path") == blank).row(0, named=True)
    assert held["status"] == "held"
    assert full in held["refusal"] and "6 行" in held["refusal"]


def test_without_an_earlier_version_a_blank_roster_loads_as_sent(tmp_path: Path, ctx) -> None:
    """Nothing to protect: the file is the village's only word, and the checks see it."""
    only = roster_version(tmp_path, 0, 0)
    files = ingest(tmp_path, ctx).files
    assert files.filter(pl.col("path") == only)["status"].to_list() == ["loaded"]


# The second half of the promise: a village whose figures fall sharply from the last published
# run stops the report, by name, whatever made them fall (here: the real roster taken out of
# the inbox and the empty template put in its place, which no version rule can see).
SMALL = GOLDEN / "small_township"


def published(result) -> dict:
    """A run's metrics.json as far as the comparison reads it."""
    return {"run": {"township": result.config.township.name}, "sections": result.sections()}


def small_township_run(inbox: Path, workdir: Path, monkeypatch):
    config = load_config(SMALL / "township.yaml")
    monkeypatch.setenv(config.person_key_env, "trend-test-key")
    workdir.mkdir()
    return run_stages(inbox, SMALL / "township.yaml", workdir, RUN_DATE)


def figures_verdict(result, before: dict, accepted: tuple[str, ...] = ()):
    trend = village_trend(
        result.computed.metrics.vaccination.village_coverage,
        before, result.config.township.name, accepted,
    )  # fmt: skip
    params = check_params(result.config, result.cutoff, RUN_DATE)
    return trend, check_figures(result.computed.metrics, SUITES, params, trend)


def test_a_village_emptied_between_runs_stops_the_report_by_name(tmp_path, monkeypatch) -> None:
    inbox = golden_inbox("small_township", tmp_path / "inbox")
    first = small_township_run(inbox, tmp_path / "run1", monkeypatch)
    (inbox / "东岭村花名册.xlsx").unlink()
    write_xlsx(
        inbox / "东岭村花名册.xlsx",
        {"一组": [["东岭村常住人口花名册"], ["组别", "姓名", "身份证号码", "居住状态"]]},
    )
    second = small_township_run(inbox, tmp_path / "run2", monkeypatch)

    trend, verdict = figures_verdict(second, published(first))
    # small_township's hand count (tests/golden/small_township/expected.json): 东岭村 base 5,
    # doses of its residents 2 + 1 + 2 = 5; 西溪社区 base 4, doses 1 + 1 + 0 = 2.
    rows = {r["village"]: r for r in trend.to_dict("records")}
    assert (rows["东岭村"]["base_before"], rows["东岭村"]["base_now"]) == (5, 0)
    assert (rows["东岭村"]["doses_before"], rows["东岭村"]["doses_now"]) == (5, 0)
    west = rows["西溪社区"]
    assert (west["base_before"], west["base_now"], west["doses_now"], west["holds"]) == (
        4,
        4,
        2,
        True,
    )
    (failed,) = verdict.critical_failures
    assert (failed.table, failed.subjects, failed.unexpected_count) == (
        "village_trend", ("东岭村",), 1,
    )  # fmt: skip
    message = str(QualityGateFailed(verdict))
    assert "东岭村的常住人口或接种剂次不足上次报告的一半" in message and "--accept-fall" in message
    assert "西溪社区" not in message

    _, accepted = figures_verdict(second, published(first), accepted=("东岭村",))
    assert accepted.critical_failures == ()
    _, unchanged = figures_verdict(first, published(first))
    assert unchanged.critical_failures == ()


def coverage(code: str, name: str, base: int, doses: int) -> VillageCoverage:
    return VillageCoverage(
        village_code=code, village=name, base=base, p60=base, v60_dose1=doses,
        v60_dose1_pct=None, v60_dose2=0, v60_dose2_pct=None, p18=base, booster=0,
        booster_pct=None,
    )  # fmt: skip


def document(township: str, *villages: tuple[str, str, int, int]) -> dict:
    rows = [
        {"village_code": c, "village": n, "base": b, "v60_dose1": d, "v60_dose2": 0, "booster": 0}
        for c, n, b, d in villages
    ]
    return {"run": {"township": township}, "sections": {"vaccination": {"village_coverage": rows}}}


@given(
    before=st.integers(min_value=0, max_value=10_000),
    now=st.integers(min_value=0, max_value=10_000),
)
def test_a_figure_fails_exactly_when_under_half_of_before(before: int, now: int) -> None:
    trend = village_trend(
        [coverage("01", "东村", now, now)], document("甲镇", ("01", "东村", before, before)), "甲镇"
    )
    assert trend["holds"].tolist() == [2 * now >= before]


def test_a_village_gone_from_the_figures_fails_and_another_township_is_no_baseline() -> None:
    before = document("甲镇", ("01", "东村", 40, 30), ("02", "西村", 20, 10))
    trend = village_trend([coverage("01", "东村", 40, 30)], before, "甲镇")
    assert trend.set_index("village")["holds"].to_dict() == {"东村": True, "西村": False}
    other = village_trend([coverage("01", "东村", 0, 0)], before, "乙镇")
    assert other["holds"].tolist() == [True] and other["base_before"].tolist() == [0]
    assert village_trend([coverage("01", "东村", 0, 0)], None, "甲镇")["holds"].all()
