"""The whole flow on the generated demo inbox, under Prefect's test harness: the session's
one demo run (conftest.demo_run), whose outputs these tests only read."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from report_fixtures import GOLDEN

from epireport.settings import PROJECT_ROOT as ROOT
from transforms.documents import CHART_FILE
from transforms.vocabulary import (
    APPENDIX_COLUMNS,
    FILE_STATUS_LABELS,
    HEADER_ALIASES,
    KIND_LABELS,
    REASON_TEXTS,
    RESERVE_ITEM_LABELS,
)

pytestmark = pytest.mark.e2e


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


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_carries_every_golden_figure(demo_run) -> None:
    out = demo_run.out
    report = (out / "latest" / "report.txt").read_text(encoding="utf-8")
    missing = [g for g in GOLDEN if g not in report]
    assert missing == []
    assert report.startswith("在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告")
    for part in ("一、主要工作情况", "二、存在的问题", "三、下来的工作计划"):
        assert part in report


def test_every_row_is_loaded_refused_or_retired(demo_run) -> None:
    out = demo_run.out
    files = read_csv(out / "latest" / "ingest_summary.csv")
    assert len(files) == 78
    for f in files:
        parts = int(f["入库行"]) + int(f["拒绝行"]) + int(f["不计入行"])
        assert int(f["数据行"]) == parts, f["文件"]
        counted = parts + int(f["标题表头等行"]) + int(f["跳过行"])
        assert int(f["非空行"]) == counted, f["文件"]


def test_planted_refusals_are_found_with_file_sheet_row_and_reason(demo_run) -> None:
    demo, out = demo_run.truth, demo_run.out
    files = read_csv(out / "latest" / "ingest_summary.csv")
    refused = FILE_STATUS_LABELS["refused"]
    refused_files = {(f["文件"], f["说明"]) for f in files if f["状态"] == refused}
    assert refused_files == {
        (f["file"], REASON_TEXTS[FILE_REASONS[f["reason"]]]) for f in demo.truth["refused_files"]
    }
    statuses = {f["文件"]: f["状态"] for f in files}
    loaded, duplicate = FILE_STATUS_LABELS["loaded"], FILE_STATUS_LABELS["duplicate"]
    for copy in demo.truth["duplicate_files"]:  # either of two identical files may be the copy
        pair = [statuses[copy["file"]], statuses[copy["duplicate_of"]]]
        assert sorted(pair) == sorted([duplicate, loaded])
    superseded = FILE_STATUS_LABELS["superseded"]
    for old in demo.truth["superseded_files"]:
        assert (statuses[old["file"]], statuses[old["superseded_by"]]) == (superseded, loaded)

    refused_rows = read_csv(out / "latest" / "refused_rows.csv")
    found = {(r["文件"], r["工作表"], int(r["行号"]), r["原因"]) for r in refused_rows}
    planted = {
        (r["file"], r["sheet"] or "csv", r["row"], REASON_TEXTS[ROW_REASONS[r["reason"]]])
        for r in demo.truth["refused_rows"]
    }
    assert found == planted


def test_unknown_values_are_listed_and_named_in_the_report(demo_run) -> None:
    """The demo's planted unknown doses and villages: counted per column in
    unknown_values.csv as the generator planted them, and named in the office's note beside
    the report (office_note.txt), not in the report the congress hears."""
    demo, out = demo_run.truth, demo_run.out
    listing = read_csv(out / "latest" / "unknown_values.csv")
    rows: dict[tuple[str, str], int] = {}
    for line in listing:
        key = (line["台账"], line["栏目"])
        rows[key] = rows.get(key, 0) + int(line["记录数"])
    kinds = {f.path: f.kind for f in demo.files}
    fields = {"dose_unknown": "dose", "village_unknown": "village"}
    planted: dict[tuple[str, str], int] = {}
    for r in demo.truth["refused_rows"]:
        if r["reason"] in fields:
            kind = kinds[r["file"]]
            key = (KIND_LABELS[kind], HEADER_ALIASES[kind][fields[r["reason"]]][0])
            planted[key] = planted.get(key, 0) + 1
    assert planted and rows == planted
    text = (out / "latest" / "report.txt").read_text(encoding="utf-8")
    note = (out / "latest" / "office_note.txt").read_text(encoding="utf-8")
    assert note.startswith("白沙镇疫情防控专项工作报告数据说明\n")
    for line in listing:
        assert f"“{line['填写的值']}”有{line['记录数']}条记录未能识别" in note
        assert f"“{line['填写的值']}”" not in text
    assert "附：数据说明" not in text


# --- the complete report: every section against the generator's own count -----------------


def _latest(out: Path, name: str) -> Path:
    return out / "latest" / name


def _metrics(out: Path) -> dict:
    return json.loads(_latest(out, "metrics.json").read_text(encoding="utf-8"))


def _by_label(rows: list[dict]) -> dict[str, int]:
    return {r["label"]: r["count"] for r in rows}


def _pct(value: str | float) -> Decimal:
    return Decimal(str(value))


def test_vaccination_equals_the_generators_truth(demo_run) -> None:
    demo, out = demo_run.truth, demo_run.out
    population, truth = demo.truth["population"], demo.truth["vaccination"]
    v = _metrics(out)["sections"]["vaccination"]
    assert (v["p60"], v["p18"], v["p3_11"]) == (
        population["P60"], population["P18"], population["P3_11"],
    )  # fmt: skip
    assert (v["v60_dose1"], v["v60_dose2"], v["booster"], v["v3_11_dose1"]) == (
        truth["V60_1"], truth["V60_2"], truth["booster"], truth["P3_11_dose1"],
    )  # fmt: skip
    assert [_pct(v[k]) for k in ("v60_dose1_pct", "v60_dose2_pct", "booster_pct")] == [
        _pct(truth[k]) for k in ("V60_1_pct", "V60_2_pct", "booster_pct")
    ]
    door = truth["door_to_door"]
    assert v["door_to_door_doses"] == door["P60_doses"] + door["P3_11_doses"]
    assert v["door_to_door_elderly_persons"] == door["P60_persons"]
    assert v["door_to_door_children_persons"] == door["P3_11_persons"]
    villages = {
        c["village_code"]: (c["village"], c["p60"], c["v60_dose1"], _pct(c["v60_dose1_pct"]),
                            c["v60_dose2"], _pct(c["v60_dose2_pct"]))
        for c in v["village_coverage"]
    }  # fmt: skip
    assert villages == {
        b["code"]: (b["name"], b["P60"], b["V60_1"], _pct(b["V60_1_pct"]), b["V60_2"],
                    _pct(b["V60_2_pct"]))
        for b in truth["by_village"]
    }  # fmt: skip


def test_the_other_sections_equal_the_generators_truth(demo_run) -> None:
    demo, out = demo_run.truth, demo_run.out
    t, s = demo.truth, _metrics(out)["sections"]
    assert {k: s["publicity"][k] for k in t["publicity"]} == t["publicity"]

    ver, tv = s["verification"], t["verification"]
    assert (ver["pushed_rows"], ver["pushed_persons"], ver["implemented_rows"]) == (
        tv["pushes"], tv["pushed_persons"], tv["implemented"],
    )  # fmt: skip
    assert (ver["within_24h_rows"], _pct(ver["within_24h_pct"])) == (
        tv["within_24h"], _pct(tv["within_24h_pct"]),
    )  # fmt: skip
    assert _pct(ver["implemented_pct"]) == _pct(tv["implemented_pct"])
    assert _by_label(ver["by_result"]) == tv["by_result"]
    assert _by_label(ver["by_measure"]) == tv["by_measure"]

    grid, tg = s["grid"], t["grid"]
    assert (grid["grids"], grid["households"], grid["visited_households"]) == (
        tg["grids"], tg["households"], tg["visited"],
    )  # fmt: skip

    kp, tk = s["key_places"], t["key_places"]
    assert (kp["inspections"], kp["places"], kp["problems_found"], kp["problems_rectified"]) == (
        tk["inspections"], tk["places"], tk["problems_found"], tk["problems_rectified"],
    )  # fmt: skip
    assert _by_label(kp["places_by_type"]) == tk["places_by_type"]

    dep, tm = s["deployment"], t["meetings"]
    assert (dep["meetings_total"], dep["documents_total"]) == (tm["meetings"], tm["documents"])
    assert _by_label(dep["meetings_by_type"]) == tm["meetings_by_type"]
    # As the report prints them: without 《》, brackets typed half-width made full-width.
    assert [d["title"] for d in dep["documents"]] == [
        title.strip("《》").replace("(", "（").replace(")", "）") for title in tm["document_titles"]
    ]
    assert [d["doc_number"] for d in dep["documents"]] == tm["document_numbers"]

    demo_section, td = s["demonstration"], t["demonstration"]
    assert (demo_section["villages_taking_part"], demo_section["villages_passed"]) == (
        td["taking_part"], td["passed"],
    )  # fmt: skip
    assert _by_label(demo_section["by_stage"]) == td["by_stage"]
    assert (demo_section["party_members"], demo_section["volunteers"]) == (
        td["party_members"], td["volunteers"],
    )  # fmt: skip
    # Non-participating villages leave both counts empty, so every row's sum is the same.
    assert (s["party_building"]["party_members"], s["party_building"]["volunteers"]) == (
        td["party_members"], td["volunteers"],
    )  # fmt: skip

    items = {(i["clinic"], i["item"]): i for i in s["reserves"]["items"]}
    for clinic, expected in t["reserves"]["clinics"].items():
        for item, value in expected["items"].items():
            assert items[clinic, item]["value"] == value, (clinic, item)
            assert items[clinic, item]["reported_on"] == expected["as_of"]
        for item, quota in expected["quotas"].items():
            assert items[clinic, item]["quota"] == quota, (clinic, item)
    shortfalls = [
        {"clinic": i["clinic"], "item": i["item"], "value": i["value"], "quota": i["quota"]}
        for i in s["reserves"]["items"]
        if i["quota"] is not None and i["value"] < i["quota"]
    ]
    assert shortfalls == t["reserves"]["shortfalls"]

    missing = {(m["village"], m["code"]) for m in s["completeness"]["missing"]}
    assert missing == {(m["village"], m["kind"]) for m in t["completeness"]["missing"]}


def test_the_report_names_what_the_data_shows_is_wrong(demo_run) -> None:
    demo, out = demo_run.truth, demo_run.out
    text = _latest(out, "report.txt").read_text(encoding="utf-8")
    assert "【待补充" not in text and "None" not in text
    problems = text[text.index("二、存在的问题") : text.index("三、下来的工作计划")]
    rates = {b["name"]: b["V60_1_pct"] for b in demo.truth["vaccination"]["by_village"]}
    below = demo.truth["vaccination"]["villages_below_target_V60_1"]
    assert "、".join(f"{name}{rates[name]:.2f}%" for name in below) in problems
    for s in demo.truth["reserves"]["shortfalls"]:
        label, unit = RESERVE_ITEM_LABELS[s["item"]]
        expected = f"{s['clinic']}{label}现有{s['value']}{unit}，低于{s['quota']}{unit}的储备定额"
        assert expected in problems
    kinds_missing: dict[str, list[str]] = {}
    for m in demo.truth["completeness"]["missing"]:
        kinds_missing.setdefault(m["village"], []).append(KIND_LABELS[m["kind"]])
    for kinds in {tuple(k) for k in kinds_missing.values()}:
        villages = [v for v, k in kinds_missing.items() if tuple(k) == kinds]
        assert f"{'、'.join(villages)}未报送{'、'.join(kinds)}" in problems
    plan = text[text.index("三、下来的工作计划") :]
    assert "现有床位" in plan and "退烧药" in plan


def test_every_figure_in_the_text_is_a_figure_of_metrics_json(demo_run) -> None:
    out = demo_run.out
    text = _latest(out, "report.txt").read_text(encoding="utf-8")
    figures = _metrics(out)["figures"]
    # The notes at the end define figures or report checks; the body is where figures stand.
    body = text[: text.index("附：")]
    body = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日", "", body)  # dates
    body = re.sub(r"《[^》]*》(（[^）]*）)?", "", body)  # document titles and numbers
    body = re.sub(r"60岁以上|3至11岁|24小时", "", body)  # the names of age bands
    units = sorted({f["unit"] for f in figures}, key=len, reverse=True)
    token = re.compile(
        r"(\d+(?:\.\d+)?)((?:万余|万|多)?(?:" + "|".join(map(re.escape, units)) + "))"
    )
    found = token.findall(body)
    assert not re.search(r"\d", token.sub("", body)), "a number without a unit of any figure"
    assert len(found) > 75  # the demo report's body states 78 figures
    by_text: dict[str, list[dict]] = {}
    for f in figures:
        by_text.setdefault(f["text"], []).append(f)
    for number, unit in found:
        candidates = by_text.get(number + unit, [])
        assert candidates, f"{number}{unit} is in the report but not in metrics.json"
        if unit[:1] not in ("万", "多"):  # written exactly: the value itself
            assert any(Decimal(number) == Decimal(str(f["value"])) for f in candidates)
    for f in figures:
        assert f["definition"] and f["unit"] is not None
        if f["sql"] is None:  # a parameter from the township's master data
            assert f["key"] == "coverage_target_pct" and f["source_files"] is None
            continue
        assert f["sql"].startswith("sql/metrics/") and Path(ROOT, f["sql"]).is_file()
        assert f["source_files"] >= 1 and f["source_rows"] >= 1, f["key"]


def test_the_outputs_sit_next_to_the_report(demo_run) -> None:
    out = demo_run.out
    markdown = _latest(out, "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# 在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告")
    assert all(g in markdown for g in GOLDEN)
    assert "| 合计 | 29060 | 8391 | 7663 | 91.32% | 7275 | 86.70% | 22489 | 18416 | 81.89% |" in (
        markdown
    )
    assert f"]({CHART_FILE})" in markdown
    assert _latest(out, CHART_FILE).read_bytes().startswith(b"\x89PNG")


def _east_asian_font(style) -> str:
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def test_the_docx_reads_back_as_an_official_document(demo_run) -> None:
    demo, out = demo_run.truth, demo_run.out
    document = docx.Document(str(_latest(out, "report.docx")))
    section = document.sections[0]
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    paragraphs = {p.text: p for p in document.paragraphs}
    title = document.paragraphs[0]
    assert title.text == "在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告"
    expected = {  # line -> (font, size in pt)
        title.text: ("方正小标宋简体", 22),
        "一、主要工作情况": ("黑体", 16),
        "（三）扎实推进疫苗接种，筑牢全民免疫屏障": ("楷体", 16),
        "各位代表，同志们：": ("仿宋", 16),
    }
    for line, (font, size) in expected.items():
        style = paragraphs[line].style
        assert (_east_asian_font(style), style.font.size.pt) == (font, size), line
    vaccination = next(p for p in document.paragraphs if "7663剂次" in p.text)
    assert (_east_asian_font(vaccination.style), vaccination.style.font.size.pt) == ("仿宋", 16)
    text = "\n".join(p.text for p in document.paragraphs)
    assert [g for g in GOLDEN if g not in text] == []
    (table,) = document.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == list(APPENDIX_COLUMNS)
    assert len(rows) == len(demo.truth["vaccination"]["by_village"]) + 2
    assert rows[-1][:5] == ["合计", "29060", "8391", "7663", "91.32%"]
    assert len(document.inline_shapes) == 1  # the chart


def test_the_docx_converts_to_pdf_with_libreoffice(demo_run, tmp_path: Path) -> None:
    out = demo_run.out
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed (make test installs libreoffice-writer-nogui)"
    profile = tmp_path / "profile"  # a fresh LibreOffice profile, not the user's
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(_latest(out, "report.docx"))],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 4
