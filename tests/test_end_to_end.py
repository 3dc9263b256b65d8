"""The whole flow on the generated demo inbox, under Prefect's test harness."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from conftest import DEMO_CONFIG, RUN_DATE

from epireport.config import load_config
from epireport.demo import DemoInbox, generate_inbox
from flows.township_report import township_report

pytestmark = pytest.mark.e2e

GOLDEN = (
    "7663剂次", "91.32%", "7275剂次", "86.70%", "18416剂次", "81.89%",
    "20万余次", "2500多张", "258条", "92000多张", "42000条次", "65000人次",
)  # fmt: skip

# The generator names its planted refusals in its own words; these are ours.
ROW_REASONS = {
    "id_check_digit": "id_bad_check_digit",
    "id_birth_date": "id_bad_birth_date",
    "id_excel_float": "id_excel_float",
    "id_missing": "id_missing",
    "date_impossible": "date_impossible",
    "date_future": "date_in_future",
    "date_before_start": "date_before_vaccine_start",
    "dose_unknown": "dose_unknown",
    "village_unknown": "village_unknown",
    "quantity_negative": "quantity_negative",
    "quantity_non_numeric": "quantity_not_numeric",
}
FILE_REASONS = {
    "village_unknown": "village_not_named",
    "empty_file": "empty_file",
    "unreadable_workbook": "workbook_unreadable",
    "unknown_header": "unknown_header",
}
FULL_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-9]{5}[0-9Xx](?![0-9])"
)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, prefect_harness) -> tuple[DemoInbox, Path]:
    root = tmp_path_factory.mktemp("e2e")
    demo = generate_inbox(root / "inbox", load_config(DEMO_CONFIG))
    out = root / "output"
    report = township_report(
        inbox=root / "inbox", config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE
    )
    assert report == out / "2022-12-20" / "report.txt"
    return demo, out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_carries_every_golden_figure(demo_run) -> None:
    _, out = demo_run
    report = (out / "latest" / "report.txt").read_text(encoding="utf-8")
    missing = [g for g in GOLDEN if g not in report]
    assert missing == []
    assert report.startswith("在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告")
    for part in ("一、主要工作情况", "二、存在的问题", "三、下来的工作计划"):
        assert part in report


def test_metrics_equal_the_generators_own_count(demo_run) -> None:
    demo, out = demo_run
    metrics = json.loads((out / "latest" / "metrics.json").read_text(encoding="utf-8"))
    population, vaccination = demo.truth["population"], demo.truth["vaccination"]
    v = metrics["vaccination"]
    assert (v["p60"], v["p18"], v["p3_11"]) == (
        population["P60"], population["P18"], population["P3_11"],
    )  # fmt: skip
    assert (v["v60_dose1"], v["v60_dose2"], v["booster"]) == (
        vaccination["V60_1"], vaccination["V60_2"], vaccination["booster"],
    )  # fmt: skip
    assert v["v3_11_dose1"] == vaccination["P3_11_dose1"]
    assert metrics["publicity"] == {
        "broadcast": 203418, "poster": 2537, "banner": 258,
        "leaflet": 92310, "audio": 42000, "talk": 65000,
    }  # fmt: skip


def test_every_row_is_loaded_refused_or_retired(demo_run) -> None:
    _, out = demo_run
    files = read_csv(out / "latest" / "ingest_summary.csv")
    assert len(files) == 78
    for f in files:
        parts = int(f["rows_loaded"]) + int(f["rows_refused"]) + int(f["rows_retired"])
        assert int(f["rows_read"]) == parts, f["path"]


def test_planted_refusals_are_found_with_file_sheet_row_and_reason(demo_run) -> None:
    demo, out = demo_run
    files = read_csv(out / "latest" / "ingest_summary.csv")
    refused_files = {(f["path"], f["refusal_code"]) for f in files if f["status"] == "refused"}
    assert refused_files == {
        (f["file"], FILE_REASONS[f["reason"]]) for f in demo.truth["refused_files"]
    }
    statuses = {f["path"]: f["status"] for f in files}
    for copy in demo.truth["duplicate_files"]:  # either of two identical files may be the copy
        assert sorted([statuses[copy["file"]], statuses[copy["duplicate_of"]]]) == [
            "duplicate",
            "loaded",
        ]
    for old in demo.truth["superseded_files"]:
        assert (statuses[old["file"]], statuses[old["superseded_by"]]) == ("superseded", "loaded")

    refused_rows = read_csv(out / "latest" / "refused_rows.csv")
    found = {(r["path"], r["sheet"], int(r["row_number"]), r["reason_code"]) for r in refused_rows}
    planted = {
        (r["file"], r["sheet"] or "csv", r["row"], ROW_REASONS[r["reason"]])
        for r in demo.truth["refused_rows"]
    }
    assert found == planted


def test_no_full_id_number_in_any_output(demo_run) -> None:
    _, out = demo_run
    for path in (out / "latest").iterdir():
        assert not FULL_ID.search(path.read_text(encoding="utf-8")), path.name
