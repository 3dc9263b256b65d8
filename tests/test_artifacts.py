"""The payloads of a run's Prefect artifacts, built without Prefect."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from flows.artifacts import (
    ARTIFACT_KINDS,
    artifact_key,
    element_labels,
    figure_rows,
    files_markdown,
    ingest_rows,
    output_links,
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


def test_figure_rows_name_each_figure_and_its_elements_in_chinese() -> None:
    def figure(key: str, name: str, text: str) -> dict:
        return {
            "key": key, "name": name, "text": text, "definition": "口径", "source_files": 2,
            "source_rows": 30,
        }  # fmt: skip

    figures = [
        figure("vaccination.v60_dose1_pct", "60岁以上第一针接种率", "91.32%"),
        figure("vaccination.by_village[03].v60_dose1", "各村第一针接种人数", "412人"),
        figure("deployment.meetings_by_type[party_committee].count", "各类会议次数", "2次"),
        figure("reserves.items[wsy.oximeters].value", "物资现有量", "20个"),
    ]
    labels = element_labels({"03": "石门村", "wsy": "白沙镇卫生院"})
    rows = figure_rows(figures, labels)
    assert [r["指标"] for r in rows] == [
        "60岁以上第一针接种率",
        "各村第一针接种人数（石门村）",
        "各类会议次数（党委会）",
        "物资现有量（白沙镇卫生院指夹式血氧仪）",
    ]
    assert rows[0] == {
        "指标": "60岁以上第一针接种率", "数值": "91.32%", "口径": "口径", "来源文件": 2,
        "来源行数": 30,
    }  # fmt: skip


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


RUN_URL = "http://127.0.0.1:4201/2022-12-20/"
NAMES = ["metrics.json", "feedback/石门村.xlsx", "report.txt", "quality/index.html", "x.csv"]


def test_output_links_put_the_report_first_and_link_each_file_through_the_file_server() -> None:
    links = output_links(RUN_URL, NAMES)
    assert [(link.name, link.label) for link in links] == [
        ("report.txt", "报告（文本）"),
        ("quality/index.html", "数据质量页面"),
        ("metrics.json", "报告数据（JSON）"),
        ("feedback/石门村.xlsx", "石门村报送情况反馈表"),
        ("x.csv", "x.csv"),  # a file nobody labelled keeps its name
    ]
    assert links[1].url == "http://127.0.0.1:4201/2022-12-20/quality/index.html"
    # the village's name percent-encoded, UTF-8: 石 E7 9F B3, 门 E9 97 A8, 村 E6 9D 91
    assert links[3].url == RUN_URL + "feedback/%E7%9F%B3%E9%97%A8%E6%9D%91.xlsx"
    assert all(link.url is None for link in output_links(None, NAMES))


def test_files_markdown_links_each_output_file_and_says_what_the_links_open() -> None:
    run_dir = Path("/srv/epireport/output/2022-12-20")
    md = files_markdown(run_dir, output_links(RUN_URL, NAMES))
    assert md.startswith("输出文件夹：`/srv/epireport/output/2022-12-20`\n\n")
    assert "打开的是截至2022-12-20的已发布文件" in md
    assert f"| [report.txt]({RUN_URL}report.txt) | 报告（文本） |" in md
    assert "file://" not in md
    unserved = files_markdown(run_dir, output_links(None, NAMES))
    assert "| report.txt | 报告（文本） |" in unserved and "](" not in unserved
    assert "不在本机文件服务" in unserved


def test_report_markdown_opens_with_the_links_then_the_report() -> None:
    md = report_markdown(
        "标题\n一、主要工作情况", "白沙镇", "2022-12-20", output_links(RUN_URL, NAMES)
    )
    paragraphs = md.split("\n\n")
    assert paragraphs[0] == "# 白沙镇疫情防控专项工作报告（截至2022-12-20）"
    assert paragraphs[1] == (
        f"本次运行的文件：[报告（文本）]({RUN_URL}report.txt)、"
        f"[数据质量页面]({RUN_URL}quality/index.html)、[报告数据（JSON）]({RUN_URL}metrics.json)、"
        f"[x.csv]({RUN_URL}x.csv)"
    )
    feedback = RUN_URL + "feedback/%E7%9F%B3%E9%97%A8%E6%9D%91.xlsx"
    assert paragraphs[2] == f"各单位报送情况反馈表：[石门村]({feedback})"
    assert paragraphs[3:] == ["标题", "一、主要工作情况"]


def test_the_listings_speak_chinese_and_name_kinds_villages_fields_and_reasons() -> None:
    from transforms.listings import office_listing

    refused = pl.DataFrame(
        {
            "path": ["石门村/花名册.xlsx"], "sheet": ["一组"], "row_number": [5],
            "field": ["status"], "reason_code": ["status_unknown"], "reason": ["居住状态无法识别"],
            "value_masked": ["在加"], "kind": ["roster"], "file_id": ["f1"],
        }
    )  # fmt: skip
    [row] = office_listing(refused, VOCABULARY_LEXICON, {"01": "石门村"}).to_dicts()
    assert row == {
        "文件": "石门村/花名册.xlsx", "工作表": "一组", "行号": 5, "栏目": "居住状态",
        "原因": "居住状态无法识别", "填写的值（个人信息已隐去）": "在加", "台账": "人口花名册",
    }  # fmt: skip
