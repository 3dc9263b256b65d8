"""The payloads of a run's Prefect artifacts, built without Prefect."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from flows.artifacts import (
    ARTIFACT_KINDS,
    artifact_key,
    files_markdown,
    ingest_rows,
    metrics_rows,
    quality_markdown,
    report_markdown,
)
from transforms.masking import VOCABULARY_LEXICON
from transforms.quality import CheckResult, QualityVerdict


def check(success: bool, severity: str = "critical", count: int | None = 0) -> CheckResult:
    return CheckResult(
        suite="persons", table="persons", expectation="expect_column_values_to_not_be_null",
        column="person_id", severity=severity, success=success,  # type: ignore[arg-type]
        unexpected_count=count, element_count=100, error=None,
    )  # fmt: skip


def test_keys_are_stable_per_township_and_valid_prefect_keys() -> None:
    keys = [artifact_key(kind, "baisha") for kind in ARTIFACT_KINDS]
    assert keys[0] == "report-baisha"
    assert all(re.fullmatch(r"[a-z0-9-]+", k) for k in keys)
    assert len(set(keys)) == len(keys)


def test_report_markdown_keeps_every_line_of_the_text_as_a_paragraph() -> None:
    text = "标题\n\n  一、主要工作情况\n接种7663剂次,接种率91.32%。\n"
    md = report_markdown(text, "白沙镇", "2022-12-20")
    assert md.startswith("# 白沙镇疫情防控专项工作报告（截至2022-12-20）\n\n")
    assert md.endswith("标题\n\n一、主要工作情况\n\n接种7663剂次,接种率91.32%。")


def test_metrics_rows_flatten_sections_and_skip_missing_ones() -> None:
    sections = {
        "vaccination": {"p60": 8391, "v60_dose1_pct": "91.32", "by_village": [{"code": "01"}]},
        "grid": None,
    }
    assert metrics_rows(sections) == [
        {"section": "vaccination", "metric": "p60", "value": 8391},
        {"section": "vaccination", "metric": "v60_dose1_pct", "value": "91.32"},
        {"section": "vaccination", "metric": "by_village[0].code", "value": "01"},
    ]


def test_ingest_rows_speak_chinese_and_leave_out_hashes_and_ids() -> None:
    files = pl.DataFrame(
        {
            "file_id": ["f1"], "path": ["石门村/花名册.xlsx"], "sha256": ["ab" * 32],
            "kind": ["roster"], "village_code": ["01"], "status": ["loaded"],
            "rows_read": [10], "rows_loaded": [7], "rows_refused": [3], "rows_retired": [0],
            "refused_by_reason": ["id_bad_check_digit 2; date_in_future 1"], "refusal": [None],
        }
    )  # fmt: skip
    [row] = ingest_rows(files, VOCABULARY_LEXICON, {"01": "石门村"})
    assert row == {
        "文件": "石门村/花名册.xlsx", "台账": "人口花名册", "村（社区）": "石门村",
        "状态": "已入库", "说明": None, "数据行": 10, "入库行": 7, "拒绝行": 3,
        "拒绝原因": "身份证号码校验位错误 2 行；日期晚于本次运行日期 1 行", "不计入行": 0,
    }  # fmt: skip


def test_ingest_rows_mask_a_file_named_after_a_person() -> None:
    files = pl.DataFrame(
        {"path": ["张三18812345678花名册.xlsx"], "refusal": ["第3行：430102199001011234"]}
    )
    [row] = ingest_rows(files, VOCABULARY_LEXICON)
    assert row == {
        "文件": "某某（2字）188******78花名册.xlsx",
        "说明": "第3行：4301**********1234",
    }


def test_quality_markdown_shows_the_verdict_and_marks_each_check() -> None:
    verdict = QualityVerdict(
        results=(check(True), check(False, "warning", 3), check(False, "critical", 5))
    )
    md = quality_markdown(verdict)
    assert md.splitlines()[0] == "**关键检查有 1 项未通过，警告 1 项，共 3 项检查**"
    assert "| 通过 | 严重 |" in md
    warning_row = "| 未通过 | 警告 | persons | person_id | expect_column_values_to_not_be_null |"
    assert f"{warning_row} 3 / 100 |" in md
    assert "| 未通过 | 严重 |" in md
    rows = [
        line for line in md.splitlines() if line.startswith("| 未通过") or line.startswith("| 通过")
    ]
    assert [row.split(" | ")[0:2] for row in rows] == [
        ["| 未通过", "严重"],
        ["| 未通过", "警告"],
        ["| 通过", "严重"],
    ]  # the failed checks first, critical before warnings
    failed = "persons.person_id 未通过 expect_column_values_to_not_be_null"
    assert md.splitlines()[2:4] == [
        f"- 严重：{failed}（5 of 100 rows fail）",
        f"- 警告：{failed}（3 of 100 rows fail）",
    ]
    assert not re.search(r"[\u2600-\u27bf\U0001f300-\U0001faff]", md), "a symbol or emoji"


def test_files_markdown_links_each_output_file(tmp_path: Path) -> None:
    run_dir = tmp_path / "2022-12-20"
    md = files_markdown(run_dir, ["metrics.json", "report.txt"])
    assert f"- [report.txt]({(run_dir / 'report.txt').as_uri()})" in md
    assert md.startswith("输出文件夹：`2022-12-20`")
