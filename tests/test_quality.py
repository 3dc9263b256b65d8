"""Data quality on the stored demo data: real GX, real DuckDB, one flow run for the module.

Each class of failure corrupts a copy of the stored DuckDB file with SQL and must make
the right expectation fail with the right severity; a critical failure in the inbox must
leave the previous report as it was; the quality page must open in headless Chromium.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import DEMO_CONFIG, RUN_DATE
from personal_data import FULL_ID

from epireport.config import TownshipConfig
from epireport.demo import DemoInbox
from epireport.settings import project_resources
from flows.township_report import township_report
from transforms.completeness import build_submissions
from transforms.metrics import MetricParams, compute_metrics
from transforms.quality import (
    CheckResult,
    ExpectationSpec,
    QualityGateFailed,
    QualityVerdict,
    SuiteError,
    SuiteSpec,
    check_figures,
    check_params,
    check_stored_tables,
    load_suites,
    nanosecond_dates,
    quality_note,
    run_suites,
)
from transforms.quality_docs import QUALITY_PAGE, VERDICT_FILE
from transforms.vocabulary import QUALITY_NOTES

pytestmark = pytest.mark.e2e

RESOURCES = project_resources()
SUITES = load_suites(RESOURCES.expectations_dir)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@dataclass(frozen=True)
class Run:
    inbox: Path
    out: Path
    report: Path
    pristine: Path  # the stored data of the demo run, copied before any test alters it


@pytest.fixture(scope="module")
def run(demo_run, tmp_path_factory) -> Run:
    """The session's demo run, copied: a test here runs the flow again into its output."""
    root = tmp_path_factory.mktemp("quality")
    out = root / "output"
    shutil.copytree(demo_run.out, out, symlinks=True)
    pristine = root / "pristine.duckdb"
    shutil.copyfile(out / "baisha.duckdb", pristine)
    return Run(demo_run.inbox, out, out / demo_run.report.relative_to(demo_run.out), pristine)


@pytest.fixture(scope="module")
def params(demo_config: TownshipConfig) -> dict:
    return check_params(demo_config, demo_config.cutoff(RUN_DATE), RUN_DATE)


@pytest.fixture(scope="module")
def pristine_verdict(run: Run, params: dict) -> QualityVerdict:
    return check_stored_tables(run.pristine, SUITES, RESOURCES.checks_dir, params)


def result_of(verdict: QualityVerdict, table: str, expectation: str, column: str) -> CheckResult:
    (found,) = [
        r
        for r in verdict.results
        if (r.table, r.expectation, r.column) == (table, expectation, column)
    ]
    return found


# (case, SQL that corrupts the copy, table, expectation, column, severity)
CORRUPTIONS = [
    ("person key twice", "insert into persons select * from persons limit 1",
     "persons", "expect_column_values_to_be_unique", "person_key", "critical"),
    ("raw ID as person key", "update persons set person_key = '430121196212200014' where rowid = 0",
     "persons", "expect_column_values_to_match_regex", "person_key", "critical"),
    ("village not in master data", "update persons set village_code = '99' where rowid < 5",
     "persons", "expect_column_values_to_be_in_set", "village_code", "critical"),
    ("age above 120", "update persons set birth_date = date '1890-01-01' where rowid < 2",
     "persons", "expect_column_values_to_be_between", "birth_date", "warning"),
    ("dose recorded twice", "insert into doses select * from doses limit 1",
     "doses", "expect_compound_columns_to_be_unique", "person_key,dose", "critical"),
    ("dose number 4", "update doses set dose = 4 where rowid = 0",
     "doses", "expect_column_values_to_be_in_set", "dose", "critical"),
    ("dose after the run date",
     "update doses set vaccinated_on = date '2027-01-01' where rowid = 0",
     "doses", "expect_column_values_to_be_between", "vaccinated_on", "critical"),
    ("negative publicity quantity", "update stg_publicity set quantity = -1 where rowid = 0",
     "stg_publicity", "expect_column_values_to_be_between", "quantity", "critical"),
    ("unknown publicity kind", "update stg_publicity set kind = 'flyer' where rowid = 0",
     "stg_publicity", "expect_column_values_to_be_in_set", "kind", "critical"),
    ("publicity before the period",
     "update stg_publicity set activity_on = date '2021-06-01' where rowid < 3",
     "stg_publicity", "expect_column_values_to_be_between", "activity_on", "warning"),
    ("verified before pushed",
     "update stg_verification set completed_on = pushed_on - 3 where rowid in"
     " (select rowid from stg_verification where completed_on is not null limit 2)",
     "stg_verification", "expect_column_pair_values_a_to_be_greater_than_b",
     "completed_on,pushed_on", "warning"),
    ("negative households", "update stg_grid set households = -5 where rowid = 0",
     "stg_grid", "expect_column_values_to_be_between", "households", "critical"),
    ("more visited than households",
     "update stg_grid set visited_households = households + 10 where rowid < 2",
     "stg_grid", "expect_column_pair_values_a_to_be_greater_than_b",
     "households,visited_households", "warning"),
    ("unknown place type", "update stg_key_place set place_type = 'casino' where rowid = 0",
     "stg_key_place", "expect_column_values_to_be_in_set", "place_type", "critical"),
    ("demonstration village twice",
     "insert into stg_demonstration select * from stg_demonstration limit 1",
     "stg_demonstration", "expect_column_values_to_be_unique", "village_code", "critical"),
    ("reserve of an unknown unit", "update stg_reserve set unit = '某某诊所' where rowid = 0",
     "stg_reserve", "expect_column_values_to_be_in_set", "unit", "warning"),
    ("dose 2 before dose 1",
     "update doses set vaccinated_on = date '2021-01-01' where dose = 2 and person_key ="
     " (select min(person_key) from doses where dose = 2)",
     "check_dose_sequence", "expect_column_values_to_be_between", "dose2_before_dose1", "warning"),
    ("dose 2 without dose 1",
     "delete from doses where dose = 1 and person_key in"
     " (select person_key from doses where dose = 2 order by person_key limit 3)",
     "check_dose_sequence", "expect_column_values_to_be_between", "dose2_without_dose1",
     "warning"),
    ("booster without primary series",
     "delete from doses where dose = 2 and person_key in"
     " (select person_key from doses where dose = 3 order by person_key limit 3)",
     "check_dose_sequence", "expect_column_values_to_be_between", "booster_without_primary",
     "warning"),
    ("vaccinated above residents", "delete from persons where village_code = '02'",
     "check_age_band_population", "expect_column_pair_values_a_to_be_greater_than_b",
     "population,vaccinated", "warning"),
    ("outlier: an extra zero",
     "update stg_publicity set quantity = quantity * 10"
     " where village_code = '02' and kind = 'leaflet'",
     "check_activity_outliers", "expect_column_values_to_be_between", "modified_z", "warning"),
    ("roster not received",
     "delete from ingested_files where kind = 'roster' and village_code = '03'",
     "submissions", "expect_column_values_to_be_in_set", "received", "warning"),
    ("publicity log of an earlier period",
     "update ingested_files set reported_on = '2021-12-01'"
     " where kind = 'publicity' and village_code = '02'",
     "submissions", "expect_column_values_to_be_in_set", "received", "warning"),
    ("grid ledger late",
     "update ingested_files set reported_on = '2022-12-19' where file_id ="
     " (select min(file_id) from ingested_files where kind = 'grid')",
     "submissions", "expect_column_values_to_be_in_set", "on_time", "warning"),
    ("submission listed twice", "insert into submissions select * from submissions limit 1",
     "submissions", "expect_compound_columns_to_be_unique", "village_code,kind", "critical"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "table", "expectation", "column", "severity"),
    [c[1:] for c in CORRUPTIONS],
    ids=[c[0] for c in CORRUPTIONS],
)
def test_corrupted_copy_fails_the_right_expectation(
    run: Run, params: dict, pristine_verdict: QualityVerdict, demo_config: TownshipConfig,
    tmp_path: Path, sql: str, table: str, expectation: str, column: str, severity: str,
) -> None:  # fmt: skip
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(run.pristine, db)
    with duckdb.connect(str(db)) as con:
        con.execute(sql)
    if "ingested_files" in sql:  # submissions are built from the files' table after load
        build_submissions(
            db, RESOURCES.models_dir, demo_config, demo_config.period.start,
            demo_config.deadline(RUN_DATE),
        )  # fmt: skip
    suites = [s for s in SUITES if s.table == table]
    after = result_of(
        check_stored_tables(db, suites, RESOURCES.checks_dir, params), table, expectation, column
    )
    before = result_of(pristine_verdict, table, expectation, column)
    assert (after.success, after.severity, after.error) == (False, severity, None)
    assert after.unexpected_count > (before.unexpected_count or 0)


def test_an_expectation_that_raises_counts_as_failed(run: Run, params: dict, tmp_path) -> None:
    """GX reports a missing column as a result with exception info, not as an exception."""
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(run.pristine, db)
    with duckdb.connect(str(db)) as con:
        con.execute("alter table stg_meeting drop column title")
    suites = [s for s in SUITES if s.table == "stg_meeting"]
    verdict = check_stored_tables(db, suites, RESOURCES.checks_dir, params)
    failed = result_of(verdict, "stg_meeting", "expect_column_values_to_not_be_null", "title")
    assert not failed.success and failed.severity == "critical" and "title" in failed.error
    assert "stg_meeting.title 未通过 expect_column_values_to_not_be_null" in str(
        QualityGateFailed(verdict)
    )


def test_figures_above_their_denominator_fail_critically(
    run: Run, params: dict, demo_config: TownshipConfig
) -> None:
    cutoff = demo_config.cutoff(RUN_DATE)
    figures = compute_metrics(
        run.pristine, RESOURCES.metrics_dir, MetricParams.from_config(demo_config, cutoff)
    ).metrics
    assert check_figures(figures, SUITES, params).critical_failures == ()
    vaccination = figures.vaccination.model_copy(update={"v60_dose1": figures.vaccination.p60 + 1})
    verdict = check_figures(figures.model_copy(update={"vaccination": vaccination}), SUITES, params)
    (failed,) = verdict.critical_failures
    assert (failed.table, failed.column, failed.unexpected_count) == (
        "report_metrics", "vaccination_p60,vaccination_v60_dose1", 1,
    )  # fmt: skip
    message = str(QualityGateFailed(verdict))
    assert "report_metrics.vaccination_p60,vaccination_v60_dose1 未通过" in message
    assert "（1 of 1 rows fail）" in message


def test_every_warning_has_a_sentence_and_bad_suites_are_refused(tmp_path: Path) -> None:
    assert all(e.severity in ("critical", "warning") for s in SUITES for e in s.expectations)
    (tmp_path / "bad.yaml").write_text(
        "table: persons\nexpectations:\n  - type: expect_column_values_to_not_be_null\n"
        "    kwargs: {column: person_key}\n    severity: warning\n",
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match=r"bad.yaml #1: a warning needs a note"):
        load_suites(tmp_path)


def test_demo_passes_every_critical_check_and_shows_the_seeded_warnings(
    run: Run, demo_inbox: tuple[Path, DemoInbox], pristine_verdict: QualityVerdict
) -> None:
    _, demo = demo_inbox
    assert pristine_verdict.critical_failures == ()
    with duckdb.connect(str(run.pristine), read_only=True) as con:
        missing = con.sql(
            "select village_code, kind from submissions where not received order by all"
        ).fetchall()
        first_run = con.sql(
            "select suite, column_name, severity, success, unexpected_count"
            " from quality_results where not success"
        ).fetchall()
    assert missing == sorted((m["code"], m["kind"]) for m in demo.truth["completeness"]["missing"])
    assert ("07", "grid") in missing and ("17", "grid") in missing
    assert ("submissions", "received", "warning", False, 2) in first_run
    assert all(severity == "warning" for _, _, severity, _, _ in first_run)
    report = run.report.read_text(encoding="utf-8")
    office_note = (run.report.parent / "office_note.txt").read_text(encoding="utf-8")
    for sentence in quality_note(pristine_verdict).warnings:
        assert sentence in office_note and sentence not in report  # for the office only
    assert QUALITY_NOTES["submission_missing"].format(count=2) in office_note


def test_quality_page_opens_in_headless_chromium_without_any_id(run: Run, tmp_path) -> None:
    page = run.report.parent / QUALITY_PAGE
    html = page.read_text(encoding="utf-8")
    for outside in ("http://", "https://", "<script", "<link", "src="):
        assert outside not in html  # self-contained: opens offline
    verdict = (run.report.parent / VERDICT_FILE).read_text(encoding="utf-8")
    assert re.fullmatch(r"关键检查全部通过，警告 \d+ 项，共 \d+ 项检查\n", verdict)
    dom = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "关键检查全部通过" in text
    assert "金田村" in text and "双井村" in text and "网格化管理台账" in text
    assert "expect_column_values_to_be_unique" in text
    assert not FULL_ID.search(dom) and not FULL_ID.search(html)


def test_critical_failure_keeps_the_previous_report(run: Run, tmp_path: Path) -> None:
    """A demonstration ledger sent twice double-counts villages: the run must stop."""
    before = {p: p.read_bytes() for p in sorted(run.report.parent.rglob("*")) if p.is_file()}
    latest = (run.out / "latest").readlink()
    inbox = tmp_path / "inbox"
    shutil.copytree(run.inbox, inbox)
    ledger = next(inbox.rglob("示范村*创建台账.csv"))
    (ledger.parent / "示范村创建台账(重报).csv").write_bytes(ledger.read_bytes() + b"\n")

    with pytest.raises(QualityGateFailed) as failed:
        township_report(inbox=inbox, config_path=DEMO_CONFIG, out=run.out, run_date=RUN_DATE)

    assert "stg_demonstration.village_code 未通过 expect_column_values_to_be_unique（" in str(
        failed.value
    )
    assert re.search(r"（\d+ of \d+ rows fail）", str(failed.value))
    after = {p: p.read_bytes() for p in sorted(run.report.parent.rglob("*")) if p.is_file()}
    assert after == before
    assert (run.out / "latest").readlink() == latest
    with duckdb.connect(str(run.out / "baisha.duckdb"), read_only=True) as con:
        runs = con.sql(
            "select run_id, count(*) filter (where severity = 'critical' and not success)"
            " from quality_results group by run_id, run_at order by run_at"
        ).fetchall()
    assert [failures > 0 for _, failures in runs] == [False, True]


def test_date_checks_see_dates_at_nanosecond_precision_and_still_fail_bad_ones() -> None:
    """DuckDB's microsecond dates are widened so GX compares them vectorized; the verdict
    on a date outside its range must stay a failure."""
    import pandas as pd

    stored = pd.DataFrame(
        {"day": pd.to_datetime(["2022-01-05", "2023-02-01"]).astype("datetime64[us]"),
         "n": [1, 2]}
    )  # fmt: skip
    frame = nanosecond_dates(stored)
    assert str(frame["day"].dtype) == "datetime64[ns]" and str(frame["n"].dtype) == "int64"
    assert frame["day"].tolist() == stored["day"].tolist()
    spec = SuiteSpec(
        name="days",
        table="days",
        expectations=(
            ExpectationSpec(
                "expect_column_values_to_be_between",
                {"column": "day", "min_value": "$start", "max_value": "$end"},
                "critical",
            ),
        ),
    )
    params = {"start": pd.Timestamp("2022-01-01"), "end": pd.Timestamp("2022-12-31")}
    [result] = run_suites([spec], {"days": frame}, params).results
    assert not result.success and result.unexpected_count == 1
